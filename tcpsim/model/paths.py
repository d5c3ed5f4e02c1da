"""FreeBSD 10.0's kernel paths for the short-lived-connection workload, declared as data.

Every path is the ordered work, lock traffic and state changes of one event: one inbound segment kind in one
connection state (interrupt context), one system call of the server application, one callout. The lock sites
are FreeBSD 10.0's ``file:line``: the article's six, and every other one checked against the 10.0 source with
its status in ``docs/lock-sites.md`` (``tests/test_lock_sites.py`` keeps that table and these paths in step).

Costs are names into the costs file (``tcpsim/data/freebsd10.toml``); no number lives here.

Assertions (``Assert``): the lock assertions of the functions a path runs (INP_INFO_WLOCK_ASSERT,
INP_HASH_WLOCK_ASSERT, INP_WLOCK_ASSERT, ACCEPT_LOCK_ASSERT), at the 10.0 line of the assertion, established
as the lock sites are (docs/lock-sites.md, "Lock assertions"). They cost nothing at run time; a variant that
drops or weakens a lock one of them needs is refused unless it patches the assertion too (``model/checks.py``).
"""
from __future__ import annotations

from .steps import READ, WRITE, Acquire, Act, Assert, Path, Release, TryAcquire, When, Work

# --- call stacks -------------------------------------------------------------------------------------------
# net.isr.dispatch=direct: ip_input and tcp_input run to completion in the NIC queue's interrupt thread.
INTR = ("ithread_loop", "ixgbe_msix_que", "ixgbe_rxeof", "ether_demux", "netisr_dispatch_src", "ip_input")
TI = ("tcp_input",)
LOOKUP = TI + ("in_pcblookup_mbuf", "in_pcblookup_hash")
SYSCALL = ("amd64_syscall",)
TX = ("tcp_output", "ip_output")  # what a send runs before the driver (syncache_respond calls ip_output itself)


def _lookup(inp: str) -> tuple:
    """in_pcblookup_mbuf(INPLOOKUP_WLOCKPCB): find the pcb under the hash read lock, take a reference, drop
    the hash lock, then lock the pcb (taking it under the hash lock would invert the documented order)."""
    return (
        Acquire("pcbinfohash", READ, "in_pcb.c:1795", LOOKUP),  # in_pcblookup_hash: INP_HASH_RLOCK
        Work(LOOKUP + ("in_pcblookup_hash_locked",), "pcb_lookup"),
        Release("pcbinfohash"),
        # The article's Figure 5 row "in_pcb.c:1802 (rw:tcpinp)": 5 acquisitions per connection, one per segment.
        Acquire(inp, WRITE, "in_pcb.c:1802", LOOKUP),
        # tcp_input, the pcb locked: a connection's pcb (never a listen socket's) takes the frame's flow id the
        # first time (INP_HW_FLOWID; tcp_input.c:906 in 9.3's copy), which ip_output then puts on what it sends
        *((Act("flowid"),) if inp == "inp" else ()),
    )


def _relock_global(inp: str, frames=TI) -> TryAcquire:
    """State != ESTABLISHED and rw:tcp not yet held (tcp_input): INP_INFO_TRY_WLOCK; on failure take a pcb
    reference, unlock the pcb, block for rw:tcp (the article's :1013), relock the pcb."""
    return TryAcquire(
        "tcp", WRITE, "tcp_input.c:1010", frames,
        on_fail=(
            Release(inp),
            Acquire("tcp", WRITE, "tcp_input.c:1013", frames),
            Acquire(inp, WRITE, "tcp_input.c:1015", frames),
        ),
    )


def _tw_close(frames: tuple) -> tuple:
    """tcp_tw_2msl_scan: lock the oldest TIME-WAIT entry's pcb, tcp_twclose it -- tcp_tw_2msl_stop unlinks it
    from the list, in_pcbdrop unhashes it under the hash write lock, in_pcbfree frees it and drops its lock
    (the caller holds rw:tcp W)."""
    close, drop = frames + ("tcp_twclose",), frames + ("tcp_twclose", "in_pcbdrop")
    return (
        Assert("tcp", WRITE, "tcp_timewait.c:638", "tcp_tw_2msl_scan: INP_INFO_WLOCK_ASSERT"),
        Acquire("tw_inp", WRITE, "tcp_timewait.c:643", frames),  # tcp_tw_2msl_scan: INP_WLOCK
        Assert("tcp", WRITE, "tcp_timewait.c:461", "tcp_twclose: INP_INFO_WLOCK_ASSERT"),
        Assert("tw_inp", WRITE, "tcp_timewait.c:462", "tcp_twclose: INP_WLOCK_ASSERT"),
        Act("tw_close_oldest"),  # tcp_tw_2msl_stop; "tw_inp" keeps naming the entry whose lock was taken
        Assert("tw_inp", WRITE, "in_pcb.c:1242", "in_pcbdrop: INP_WLOCK_ASSERT"),
        Acquire("pcbinfohash", WRITE, "in_pcb.c:1252", drop),  # in_pcbdrop: INP_HASH_WLOCK
        Work(drop, "pcb_unhash"),
        Release("pcbinfohash"),
        Work(close + ("in_pcbfree",), "tw_close"),
        Release("tw_inp"),
    )


# --- the NIC driver's transmit side (ixgbe 2.5.15; model/nic.py has its rules and where they were read) ------------
# Lines of ixgbe.c are those of 2.5.15 as FreeBSD 9.3 ships it (releng/9.3 r262153): 10.0's copy was not at hand
# (docs/lock-sites.md, "open").
def _reclaim(frames: tuple) -> When:
    """ixgbe_txeof: free sent frames of the ring, at most tx_process_limit (tx_pass_begin starts the count)."""
    return When("tx_reclaimable", (Act("tx_reclaim"), Work(frames, "tx_complete")), repeat=True)


def _drain(frames: tuple) -> tuple:
    """ixgbe_mq_start_locked, the ring's TX mutex held: hand every frame of the buf_ring to the NIC (ixgbe_xmit
    and its TDT doorbell write: the frame is then on the wire), then, with descriptors running low
    (IXGBE_TX_CLEANUP_THRESHOLD), an ixgbe_txeof."""
    xmit = frames + ("ixgbe_xmit",)
    return (
        When("tx_pending", (Work(xmit, "tx_xmit"), Work(xmit, "tx_doorbell"), Act("tx_xmit")), repeat=True),
        When("tx_below_threshold", (Act("tx_pass_begin"), _reclaim(frames + ("ixgbe_txeof",)))),
    )


def _transmit(frames: tuple, segment: str) -> tuple:
    """A segment leaves: ``frames`` is the stack down to ip_output (whose work is ``tx_output``), then
    ixgbe_mq_start: the ring by flow id, drbr_enqueue, and IXGBE_TX_TRYLOCK -- drain the ring under its TX
    mutex, or, when another thread holds it, leave the frame to the queue's task (taskqueue_enqueue)."""
    mq = frames + ("ixgbe_mq_start",)
    route = frames + ("in_rtalloc_ign", "rtalloc1_fib")
    arp = frames + ("ether_output", "arpresolve")
    return (
        Work(frames, "tx_output"),
        # 10.0's tcp_output hands ip_output a zeroed struct route (no route cached in the pcb), so every frame
        # looks its route up under the routing table's read lock, then its next hop's link-layer address under
        # the interface's (route.c:394 rtalloc1_fib, if_ether.c:316 arpresolve, in 9.3's copies)
        Acquire("rtable", READ, "route.c:394", route),
        Work(route, "rtalloc"),
        Release("rtable"),
        Acquire("afdata", READ, "if_ether.c:316", arp),
        Work(arp, "arpresolve"),
        Release("afdata"),
        Act("tx_enqueue", segment),
        Work(mq + ("drbr_enqueue",), "tx_enqueue"),
        TryAcquire("txring", WRITE, "ixgbe.c:833", mq, on_fail=(Act("tx_defer"),),
                   locked=_drain(mq + ("ixgbe_mq_start_locked",)) + (Release("txring"),)),
    )


def _tx_service(name: str, site: str) -> Path:
    """ixgbe_msix_que (and ixgbe_handle_que) after the receive pass: IXGBE_TX_LOCK, ixgbe_txeof, then
    ixgbe_mq_start_locked if the buf_ring is not empty, IXGBE_TX_UNLOCK."""
    return Path(name, "interrupt", ("ithread_loop", "ixgbe_msix_que"), (
        Act("tx_own_ring"),
        Acquire("txring", WRITE, site, ()),
        Act("tx_pass_begin"),
        _reclaim(("ixgbe_txeof",)),
        *_drain(("ixgbe_mq_start_locked",)),
        Release("txring"),
    ))


# --- the NIC driver (interrupt context) -------------------------------------------------------------------------
# One interrupt pass (ixgbe_msix_que) and, per received frame, descriptor + mbuf work and ether/IP input.
INTERRUPT = Path("interrupt", "interrupt", ("ithread_loop",), (
    Work(("ixgbe_msix_que",), "intr_entry"),
))
TX_SERVICE = _tx_service("tx_service", "ixgbe.c:1525")  # ixgbe_msix_que
TX_SERVICE_TASK = _tx_service("tx_service_task", "ixgbe.c:1420")  # ixgbe_handle_que (its stack: deferred_base)
# The ring's txq_task on the queue's taskqueue: ixgbe_deferred_mq_start.
DEFERRED_START = Path("deferred_start", "interrupt", ("taskqueue_thread_loop", "ixgbe_deferred_mq_start"), (
    Act("tx_own_ring"),
    Acquire("txring", WRITE, "ixgbe.c:906", ()),
    *_drain(("ixgbe_mq_start_locked",)),
    Release("txring"),
))
RX_PACKET = Path("rx_packet", "interrupt", INTR[:3], (
    Work((), "rx_descriptor"),
    Work(INTR[3:], "ip_input"),
))

# 802.1Q: the test bed received VLAN-tagged frames (Figure 4's __rw_rlock under vlan_input). The NIC strips the
# tag (M_VLANTAG); ether_demux hands the frame to vlan_input, which finds the VLAN interface under its trunk's
# read lock (TRUNK_RLOCK; if_vlan.c:1163 in 9.3's copy, open for 10.0) and passes it to that interface's input,
# which demuxes it again towards ip_input. [hardware] vlan puts these steps before ip_input (scenario.build).
VLAN_INPUT = (
    Acquire("vlan", READ, "if_vlan.c:1163", INTR[3:4] + ("vlan_input",)),
    Work(INTR[3:4] + ("vlan_input",), "vlan_input"),
    Release("vlan"),
)


def with_vlan(paths: dict) -> dict:
    """``paths`` with vlan_input in the per-frame path, before its ip_input work (or at its end)."""
    rx = paths["rx_packet"]
    steps = list(rx.steps)
    at = next((i for i, s in enumerate(steps) if isinstance(s, Work) and s.cost == "ip_input"), len(steps))
    steps[at:at] = VLAN_INPUT
    return {**paths, "rx_packet": Path(rx.name, rx.context, rx.base, tuple(steps))}


# The queue's task (ixgbe_handle_que) runs the same rxeof/txeof code in its own thread: same paths under a
# different stack (and counted as system time, not interrupt time).
def deferred_base(base: tuple) -> tuple:
    if base[:2] == ("ithread_loop", "ixgbe_msix_que"):
        return ("taskqueue_thread_loop", "ixgbe_handle_que") + base[2:]
    return base


# --- inbound segments (interrupt context) --------------------------------------------------------------------
SA = TI + ("syncache_add",)
SYN = Path("syn", "interrupt", INTR, (
    # SYN flag set: rw:tcp W before the lookup.
    Acquire("tcp", WRITE, "tcp_input.c:778", TI),
    *_lookup("listen_inp"),
    Work(TI + ("tcp_dooptions",), "tcp_input_listen"),
    # syncache_add drops the listen pcb lock, then rw:tcp, before any syncache work.
    Release("listen_inp"),
    Release("tcp"),
    # The entry is looked up and filled under its bucket mutex, the SYN|ACK goes out with no lock held, and
    # syncache_insert takes the bucket again to link the entry.
    Acquire("syncache", WRITE, "tcp_syncache.c:521", SA + ("syncache_lookup",)),
    Work(SA, "syncache_add"),
    Release("syncache"),
    Act("state", "SYN_RECEIVED"),
    *_transmit(SA + ("syncache_respond", "ip_output"), "SYNACK"),
    Acquire("syncache", WRITE, "tcp_syncache.c:348", SA + ("syncache_insert",)),
    Work(SA + ("syncache_insert",), "syncache_insert"),
    Release("syncache"),
))

SE = TI + ("syncache_expand",)
SOCK = SE + ("syncache_socket",)
NEWCONN = SOCK + ("sonewconn",)
HANDSHAKE_ACK = Path("handshake_ack", "interrupt", INTR, (
    *_lookup("listen_inp"),
    # No SYN/FIN/RST, but the pcb found is the listener (state != ESTABLISHED).
    _relock_global("listen_inp"),
    Work(TI, "tcp_input_listen"),
    Acquire("syncache", WRITE, "tcp_syncache.c:521", SE + ("syncache_lookup",)),
    Work(SE + ("syncache_lookup",), "syncache_lookup"),
    Release("syncache"),
    # sonewconn: backlog check under the global accept mutex, then the new socket.
    Acquire("accept", WRITE, "uipc_socket.c:492", NEWCONN),
    Act("listen_queue_check", abort_reason="listen_queue_overflow"),
    Release("accept"),
    Work(NEWCONN + ("soalloc",), "soalloc"),
    # tcp_attach re-takes rw:tcp W recursively; in_pcballoc locks the new pcb, which tcp_attach unlocks again
    # before dropping the recursion.
    Acquire("tcp", WRITE, "tcp_usrreq.c:1617", NEWCONN + ("tcp_usr_attach", "tcp_attach")),
    Assert("tcp", WRITE, "in_pcb.c:274", "in_pcballoc: INP_INFO_WLOCK_ASSERT"),
    Acquire("inp", WRITE, "in_pcb.c:313", NEWCONN + ("tcp_usr_attach", "tcp_attach", "in_pcballoc")),
    Work(NEWCONN + ("tcp_usr_attach", "tcp_attach"), "tcp_attach"),
    Release("inp"),
    Release("tcp"),
    # 10.0's sonewconn puts the socket on the completed queue and wakes the acceptor before the connection is
    # even hashed (hence tcp_usr_accept's rw:tcp read lock, as its comment says).
    Acquire("accept", WRITE, "uipc_socket.c:549", NEWCONN),
    Act("accept_enqueue"),
    Release("accept"),
    Act("wake_acceptor"),
    # syncache_socket relocks the new pcb and hashes it under the hash write lock (in_pcbinshash only asserts).
    Acquire("inp", WRITE, "tcp_syncache.c:706", SOCK),
    Acquire("pcbinfohash", WRITE, "tcp_syncache.c:707", SOCK),
    Assert("pcbinfohash", WRITE, "in_pcb.c:1892", "in_pcbinshash_internal: INP_HASH_WLOCK_ASSERT"),
    Work(SOCK + ("in_pcbinshash",), "pcb_hash_insert"),
    Release("pcbinfohash"),
    Work(SOCK, "syncache_socket"),
    Release("inp"),
    # tcp_input: unlock the listen socket, lock the new connection, finish the handshake in tcp_do_segment.
    Release("listen_inp"),
    Acquire("inp", WRITE, "tcp_input.c:1133", TI),
    Work(TI + ("tcp_do_segment",), "tcp_do_segment"),
    Act("state", "ESTABLISHED"),
    # The longest global hold of the connection ends here, before any output.
    Release("tcp"),
    Release("inp"),
))

DATA = Path("data", "interrupt", INTR, (
    # ESTABLISHED, no SYN/FIN/RST: the one inbound segment that never takes rw:tcp.
    *_lookup("inp"),
    Work(TI + ("tcp_do_segment",), "tcp_do_segment"),
    Work(TI + ("tcp_do_segment", "sbappendstream_locked"), "sbappend"),
    Act("rcv_data"),
    Work(TI + ("tcp_do_segment", "sorwakeup_locked", "knote"), "sorwakeup"),
    Release("inp"),
))

# ACK of data and FIN in FIN_WAIT_1 (state != ESTABLISHED): global write lock by try-lock or at :1013.
FIN_WAIT_1_ACK = Path("fin_wait_1_ack", "interrupt", INTR, (
    *_lookup("inp"),
    _relock_global("inp"),
    Work(TI + ("tcp_do_segment",), "tcp_do_segment"),
    Act("state", "FIN_WAIT_2"),
    Release("tcp"),
    Release("inp"),
))

# Client FIN in FIN_WAIT_2 (or FIN_WAIT_1 when the client's ACK was lost and the FIN acknowledges ours).
TW = TI + ("tcp_do_segment", "tcp_twstart")
CLIENT_FIN = Path("client_fin", "interrupt", INTR, (
    Acquire("tcp", WRITE, "tcp_input.c:778", TI),
    *_lookup("inp"),
    Work(TI + ("tcp_do_segment",), "tcp_do_segment"),
    # tcp_twstart: with maxtcptw reached, tcp_tw_2msl_scan(1) recycles the oldest entry right here, under rw:tcp.
    When("timewait_full", _tw_close(TW + ("tcp_tw_2msl_scan",))),
    Assert("tcp", WRITE, "tcp_timewait.c:207", "tcp_twstart: INP_INFO_WLOCK_ASSERT"),
    Assert("inp", WRITE, "tcp_timewait.c:208", "tcp_twstart: INP_WLOCK_ASSERT"),
    Work(TW, "tcp_twstart"),
    Act("state", "TIME_WAIT"),
    # The final ACK (tcp_twrespond) goes out before the entry is put on the TIME-WAIT list, both under rw:tcp.
    *_transmit(TW + ("tcp_twrespond", "ip_output"), "ACK"),
    Assert("tcp", WRITE, "tcp_timewait.c:617", "tcp_tw_2msl_reset: INP_INFO_WLOCK_ASSERT"),
    Act("timewait_insert"),
    # The socket is freed: tcp_twstart unlocks the pcb and takes the accept mutex with only rw:tcp held; sofree
    # drops it before pru_detach, whose tcp_usr_detach re-takes rw:tcp recursively and the pcb.
    Release("inp"),
    Acquire("accept", WRITE, "tcp_timewait.c:306", TW),
    Assert("accept", WRITE, "uipc_socket.c:694", "sofree: ACCEPT_LOCK_ASSERT"),
    Work(TW + ("sofree",), "sofree"),
    Release("accept"),
    Acquire("tcp", WRITE, "tcp_usrreq.c:231", TW + ("sofree", "tcp_usr_detach")),
    Acquire("inp", WRITE, "tcp_usrreq.c:232", TW + ("sofree", "tcp_usr_detach")),
    Assert("tcp", WRITE, "tcp_usrreq.c:165", "tcp_detach: INP_INFO_WLOCK_ASSERT"),
    Release("inp"),
    Release("tcp"),
    Release("tcp"),
))

# A segment for a connection already past the state it answers (duplicate): tcp_input sees state != ESTABLISHED.
LATE_SEGMENT = Path("late_segment", "interrupt", INTR, (
    *_lookup("inp"),
    _relock_global("inp"),
    Work(TI + ("tcp_do_segment",), "tcp_do_segment"),
    Release("tcp"),
    Release("inp"),
))

# --- the server application's system calls --------------------------------------------------------------------
ACC = SYSCALL + ("sys_accept", "accept1", "kern_accept4")
ACCEPT = Path("accept", "syscall", SYSCALL, (
    Work(ACC[1:] + ("falloc",), "accept_entry"),
    Acquire("accept", WRITE, "uipc_syscalls.c:445", ACC[1:]),
    Act("accept_dequeue"),
    Release("accept"),
    # tcp_usr_accept read-locks rw:tcp: with writer preference this read waits behind queued writers.
    Acquire("tcp", READ, "tcp_usrreq.c:635", ACC[1:] + ("soaccept", "tcp_usr_accept")),
    Acquire("inp", WRITE, "tcp_usrreq.c:636", ACC[1:] + ("soaccept", "tcp_usr_accept")),
    Work(ACC[1:] + ("soaccept", "tcp_usr_accept", "in_getpeeraddr"), "tcp_usr_accept"),
    Release("inp"),
    Release("tcp"),
    Work(ACC[1:] + ("copyout",), "accept_exit"),
))

# One accept thread hands each new descriptor to the next worker (its kqueue); user + system cost.
HANDOFF = Path("handoff", "syscall", SYSCALL, (
    Work(("user:tcp_server_accept_loop",), "app_accept_user", user=True),
    Work(("sys_kevent", "kern_kevent", "kqueue_register"), "kevent_register"),
))

KEVENT = Path("kevent", "syscall", SYSCALL, (
    Work(("sys_kevent", "kern_kevent", "kqueue_scan"), "kevent_scan"),
))

RECV = Path("recv", "syscall", SYSCALL, (
    Work(("sys_recvfrom", "kern_recvit", "soreceive_generic"), "soreceive"),
    Acquire("inp", WRITE, "tcp_usrreq.c:764", ("sys_recvfrom", "kern_recvit", "soreceive_generic", "tcp_usr_rcvd")),
    Work(("sys_recvfrom", "kern_recvit", "soreceive_generic", "tcp_usr_rcvd"), "tcp_usr_rcvd"),
    Release("inp"),
    Work(("user:tcp_server_handle_request",), "app_request_user", user=True),
))

SEND = Path("send", "syscall", SYSCALL, (
    Work(("sys_sendto", "kern_sendit", "sosend_generic"), "sosend"),
    Acquire("inp", WRITE, "tcp_usrreq.c:811", ("sys_sendto", "kern_sendit", "sosend_generic", "tcp_usr_send")),
    *_transmit(("sys_sendto", "kern_sendit", "sosend_generic", "tcp_usr_send") + TX, "DATA"),
    Release("inp"),
))

SHUTDOWN = Path("shutdown", "syscall", SYSCALL, (
    Work(("sys_shutdown", "soshutdown"), "syscall_entry"),
    Acquire("tcp", WRITE, "tcp_usrreq.c:728", ("sys_shutdown", "soshutdown", "tcp_usr_shutdown")),
    Acquire("inp", WRITE, "tcp_usrreq.c:731", ("sys_shutdown", "soshutdown", "tcp_usr_shutdown")),
    Assert("tcp", WRITE, "tcp_usrreq.c:1697", "tcp_usrclosed: INP_INFO_WLOCK_ASSERT"),
    Work(("sys_shutdown", "soshutdown", "tcp_usr_shutdown", "tcp_usrclosed"), "tcp_usrclosed"),
    Act("state", "FIN_WAIT_1"),
    # The FIN goes out from tcp_output while rw:tcp is still held.
    *_transmit(("sys_shutdown", "soshutdown", "tcp_usr_shutdown") + TX, "FIN"),
    Release("inp"),
    Release("tcp"),
))

# close(): tcp_usr_close at :984. By the 10.0 code, soclose() first calls sodisconnect -> tcp_usr_disconnect
# (rw:tcp W at tcp_usrreq.c:590) while the socket is still SS_ISCONNECTED and not SS_ISDISCONNECTING, and
# shutdown(SHUT_WR) sets neither flag. Yet the article's lock profile has no :590 row among its top six although
# a row with :984's waits would rank there. Why is not settled (see docs/lock-sites.md); the model follows the
# profile and leaves :590 out.
CLOSE = Path("close", "syscall", SYSCALL, (
    Work(("sys_close", "kern_close", "closef", "soclose"), "soclose"),
    Acquire("tcp", WRITE, "tcp_usrreq.c:984", ("sys_close", "kern_close", "closef", "soclose", "tcp_usr_close")),
    Acquire("inp", WRITE, "tcp_usrreq.c:985", ("sys_close", "kern_close", "closef", "soclose", "tcp_usr_close")),
    # tcp_usr_close -> tcp_disconnect -> (ESTABLISHED or later) tcp_usrclosed: both assert the global lock
    Assert("tcp", WRITE, "tcp_usrreq.c:1659", "tcp_disconnect: INP_INFO_WLOCK_ASSERT"),
    Assert("tcp", WRITE, "tcp_usrreq.c:1697", "tcp_usrclosed: INP_INFO_WLOCK_ASSERT"),
    Work(("sys_close", "kern_close", "closef", "soclose", "tcp_usr_close"), "tcp_usr_close"),
    Release("inp"),
    Release("tcp"),
))

# --- callouts --------------------------------------------------------------------------------------------------
# tcp_slowtimo every 500 ms: rw:tcp W across the WHOLE 2MSL scan; every expired entry is closed under it.
SLOWTIMO = Path("slowtimo", "callout", ("fork_exit", "softclock", "softclock_call_cc", "pfslowtimo", "tcp_slowtimo"), (
    Acquire("tcp", WRITE, "tcp_timer.c:147", ()),
    Work(("tcp_tw_2msl_scan",), "tw_scan"),
    When("timewait_expired", _tw_close(("tcp_tw_2msl_scan",)), repeat=True),
    Release("tcp"),
))

BASELINE_PATHS = {p.name: p for p in (
    INTERRUPT, TX_SERVICE, TX_SERVICE_TASK, DEFERRED_START, RX_PACKET,
    SYN, HANDSHAKE_ACK, DATA, FIN_WAIT_1_ACK, CLIENT_FIN, LATE_SEGMENT,
    ACCEPT, HANDOFF, KEVENT, RECV, SEND, SHUTDOWN, CLOSE, SLOWTIMO,
)}
