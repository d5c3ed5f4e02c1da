"""Linux 3.10's kernel paths for the short-lived-connection workload, declared as data: receive and TCP.

Every path is the ordered work, lock traffic and state changes of one event: the NIC's hard interrupt, one
NAPI poll's TX clean, one received frame, one inbound segment kind in one connection state (NET_RX softirq, or
the socket owner's ``release_sock`` for a segment that went to the socket backlog), the TIME-WAIT hangman. The
application's system calls are ``syscalls.py``. Lock sites are Linux 3.10.0's ``file:line`` as
``docs/linux-lock-sites.md`` lists them with their status (``tests/test_linux_lock_sites.py`` holds that table
and these paths together); frames are Linux function names, so profiles read like ``perf report -g``.

Costs are names into ``tcpsim/data/linux310.toml``; no number lives here.

The socket backlog (3.10 ``tcp_v4_rcv``, tcp_ipv4.c:2024-2041): a segment for a socket that a process owns
(``lock_sock``: accept() on the listener, a system call on a connection) is appended to the socket's backlog
under the socket's spinlock (``When("..._owned", Act("backlog_..."))``) and processed later by the owner in
``release_sock`` -> ``__release_sock`` -> ``sk_backlog_rcv`` = ``tcp_v4_do_rcv``, with the spinlock dropped
(``sock.c:1850``). Those are the ``*_backlog`` paths: the same processing, without the spinlock.
"""
from __future__ import annotations

from ...model.steps import READ, WRITE, Acquire, Act, Path, Release, Stop, When, Work

# --- call stacks -------------------------------------------------------------------------------------------
HARDIRQ = ("common_interrupt", "do_IRQ", "handle_irq_event")
# the NET_RX softirq run on interrupt exit (invoke_softirq -> __do_softirq on the interrupted stack)
SOFTIRQ = ("common_interrupt", "do_IRQ", "irq_exit", "__do_softirq", "net_rx_action", "ixgbe_poll")
# the same work in the CPU's ksoftirqd thread (run_ksoftirqd -> __do_softirq)
KSOFTIRQD = ("ret_from_fork", "kthread", "smpboot_thread_fn", "run_ksoftirqd")
RX = SOFTIRQ + ("ixgbe_clean_rx_irq", "napi_gro_receive", "netif_receive_skb", "__netif_receive_skb", "ip_rcv",
                "ip_rcv_finish")
TV = ("ip_local_deliver", "ip_local_deliver_finish", "tcp_v4_rcv")  # below RX
DEMUX = ("tcp_v4_early_demux", "__inet_lookup_established")  # below RX: ip_rcv_finish's early demux
DO_RCV = TV + ("tcp_v4_do_rcv",)
SYSCALL = ("entry_SYSCALL_64", "system_call_fastpath")  # 3.10: system_call -> system_call_fastpath
# a segment the owner runs from its backlog: release_sock -> __release_sock -> sk_backlog_rcv = tcp_v4_do_rcv
BACKLOG = ("release_sock", "__release_sock", "tcp_v4_do_rcv")


def ksoftirqd_base(base: tuple) -> tuple:
    """A softirq path's stack as ksoftirqd runs it: run_ksoftirqd calls the same __do_softirq."""
    if base[:3] == SOFTIRQ[:3]:
        return KSOFTIRQD + base[3:]
    return base


def held(lock: str, site: str, frames: tuple, cost: str) -> tuple:
    """A short critical section: ``lock`` taken at ``site``, the work ``cost`` done under it, released."""
    return (Acquire(lock, WRITE, site, frames), Work(frames, cost), Release(lock))


# --- transmit (every segment the server sends) ---------------------------------------------------------------
def transmit(frames: tuple, segment: str, head: str = "tx_output") -> tuple:
    """A segment leaves through dev_queue_xmit: ``frames`` is the stack down to the IP output call, ``head`` the
    cost of building and routing the frame (tcp_transmit_skb + ip_queue_xmit, or a reply's own path).

    The TX queue (netdev_pick_tx, flow_dissector.c:364): XPS of the sending CPU -- ixgbe maps queue vector v's
    CPU v (ixgbe_main.c:2881-2888, ixgbe_lib.c:784-803) -- else skb_tx_hash. ``Act("flowid")`` makes it the
    connection's receive queue: that is XPS's choice for the softirq of queue q's CPU when the queues' interrupts
    sit on CPUs 0..q-1 (the article's machines), and stands for skb_tx_hash on CPUs with no XPS entry (the
    workers'), whose per-flow hash it replaces by the RSS one (so Flow Director ATR, which steers a flow's
    receive to the ring that sent it, never moves a flow here: not modelled).

    __dev_xmit_skb (dev.c:2654): the queue's pfifo_fast root lock; an empty qdisc is bypassed: sch_direct_xmit
    drops the root lock (sch_generic.c:120), takes the queue's _xmit_lock (HARD_TX_LOCK, :122), ixgbe_xmit_frame
    (no driver lock), releases, re-takes the root lock (:128). A frame queued by another CPU meanwhile is sent
    by whoever holds the _xmit_lock (the engines' buf_ring stands for the qdisc's queue). The qdisc's busylock
    (dev.c:2672, only while the qdisc runs) is not modelled."""
    dqx = frames + ("dev_queue_xmit",)
    direct = dqx + ("__dev_xmit_skb", "sch_direct_xmit")
    xmit = direct + ("dev_hard_start_xmit", "ixgbe_xmit_frame")
    return (
        Work(frames, head),
        # ip_finish_output2: the neighbour under RCU, its cached header under a seqlock read (no lock written)
        Work(frames + ("ip_finish_output", "ip_finish_output2", "neigh_resolve_output"), "neigh_output"),
        Act("flowid"),
        Act("tx_enqueue", segment),
        *held("qdisc_lock", "dev.c:2674", dqx + ("__dev_xmit_skb",), "qdisc_enqueue"),
        Acquire("xmit_lock", WRITE, "sch_generic.c:122", direct),
        When("tx_pending", (Work(xmit, "tx_xmit"), Work(xmit, "tx_doorbell"), Act("tx_xmit")), repeat=True),
        Release("xmit_lock"),
        Acquire("qdisc_lock", WRITE, "sch_generic.c:128", direct),
        Release("qdisc_lock"),
    )


# --- the NIC: hard interrupt, NAPI poll (TX clean, RX frames) ----------------------------------------------------
# ixgbe_msix_clean_rings (ixgbe_main.c:2517): napi_schedule only; the vector stays masked (EIAM) until the poll
# re-enables it. Its cost also holds the softirq entry and the re-enable (ixgbe_irq_enable_queues, :2573).
HARDIRQ_PATH = Path("hardirq", "interrupt", HARDIRQ, (
    Work(("ixgbe_msix_clean_rings", "napi_schedule"), "irq_entry"),
))
# ixgbe_poll cleans TX first (ixgbe_clean_tx_irq, at most tx.work_limit = 256, no lock), then RX
TX_CLEAN = Path("tx_clean", "interrupt", SOFTIRQ, (
    Act("tx_own_ring"),
    Act("tx_pass_begin"),
    When("tx_reclaimable", (Act("tx_reclaim"), Work(("ixgbe_clean_tx_irq",), "tx_complete")), repeat=True),
))
# per received frame: descriptor and skb (ixgbe_clean_rx_irq), GRO (on by default: dev.c:5251; one-segment
# exchanges only pay its flow lookup), protocol demux and ip_rcv. RPS/RFS are off by default (rps_needed).
RX_PACKET = Path("rx_packet", "interrupt", SOFTIRQ, (
    Work(("ixgbe_clean_rx_irq",), "rx_descriptor"),
    Work(("ixgbe_clean_rx_irq", "napi_gro_receive", "dev_gro_receive"), "gro_receive"),
    Work(("ixgbe_clean_rx_irq", "napi_gro_receive", "netif_receive_skb", "__netif_receive_skb", "ip_rcv"), "ip_rcv"),
))


# --- inbound segments ---------------------------------------------------------------------------------------
def _listener(owned_to_backlog: bool = True) -> tuple:
    """A segment of no established flow: early demux misses (tcp_v4_early_demux, tcp_ipv4.c:1893), so does
    __inet_lookup_skb's established lookup (inet_hashtables.c:250), then __inet_lookup_listener (:190, RCU,
    listener refcount incremented: a shared line, not modelled); bh_lock_sock_nested(listener)
    (tcp_ipv4.c:2024); owned by accept() -> the listener's backlog (:2039)."""
    return (
        Work(DEMUX, "ehash_lookup"),
        Work(TV + ("__inet_lookup_skb", "__inet_lookup_established"), "ehash_lookup"),
        Work(TV + ("__inet_lookup_skb", "__inet_lookup_listener"), "listener_lookup"),
        Acquire("listen_slock", WRITE, "tcp_ipv4.c:2024", TV),
        *((When("listen_owned", (Act("backlog_listen"),)),) if owned_to_backlog else ()),
    )


def _connection() -> tuple:
    """A segment of an established flow: early demux finds the socket (RCU, a reference), tcp_v4_rcv reuses it
    and bh_lock_sock_nested's it (tcp_ipv4.c:2024); owned by a system call -> the socket's backlog (:2039)."""
    return (
        Work(DEMUX, "ehash_lookup"),
        Acquire("sk_slock", WRITE, "tcp_ipv4.c:2024", TV),
        When("conn_owned", (Act("backlog_conn"),)),
    )


def _syn(base: tuple) -> tuple:
    """tcp_v4_do_rcv on the listener for a SYN (``base``: the frames down to tcp_v4_do_rcv): tcp_v4_hnd_req
    searches the SYN table (inet_csk_search_req, under the listener's lock only) and ehash; tcp_v4_conn_request
    (tcp_ipv4.c:1465) allocates the request, sends the SYN|ACK (ip_build_and_send_pkt, :1609) and hashes the
    request into the listener's SYN table under syn_wait_lock W (:1618 -> request_sock.h:274)."""
    cr = base + ("tcp_rcv_state_process", "tcp_v4_conn_request")
    return (
        Work(base + ("tcp_v4_hnd_req", "inet_csk_search_req"), "syn_table_lookup"),
        # accept queue full and more than one young request in the SYN table -> drop (tcp_ipv4.c:1501); under
        # load the young requests are there, so the model drops on a full queue alone. A full SYN table would
        # send syncookies (:1490, not modelled: the table holds max(backlog, 128) rounded up)
        Act("acceptq_check", abort_reason="listen_queue_overflow"),
        Work(cr, "conn_request"),
        Act("state", "SYN_RECEIVED"),
        *transmit(cr + ("ip_build_and_send_pkt",), "SYNACK", head="make_synack"),
        Acquire("syn_wait_lock", WRITE, "request_sock.h:274", cr + ("inet_csk_reqsk_queue_hash_add",)),
        Work(cr + ("inet_csk_reqsk_queue_hash_add", "reqsk_queue_hash_req"), "reqsk_hash_add"),
        Release("syn_wait_lock"),
    )


def _handshake(base: tuple) -> tuple:
    """tcp_v4_do_rcv on the listener for the ACK completing the handshake: tcp_v4_hnd_req finds the request,
    tcp_check_req -> tcp_v4_syn_recv_sock (accept queue full -> drop, tcp_ipv4.c:1655): the child is cloned
    with its own spinlock taken (sk_clone_lock, sock.c:1425), joins the port's bind bucket
    (__inet_inherit_port, inet_hashtables.c:115) and ehash (__inet_hash_nolisten, :414); the request leaves the
    SYN table (syn_wait_lock W, request_sock.h:191) for the accept queue (no lock of its own: the listener's
    protects it); tcp_child_process moves the child to ESTABLISHED and wakes the acceptor through the listener's
    wait queue (sock_def_readable -> __wake_up_sync_key, sched/core.c:3238), then unlocks the child."""
    req = base + ("tcp_v4_hnd_req",)
    chk = req + ("tcp_check_req",)
    srs = chk + ("tcp_v4_syn_recv_sock",)
    child = srs + ("tcp_create_openreq_child", "inet_csk_clone_lock", "sk_clone_lock")
    return (
        # another frame of the flow completed the handshake while this one waited for the listener (the request
        # found in the SYN table when it was dispatched is gone): tcp_v4_hnd_req finds the child in ehash
        # (tcp_ipv4.c:1751) and the frame is the child's -- this path ends, the frame's next path (data) runs
        When("handshake_done", (Stop(),)),
        Work(req + ("inet_csk_search_req",), "syn_table_lookup"),
        Work(chk, "check_req"),
        Act("acceptq_check", abort_reason="listen_queue_overflow"),
        Work(child, "sk_clone"),
        Acquire("sk_slock", WRITE, "sock.c:1425", child),
        # the same, decided under the connection's own lock: the model's owner runs a listener's frames from its
        # backlog once more right after release_sock (threads.owned), beside the softirq
        When("handshake_done", (Stop(),)),
        Work(srs + ("tcp_create_openreq_child",), "openreq_child"),
        Work(srs, "syn_recv_sock"),
        *held("bhash", "inet_hashtables.c:115", srs + ("__inet_inherit_port",), "inherit_port"),
        *held("ehash", "inet_hashtables.c:414", srs + ("__inet_hash_nolisten",), "ehash_insert"),
        *held("syn_wait_lock", "request_sock.h:191", chk + ("inet_csk_reqsk_queue_unlink",), "reqsk_unlink"),
        Act("accept_enqueue"),
        Work(base + ("tcp_child_process", "tcp_rcv_state_process"), "child_process"),
        Act("state", "ESTABLISHED"),
        Acquire("listen_wq", WRITE, "sched/core.c:3238", base + ("tcp_child_process", "sock_def_readable",
                                                                  "__wake_up_sync_key")),
        Work(base + ("tcp_child_process", "sock_def_readable", "__wake_up_sync_key", "try_to_wake_up"), "wakeup"),
        Act("wake_acceptor"),
        Release("listen_wq"),
        Release("sk_slock"),  # tcp_minisocks.c:765
    )


def _data(base: tuple) -> tuple:
    """The request on an established socket, not owned (no prequeue: the worker is in epoll_wait, not a blocking
    recv): tcp_rcv_established (tcp_input.c:5073) -> tcp_data_queue -> sk_data_ready = sock_def_readable: the
    socket's wait queue and the worker's ep->lock in ep_poll_callback (per socket / per epoll instance: folded
    into data_ready), then the delayed-ACK timer (mod_timer: the CPU's timer base lock, folded)."""
    est = base + ("tcp_rcv_established",)
    return (
        Work(est, "tcp_rcv_established"),
        Work(est + ("tcp_data_queue",), "data_queue"),
        Act("rcv_data"),
        Work(est + ("tcp_data_queue", "sock_def_readable", "ep_poll_callback"), "data_ready"),
        Work(est + ("__tcp_ack_snd_check", "tcp_send_delayed_ack", "sk_reset_timer", "mod_timer"), "mod_timer"),
    )


def _fin_wait_1_ack(base: tuple) -> tuple:
    """The ACK of the server's FIN (FIN_WAIT1 -> FIN_WAIT2, tcp_input.c:5770). The socket is orphaned by then
    (close() follows shutdown() at once; the ACK needs a round trip -- the model assumes it), so tcp_time_wait
    (tcp_input.c:5803 -> tcp_minisocks.c:266): with tcp_max_tw_buckets TIME-WAIT sockets already (:276) there
    is none -- the socket is simply closed (counted as TCPTimeWaitOverflow, tcp_minisocks.c:349; 3.10 does not
    recycle the oldest); else the TIME-WAIT sock (substate FIN_WAIT2) goes through __inet_twsk_hashdance (bind bucket
    inet_timewait_sock.c:140, then the ehash lock :146) and inet_twsk_schedule (the global death_lock, :373).
    Either way tcp_done (tcp_minisocks.c:353): inet_put_port under the bind bucket (inet_hashtables.c:88), the
    socket's timers deleted (timer base locks, folded into tcp_done) and the socket freed."""
    rsp = base + ("tcp_rcv_state_process",)
    tw = rsp + ("tcp_time_wait",)
    put = rsp + ("tcp_done", "tcp_set_state", "inet_put_port")
    return (
        Work(rsp, "tcp_rcv_state_process"),
        Act("state", "FIN_WAIT_2"),
        When("timewait_full", (
            Work(rsp + ("tcp_done",), "tcp_done"),
            *held("bhash", "inet_hashtables.c:88", put, "put_port"),
            Act("state", "CLOSED"),
            Stop(),  # returns (and unlocks the socket): no TIME-WAIT sock
        )),
        Work(tw + ("inet_twsk_alloc",), "tw_alloc"),
        *held("bhash", "inet_timewait_sock.c:140", tw + ("__inet_twsk_hashdance",), "tw_bind_add"),
        *held("ehash", "inet_timewait_sock.c:146", tw + ("__inet_twsk_hashdance",), "tw_ehash"),
        Acquire("death_lock", WRITE, "inet_timewait_sock.c:373", tw + ("inet_twsk_schedule",)),
        Work(tw + ("inet_twsk_schedule",), "twsk_schedule"),
        Act("timewait_insert"),
        Release("death_lock"),
        Work(tw + ("tcp_done",), "tcp_done"),
        *held("bhash", "inet_hashtables.c:88", tw + ("tcp_done", "tcp_set_state", "inet_put_port"), "put_port"),
    )


def _late(base: tuple) -> tuple:
    """A segment the state has no use for (a duplicate): processed and discarded under the socket's lock."""
    return (Work(base + ("tcp_rcv_state_process",), "tcp_rcv_state_process"),)


def _reset(base: tuple) -> tuple:
    """A segment with ACK for the listener (the flow has no socket: closed without TIME-WAIT): tcp_v4_hnd_req
    misses, tcp_rcv_state_process in LISTEN returns 1 for an ACK (tcp_input.c:5612), tcp_v4_do_rcv sends a RST
    (tcp_v4_send_reset -> ip_send_unicast_reply, a per-CPU reply socket): the client takes it, as it takes the
    final ACK, as the end of its connection (the model sends it as that ACK)."""
    rst = base + ("tcp_v4_send_reset",)
    return (
        Work(base + ("tcp_v4_hnd_req", "inet_csk_search_req"), "syn_table_lookup"),
        Work(base + ("tcp_v4_hnd_req", "__inet_lookup_established"), "ehash_lookup"),
        *transmit(rst + ("ip_send_unicast_reply", "ip_push_pending_frames", "ip_local_out", "ip_output"), "ACK",
                  head="send_reply"),
    )


def _softirq(name: str, head: tuple, body: tuple, release: str) -> Path:
    return Path(name, "interrupt", RX, head + body + (Release(release),))


def _backlog(name: str, body: tuple) -> Path:
    """The owner runs a backlogged segment in release_sock (system call context, BH off), spinlock dropped."""
    return Path(name, "syscall", SYSCALL, body)


SYN = _softirq("syn", _listener(), _syn(DO_RCV), "listen_slock")
HANDSHAKE_ACK = _softirq("handshake_ack", _listener(), _handshake(DO_RCV), "listen_slock")
LISTEN_RST = _softirq("listen_rst", _listener(), _reset(DO_RCV), "listen_slock")
DATA = _softirq("data", _connection(), _data(DO_RCV), "sk_slock")
FIN_WAIT_1_ACK = _softirq("fin_wait_1_ack", _connection(), _fin_wait_1_ack(DO_RCV), "sk_slock")
LATE_SEGMENT = _softirq("late_segment", _connection(), _late(DO_RCV), "sk_slock")

SYN_BACKLOG = _backlog("syn_backlog", _syn(BACKLOG))
HANDSHAKE_ACK_BACKLOG = _backlog("handshake_ack_backlog", _handshake(BACKLOG))
LISTEN_RST_BACKLOG = _backlog("listen_rst_backlog", _reset(BACKLOG))
DATA_BACKLOG = _backlog("data_backlog", _data(BACKLOG))
FIN_WAIT_1_ACK_BACKLOG = _backlog("fin_wait_1_ack_backlog", _fin_wait_1_ack(BACKLOG))
LATE_SEGMENT_BACKLOG = _backlog("late_segment_backlog", _late(BACKLOG))

# The client's FIN for the TIME-WAIT sock (substate FIN_WAIT2): early demux finds it (RCU; a tw sock has no
# lock), do_time_wait (tcp_ipv4.c:2073) -> tcp_timewait_state_process: substate TIME_WAIT, inet_twsk_schedule
# again under the death_lock (tcp_minisocks.c:160 -> inet_timewait_sock.c:373; the entry's expiry moves by the
# client's round trip: not modelled), and the final ACK (tcp_v4_timewait_ack -> ip_send_unicast_reply). A tw
# sock is never owned, so it has no backlog path.
TWR = TV + ("tcp_timewait_state_process",)
CLIENT_FIN = Path("client_fin", "interrupt", RX, (
    Work(DEMUX, "ehash_lookup"),
    Work(TWR, "tw_state_process"),
    *held("death_lock", "inet_timewait_sock.c:373", TWR + ("inet_twsk_schedule",), "twsk_schedule"),
    Act("state", "TIME_WAIT"),
    *transmit(TV + ("tcp_v4_timewait_ack", "tcp_v4_send_ack", "ip_send_unicast_reply", "ip_push_pending_frames",
                    "ip_local_out", "ip_output"), "ACK", head="send_reply"),
))

# --- TIME-WAIT expiry: the death row's hangman (inet_twdr_hangman, every 60 s / 8 slots = 7.5 s, timer softirq)
# under the death_lock (inet_timewait_sock.c:268), dropping and re-taking it around each kill (:233/:240); a
# kill unhashes the tw sock from ehash (:78, the ehash lock of its bucket: the callout has no connection to name
# it by, folded into tw_kill) and from the bind bucket (:86). The quota (100 kills, then a kworker) is not
# modelled: every expired entry is killed in the tick.
HANG = ("run_timer_softirq", "call_timer_fn", "inet_twdr_hangman")
TW_EXPIRY = Path("tw_expiry", "callout", ("common_interrupt", "do_IRQ", "irq_exit", "__do_softirq"), (
    Acquire("death_lock", WRITE, "inet_timewait_sock.c:268", HANG),
    Work(HANG, "tw_scan"),
    When("timewait_expired", (
        Release("death_lock"),
        Acquire("bhash", WRITE, "inet_timewait_sock.c:86", HANG + ("inet_twdr_do_twkill_work", "__inet_twsk_kill")),
        Act("tw_close_oldest"),
        Work(HANG + ("inet_twdr_do_twkill_work", "__inet_twsk_kill"), "tw_kill"),
        Release("bhash"),
        Acquire("death_lock", WRITE, "inet_timewait_sock.c:240", HANG + ("inet_twdr_do_twkill_work",)),
    ), repeat=True),
    Release("death_lock"),
))

RECEIVE_PATHS = {p.name: p for p in (
    HARDIRQ_PATH, TX_CLEAN, RX_PACKET,
    SYN, HANDSHAKE_ACK, LISTEN_RST, DATA, FIN_WAIT_1_ACK, LATE_SEGMENT, CLIENT_FIN,
    SYN_BACKLOG, HANDSHAKE_ACK_BACKLOG, LISTEN_RST_BACKLOG, DATA_BACKLOG, FIN_WAIT_1_ACK_BACKLOG,
    LATE_SEGMENT_BACKLOG, TW_EXPIRY,
)}
