"""Linux 3.10's system calls of the article's server application: accept, epoll, recv, send, shutdown, close.

The application as on Linux: one accept thread (blocking accept4) hands each descriptor to the next worker by
registering it in that worker's epoll (epoll_ctl ADD, under the global epmutex); each worker waits in
epoll_wait, then does one recv, one send, shutdown(SHUT_WR) and close. Sites: ``docs/linux-lock-sites.md``.

``lock_sock`` / ``release_sock`` (sock.c:2284-2297, :2300): the socket's spinlock taken with BH off
(sock.c:2287), the owner flag set (``own_*``), the spinlock dropped; at release, the backlog the softirq queued
meanwhile is run by this thread (the ``DrainBacklog`` program operation between a ``*`` path and its
``*_release`` path), then the spinlock is re-taken (sock.c:2307) to clear the flag (``unown_*``). While a
thread owns a socket, the softirq does not process its segments: it appends them to the backlog.

Per-socket and per-epoll locks that only their owner takes at this point (the socket's sk_callback_lock in
sock_graft / sock_orphan, the epoll instance's ep->mtx and ep->lock, the socket's wait queue) are folded into
the work they guard: the model has no per-worker lock scope, and none of them is shared by two CPUs per
connection except ep->lock (the softirq's ep_poll_callback against the worker's epoll_wait: folded, see the
sites table).
"""
from __future__ import annotations

from ...model.steps import WRITE, Acquire, Act, Path, Release, Work
from .paths import SYSCALL, held, transmit


def lock_sock(lock: str, frames: tuple) -> tuple:
    """lock_sock(sk) (lock_sock_nested, sock.c:2284): spin_lock_bh(slock), owned = 1, spin_unlock_bh. Nobody
    else owns these sockets when the application takes them (one acceptor; a connection's owner is its
    worker), so __lock_sock's sleep is not modelled."""
    own = "own_listen" if lock == "listen_slock" else "own_conn"
    at = frames + ("lock_sock_nested",)
    return (Acquire(lock, WRITE, "sock.c:2287", at), Work(at, "lock_sock"), Act(own), Release(lock))


def release_sock(lock: str, frames: tuple) -> tuple:
    """The end of release_sock (sock.c:2300) after __release_sock ran the backlog: the spinlock re-taken
    (sock.c:2307), owned = 0, sleepers woken, unlocked."""
    unown = "unown_listen" if lock == "listen_slock" else "unown_conn"
    at = frames + ("release_sock",)
    return (Acquire(lock, WRITE, "sock.c:2307", at), Work(at, "release_sock"), Act(unown), Release(lock))


def release_path(name: str, lock: str, frames: tuple, then: tuple = ()) -> Path:
    """A path that ends a system call's ownership of a socket: release_sock, then ``then``."""
    return Path(name, "syscall", SYSCALL, release_sock(lock, frames) + then)


ACC = ("sys_accept4",)
CSK = ACC + ("inet_accept", "inet_csk_accept")
# accept4 up to the listener's lock_sock: the descriptor first (get_unused_fd_flags -> __alloc_fd, the process's
# fd table lock, file.c:468), the socket and its file (sock_alloc, sock_alloc_file: no shared lock found)
ACCEPT_ENTER = Path("accept_enter", "syscall", SYSCALL, (
    Work(ACC + ("sock_alloc",), "accept_entry"),
    *held("file_lock", "file.c:468", ACC + ("get_unused_fd_flags", "__alloc_fd"), "alloc_fd"),
    *lock_sock("listen_slock", CSK),
))
# inet_csk_accept with the listener owned (inet_connection_sock.c:312): the queue is not empty (the program
# asked), so reqsk_queue_remove (:334) -- the accept queue is protected by the listener's ownership
ACCEPT = Path("accept", "syscall", SYSCALL, (
    Act("accept_dequeue"),
    Work(CSK + ("reqsk_queue_remove",), "inet_csk_accept"),
))
ACCEPT_RELEASE = release_path("accept_release", "listen_slock", CSK)  # inet_connection_sock.c:353
# inet_accept: lock_sock(child) (af_inet.c:711), sock_graft (sk_callback_lock W, folded), release_sock (:722)
ACCEPT_CHILD = Path("accept_child", "syscall", SYSCALL, (
    *lock_sock("sk_slock", ACC + ("inet_accept",)),
    Work(ACC + ("inet_accept", "sock_graft"), "sock_graft"),
))
# then fd_install (socket.c:1627 -> __fd_install: the fd table lock again, file.c:572) and the address copied out
ACCEPT_CHILD_RELEASE = release_path("accept_child_release", "sk_slock", ACC + ("inet_accept",), (
    *held("file_lock", "file.c:572", ACC + ("fd_install", "__fd_install"), "fd_install"),
    Work(ACC + ("move_addr_to_user",), "accept_exit"),
))

# the accept thread's own code, then epoll_ctl(ADD) of the descriptor in the chosen worker's epoll: the global
# epmutex (eventpoll.c:1851; 3.10 takes it for every ADD and DEL), ep->mtx, ep_insert (socket wait queue, ep->lock:
# folded)
EPC = ("sys_epoll_ctl",)
EPOLL_CTL_ADD = Path("epoll_ctl_add", "syscall", SYSCALL, (
    Work(("user:tcp_server_accept_loop",), "app_accept_user", user=True),
    Acquire("epmutex", WRITE, "eventpoll.c:1851", EPC),
    Work(EPC + ("ep_insert",), "epoll_ctl_add"),
    Release("epmutex"),
))

# a worker's epoll_wait returning the ready descriptor: ep_poll (ep->lock), ep_send_events -> ep_scan_ready_list
# (ep->mtx, ep->lock): the worker's own epoll instance, folded
EPOLL_WAIT = Path("epoll_wait", "syscall", SYSCALL, (
    Work(("sys_epoll_wait", "ep_poll", "ep_send_events", "ep_scan_ready_list"), "epoll_wait"),
))

RCV = ("sys_recvfrom", "sock_recvmsg", "inet_recvmsg", "tcp_recvmsg")
RECV = Path("recv", "syscall", SYSCALL, (
    *lock_sock("sk_slock", RCV),  # tcp.c:1554
    Work(RCV + ("skb_copy_datagram_iovec",), "tcp_recvmsg"),
    Work(RCV + ("tcp_cleanup_rbuf",), "tcp_cleanup_rbuf"),
))
RECV_RELEASE = release_path("recv_release", "sk_slock", RCV, (  # tcp.c:1928
    Work(("user:tcp_server_handle_request",), "app_request_user", user=True),
))

SND = ("sys_sendto", "sock_sendmsg", "inet_sendmsg", "tcp_sendmsg")
# tcp_sendmsg (lock_sock tcp.c:1027): the response copied in and sent while the socket is owned (its spinlock is
# not held): tcp_push -> tcp_write_xmit -> tcp_transmit_skb -> ip_queue_xmit; the retransmit timer armed
# (the CPU's timer base lock: folded into mod_timer)
XMIT = SND + ("tcp_push", "__tcp_push_pending_frames", "tcp_write_xmit", "tcp_transmit_skb", "ip_queue_xmit",
              "ip_local_out", "ip_output")
SEND = Path("send", "syscall", SYSCALL, (
    *lock_sock("sk_slock", SND),
    Work(SND + ("skb_add_data_nocache",), "tcp_sendmsg"),
    *transmit(XMIT, "DATA"),
    Work(SND + ("tcp_push", "__tcp_push_pending_frames", "tcp_write_xmit", "tcp_event_new_data_sent",
                "sk_reset_timer", "mod_timer"), "mod_timer"),
))
SEND_RELEASE = release_path("send_release", "sk_slock", SND)  # tcp.c:1220

SHT = ("sys_shutdown", "inet_shutdown")
# inet_shutdown (lock_sock af_inet.c:825) -> tcp_shutdown (tcp.c:2018): FIN_WAIT1, tcp_send_fin
SHUTDOWN = Path("shutdown", "syscall", SYSCALL, (
    Work(SHT, "syscall_entry"),
    *lock_sock("sk_slock", SHT),
    Work(SHT + ("tcp_shutdown",), "tcp_shutdown"),
    Act("state", "FIN_WAIT_1"),
    *transmit(SHT + ("tcp_shutdown", "tcp_send_fin", "__tcp_push_pending_frames", "tcp_write_xmit",
                     "tcp_transmit_skb", "ip_queue_xmit", "ip_local_out", "ip_output"), "FIN"),
))
SHUTDOWN_RELEASE = release_path("shutdown_release", "sk_slock", SHT)  # af_inet.c:861

CLS = ("sys_close",)
FPUT = ("task_work_run", "____fput", "__fput")
TCL = FPUT + ("sock_close", "sock_release", "inet_release", "tcp_close")
# close(): __close_fd under the fd table lock (file.c:594); the last fput (on return to user space: task_work)
# -> __fput -> eventpoll_release_file, the descriptor still being in the worker's epoll: the global epmutex
# (eventpoll.c:890; ep->mtx, ep_remove's ep->lock folded) -> sock_close -> inet_release -> tcp_close
# (lock_sock tcp.c:2058): FIN already sent, FIN_WAIT1 stays; sock_orphan (sk_callback_lock W, folded)
CLOSE = Path("close", "syscall", SYSCALL, (
    *held("file_lock", "file.c:594", CLS + ("__close_fd",), "close_fd"),
    Work(FPUT + ("sock_close",), "sock_close"),
    Acquire("epmutex", WRITE, "eventpoll.c:890", FPUT + ("eventpoll_release_file",)),
    Work(FPUT + ("eventpoll_release_file", "ep_remove"), "ep_remove"),
    Release("epmutex"),
    *lock_sock("sk_slock", TCL),
    Work(TCL, "tcp_close"),
))
# release_sock (tcp.c:2146), then bh_lock_sock (tcp.c:2153, BH off) for the orphan's bookkeeping (per-CPU
# orphan counter), bh_unlock_sock (:2218)
CLOSE_RELEASE = release_path("close_release", "sk_slock", TCL, (
    *held("sk_slock", "tcp.c:2153", TCL, "tcp_close_orphan"),
))

SYSCALL_PATHS = {p.name: p for p in (
    ACCEPT_ENTER, ACCEPT, ACCEPT_RELEASE, ACCEPT_CHILD, ACCEPT_CHILD_RELEASE, EPOLL_CTL_ADD, EPOLL_WAIT,
    RECV, RECV_RELEASE, SEND, SEND_RELEASE, SHUTDOWN, SHUTDOWN_RELEASE, CLOSE, CLOSE_RELEASE,
)}
