"""FreeBSD 10.0's kernel paths for the short-lived-connection workload, declared as data.

Every path is the ordered work, lock traffic and state changes of one event: one inbound segment kind in one
connection state (interrupt context), one system call of the server application, one callout. The lock sites
are FreeBSD 10.0's ``file:line`` where ``shared/reference/freebsd10-locking.md`` gives them; sites marked
``# inferred`` are this project's best reading of the 10.x source near the documented ones and only name rows
of the lock profile that the article does not print.

Costs are names into the costs file (``tcpsim/data/freebsd10.toml``); no number lives here.
"""
from __future__ import annotations

from .steps import READ, WRITE, Acquire, Act, Path, Release, TryAcquire, When, Work

# --- call stacks -------------------------------------------------------------------------------------------
# net.isr.dispatch=direct: ip_input and tcp_input run to completion in the NIC queue's interrupt thread.
INTR = ("ithread_loop", "ixgbe_msix_que", "ixgbe_rxeof", "ether_demux", "netisr_dispatch_src", "ip_input")
TI = ("tcp_input",)
LOOKUP = TI + ("in_pcblookup_mbuf", "in_pcblookup_hash")
SYSCALL = ("amd64_syscall",)
TX = ("tcp_output", "ip_output", "ixgbe_mq_start")  # inline transmit from the sending context


def _lookup(inp: str) -> tuple:
    """in_pcblookup_mbuf(INPLOOKUP_WLOCKPCB): find the pcb under the hash read lock, take a reference, drop
    the hash lock, then lock the pcb (taking it under the hash lock would invert the documented order)."""
    return (
        Acquire("pcbinfohash", READ, "in_pcb.c:1790", LOOKUP),  # inferred
        Work(LOOKUP + ("in_pcblookup_hash_locked",), "pcb_lookup"),
        Release("pcbinfohash"),
        # The article's Figure 5 row "in_pcb.c:1802 (rw:tcpinp)": 5 acquisitions per connection, one per segment.
        Acquire(inp, WRITE, "in_pcb.c:1802", LOOKUP),
    )


def _relock_global(inp: str, frames=TI) -> TryAcquire:
    """State != ESTABLISHED and rw:tcp not yet held: try-lock it; on failure drop the pcb, block, relock."""
    return TryAcquire(
        "tcp", WRITE, "tcp_input.c:1008", frames,  # inferred: the INP_INFO_TRY_WLOCK just above :1013
        on_fail=(
            Release(inp),
            Acquire("tcp", WRITE, "tcp_input.c:1013", frames),
            Acquire(inp, WRITE, "tcp_input.c:1015", frames),  # inferred
        ),
    )


def _tw_close(frames: tuple) -> tuple:
    """tcp_twclose of the oldest TIME-WAIT entry: unhash and free its inpcb (caller holds rw:tcp W)."""
    return (
        Acquire("tw_inp", WRITE, "tcp_timewait.c:686", frames),  # inferred
        Acquire("pcbinfohash", WRITE, "in_pcb.c:1486", frames + ("tcp_twclose", "in_pcbfree", "in_pcbremlists")),  # inferred
        Work(frames + ("tcp_twclose", "in_pcbfree", "in_pcbremlists"), "pcb_unhash"),
        Release("pcbinfohash"),
        Work(frames + ("tcp_twclose", "in_pcbfree"), "tw_close"),
        Release("tw_inp"),
        Act("tw_close_oldest"),  # last: until here "tw_inp" names the head of the list
    )


# --- the NIC driver (interrupt context) -------------------------------------------------------------------------
# One interrupt pass (ixgbe_msix_que) and, per received frame, descriptor + mbuf work and ether/IP input.
INTERRUPT = Path("interrupt", "interrupt", ("ithread_loop",), (
    Work(("ixgbe_msix_que",), "intr_entry"),
))
# ixgbe_txeof in the same handler: descriptors of frames sent on this queue's ring (by any thread: the
# transmit ring follows the flow's RSS hash) are reclaimed here, once per completed frame.
TX_CLEAN = Path("tx_clean", "interrupt", ("ithread_loop", "ixgbe_msix_que"), (
    Work(("ixgbe_txeof",), "tx_complete"),
))
RX_PACKET = Path("rx_packet", "interrupt", INTR[:3], (
    Work((), "rx_descriptor"),
    Work(INTR[3:], "ip_input"),
))

# Frames past the driver's per-pass limit are processed by the queue's taskqueue thread instead: same code
# under a different stack (and counted as system time, not interrupt time).
def deferred_base(base: tuple) -> tuple:
    if base[:2] == ("ithread_loop", "ixgbe_msix_que"):
        return ("taskqueue_thread_loop", "ixgbe_handle_que") + base[2:]
    return base


# --- inbound segments (interrupt context) --------------------------------------------------------------------
SYN = Path("syn", "interrupt", INTR, (
    # SYN flag set: rw:tcp W before the lookup.
    Acquire("tcp", WRITE, "tcp_input.c:778", TI),
    *_lookup("listen_inp"),
    Work(TI + ("tcp_dooptions",), "tcp_input_listen"),
    # syncache_add drops rw:tcp and then the listen pcb lock early; the entry is built under a bucket mutex only.
    Release("tcp"),
    Work(TI + ("syncache_add",), "syncache_add"),
    Release("listen_inp"),
    Acquire("syncache", WRITE, "tcp_syncache.c:1146", TI + ("syncache_add",)),  # inferred
    Work(TI + ("syncache_add", "syncache_insert"), "syncache_insert"),
    Release("syncache"),
    Act("state", "SYN_RECEIVED"),
    Work(TI + ("syncache_add", "syncache_respond") + TX[1:], "tx_packet"),
    Act("send", "SYNACK"),
))

HANDSHAKE_ACK = Path("handshake_ack", "interrupt", INTR, (
    *_lookup("listen_inp"),
    # No SYN/FIN/RST, but the pcb found is the listener (state != ESTABLISHED).
    _relock_global("listen_inp"),
    Work(TI, "tcp_input_listen"),
    Acquire("syncache", WRITE, "tcp_syncache.c:1000", TI + ("syncache_expand",)),  # inferred
    Work(TI + ("syncache_expand", "syncache_lookup"), "syncache_lookup"),
    Release("syncache"),
    # sonewconn: backlog check under the global accept mutex, then the new socket.
    Acquire("accept", WRITE, "uipc_socket.c:537", TI + ("syncache_expand", "syncache_socket", "sonewconn")),  # inferred
    Act("listen_queue_check", abort_reason="listen_queue_overflow"),
    Release("accept"),
    Work(TI + ("syncache_expand", "syncache_socket", "sonewconn", "soalloc"), "soalloc"),
    # tcp_usr_attach re-takes rw:tcp W recursively to allocate inpcb + tcpcb and link them on the global list.
    Acquire("tcp", WRITE, "tcp_usrreq.c:1638", TI + ("syncache_expand", "syncache_socket", "sonewconn", "tcp_usr_attach")),
    Acquire("inp", WRITE, "in_pcb.c:546", TI + ("syncache_expand", "syncache_socket", "sonewconn", "tcp_usr_attach", "in_pcballoc")),  # inferred
    Work(TI + ("syncache_expand", "syncache_socket", "sonewconn", "tcp_usr_attach", "tcp_attach"), "tcp_attach"),
    Release("tcp"),
    # 10.0 queues the socket for accept() inside sonewconn, before it is ESTABLISHED (hence accept takes rw:tcp).
    Acquire("accept", WRITE, "uipc_socket.c:572", TI + ("syncache_expand", "syncache_socket", "sonewconn")),  # inferred
    Act("accept_enqueue"),
    Release("accept"),
    Act("wake_acceptor"),
    Acquire("pcbinfohash", WRITE, "in_pcb.c:1655", TI + ("syncache_expand", "syncache_socket", "in_pcbinshash")),  # inferred
    Work(TI + ("syncache_expand", "syncache_socket", "in_pcbinshash"), "pcb_hash_insert"),
    Release("pcbinfohash"),
    Work(TI + ("syncache_expand", "syncache_socket"), "syncache_socket"),
    Release("listen_inp"),
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
CLIENT_FIN = Path("client_fin", "interrupt", INTR, (
    Acquire("tcp", WRITE, "tcp_input.c:778", TI),
    *_lookup("inp"),
    Work(TI + ("tcp_do_segment",), "tcp_do_segment"),
    # tcp_twstart: with maxtcptw reached, the oldest TIME-WAIT entry is recycled right here, under rw:tcp.
    When("timewait_full", _tw_close(TI + ("tcp_do_segment", "tcp_twstart", "tcp_tw_2msl_scan"))),
    Work(TI + ("tcp_do_segment", "tcp_twstart"), "tcp_twstart"),
    Act("timewait_insert"),
    Act("state", "TIME_WAIT"),
    Work(TI + ("tcp_do_segment", "tcp_twstart", "tcp_twrespond") + TX[1:], "tx_packet"),
    Act("send", "ACK"),
    # The socket is freed: tcp_usr_detach re-takes rw:tcp recursively, sofree takes the accept mutex.
    Acquire("tcp", WRITE, "tcp_usrreq.c:229", TI + ("tcp_do_segment", "tcp_twstart", "sofree", "tcp_usr_detach")),  # inferred
    Acquire("accept", WRITE, "uipc_socket.c:727", TI + ("tcp_do_segment", "tcp_twstart", "sofree")),  # inferred
    Work(TI + ("tcp_do_segment", "tcp_twstart", "sofree"), "sofree"),
    Release("accept"),
    Release("tcp"),
    Release("inp"),
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
ACC = SYSCALL + ("sys_accept", "kern_accept4")
ACCEPT = Path("accept", "syscall", SYSCALL, (
    Work(ACC[1:] + ("falloc",), "accept_entry"),
    Acquire("accept", WRITE, "uipc_syscalls.c:359", ACC[1:]),  # inferred
    Act("accept_dequeue"),
    Release("accept"),
    # tcp_usr_accept read-locks rw:tcp: with writer preference this read waits behind queued writers.
    Acquire("tcp", READ, "tcp_usrreq.c:635", ACC[1:] + ("soaccept", "tcp_usr_accept")),
    Acquire("inp", WRITE, "tcp_usrreq.c:637", ACC[1:] + ("soaccept", "tcp_usr_accept")),  # inferred
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
    Acquire("inp", WRITE, "tcp_usrreq.c:772", ("sys_recvfrom", "kern_recvit", "soreceive_generic", "tcp_usr_rcvd")),  # inferred
    Work(("sys_recvfrom", "kern_recvit", "soreceive_generic", "tcp_usr_rcvd"), "tcp_usr_rcvd"),
    Release("inp"),
    Work(("user:tcp_server_handle_request",), "app_request_user", user=True),
))

SEND = Path("send", "syscall", SYSCALL, (
    Work(("sys_sendto", "kern_sendit", "sosend_generic"), "sosend"),
    Acquire("inp", WRITE, "tcp_usrreq.c:882", ("sys_sendto", "kern_sendit", "sosend_generic", "tcp_usr_send")),  # inferred
    Work(("sys_sendto", "kern_sendit", "sosend_generic", "tcp_usr_send") + TX, "tx_packet"),
    Act("send", "DATA"),
    Release("inp"),
))

SHUTDOWN = Path("shutdown", "syscall", SYSCALL, (
    Work(("sys_shutdown", "soshutdown"), "syscall_entry"),
    Acquire("tcp", WRITE, "tcp_usrreq.c:728", ("sys_shutdown", "soshutdown", "tcp_usr_shutdown")),
    Acquire("inp", WRITE, "tcp_usrreq.c:730", ("sys_shutdown", "soshutdown", "tcp_usr_shutdown")),  # inferred
    Work(("sys_shutdown", "soshutdown", "tcp_usr_shutdown", "tcp_usrclosed"), "tcp_usrclosed"),
    Act("state", "FIN_WAIT_1"),
    # The FIN goes out from tcp_output while rw:tcp is still held.
    Work(("sys_shutdown", "soshutdown", "tcp_usr_shutdown") + TX, "tx_packet"),
    Act("send", "FIN"),
    Release("inp"),
    Release("tcp"),
))

# close(): tcp_usr_close at :984. The code also has tcp_usr_disconnect (:590) on the close path of a still-
# connected socket, but the article's lock profile shows no :590 row among its top six although a row with
# :984's waits would rank there; after shutdown() the socket is already disconnecting, so close() does not go
# through :590 on the test bed. The model follows the profile.
CLOSE = Path("close", "syscall", SYSCALL, (
    Work(("sys_close", "kern_close", "closef", "soclose"), "soclose"),
    Acquire("tcp", WRITE, "tcp_usrreq.c:984", ("sys_close", "kern_close", "closef", "soclose", "tcp_usr_close")),
    Acquire("inp", WRITE, "tcp_usrreq.c:986", ("sys_close", "kern_close", "closef", "soclose", "tcp_usr_close")),  # inferred
    Work(("sys_close", "kern_close", "closef", "soclose", "tcp_usr_close"), "tcp_usr_close"),
    Release("inp"),
    Release("tcp"),
))

# --- callouts --------------------------------------------------------------------------------------------------
# tcp_slowtimo every 500 ms: rw:tcp W across the WHOLE 2MSL scan; every expired entry is closed under it.
SLOWTIMO = Path("slowtimo", "callout", ("fork_exit", "softclock", "softclock_call_cc", "tcp_slowtimo"), (
    Acquire("tcp", WRITE, "tcp_timer.c:170", ()),  # inferred
    Work(("tcp_tw_2msl_scan",), "tw_scan"),
    When("timewait_expired", _tw_close(("tcp_tw_2msl_scan",)), repeat=True),
    Release("tcp"),
))

BASELINE_PATHS = {p.name: p for p in (
    INTERRUPT, TX_CLEAN, RX_PACKET,
    SYN, HANDSHAKE_ACK, DATA, FIN_WAIT_1_ACK, CLIENT_FIN, LATE_SEGMENT,
    ACCEPT, HANDOFF, KEVENT, RECV, SEND, SHUTDOWN, CLOSE, SLOWTIMO,
)}
