"""Built-in variants of Linux 3.10's paths, as patches (``model/patches.py``), and the changes that make Linux
4.4's connection path out of 3.10's (``kernels/linux44.py`` applies them all).

Sites a variant adds carry the line of the version that introduced them (4.4.1, ``zanpocc/linux-4.4.1`` at
``d4321c96``: docs/linux-lock-sites.md, "Linux 4.4 differences", each row verified there); sites it keeps,
3.10.0's -- as FreeBSD's variants carry 10.2's lines for what r264321 added.
"""
from __future__ import annotations

from ...model.variants import Variant
from .paths import BACKLOG, DO_RCV

BASELINE = Variant("baseline", "Linux 3.10.0 as released: the paths of kernels/linux310, unpatched.")

# SO_REUSEPORT (3.9, commit c617f398edd4 "soreuseport: TCP/IPv4 implementation"): every worker opens its own
# listen socket on the port; __inet_lookup_listener (inet_hashtables.c:190-210) scores the chain and picks one
# of the equal best by the flow's hash, so each listener -- its spinlock, SYN table, accept queue, wait queue --
# sees about 1/N of the connections, and each worker accepts from its own (nginx-style: accept, then serve).
# The lookup's walk over all N listeners of the chain (compute_score per listener) is not modelled: one
# listener_lookup cost, as with one listener.
REUSEPORT = Variant("reuseport", """SO_REUSEPORT (3.9): a listen socket per worker, chosen by the flow's hash;
    each worker accepts on its own and serves what it accepted.""", ({"op": "app", "acceptors": "per_worker"},))

# --- Linux 4.4's listener (Eric Dumazet's "lockless listener" series, 4.4) -------------------------------------
_CR = ("tcp_rcv_state_process", "tcp_v4_conn_request", "inet_csk_reqsk_queue_hash_add", "reqsk_queue_hash_req",
       "inet_ehash_insert")
_ACCEPT = ("sys_accept4", "inet_accept", "inet_csk_accept", "reqsk_queue_remove")


def _unlocked(path: str) -> list:
    """tcp_v4_rcv (4.4.1 tcp_ipv4.c:1632): a segment for a LISTEN socket goes to tcp_v4_do_rcv with no lock
    taken, so it never meets the listener owned: no listener spinlock, no backlog check."""
    return [{"op": "drop", "site": "tcp_ipv4.c:2024", "path": path},
            {"op": "remove", "path": path, "first": "when:listen_owned", "last": "when:listen_owned"}]


def _request_in_ehash(path: str, base: tuple) -> list:
    """tcp_conn_request (4.4.1): the request is hashed -- into ehash, as a TCP_NEW_SYN_RECV socket, under its
    bucket's ehash lock (inet_ehash_insert, inet_hashtables.c:425) -- before the SYN|ACK is sent (tcp_input.c:
    6292-6293); its timer (mod_timer_pinned, this CPU's timer base) folded into reqsk_hash_add."""
    frames = list(base + _CR)
    return [
        {"op": "insert", "path": path, "before": "cost:reqsk_hash_add",
         "steps": [{"acquire": "ehash", "mode": "W", "site": "inet_hashtables.c:425", "frames": frames}]},
        {"op": "insert", "path": path, "after": "cost:reqsk_hash_add", "steps": [{"release": "ehash"}]},
        {"op": "move", "path": path, "first": "site:inet_hashtables.c:425", "last": "release:ehash",
         "before": "cost:make_synack"},
    ]


def _accept_queue_lock(path: str, base: tuple) -> list:
    """inet_csk_complete_hashdance -> inet_csk_reqsk_queue_add (4.4.1 inet_connection_sock.c:797): the accept
    queue has its own spinlock, rskq_lock (the listener's lock protected it in 3.10)."""
    frames = list(base + ("tcp_v4_hnd_req", "tcp_check_req", "inet_csk_complete_hashdance",
                          "inet_csk_reqsk_queue_add"))
    return [
        {"op": "insert", "path": path, "before": "act:accept_enqueue",
         "steps": [{"acquire": "rskq_lock", "mode": "W", "site": "inet_connection_sock.c:797", "frames": frames}]},
        {"op": "insert", "path": path, "after": "act:accept_enqueue", "steps": [{"release": "rskq_lock"}]},
    ]


LOCKLESS_LISTENER = Variant(
    "lockless_listener",
    """Linux 4.4's listener on 3.10: no listener spinlock for a SYN or a handshake ACK (so no listener backlog
    for them); the request sits in ehash (under its ehash lock) instead of the listener's SYN table (no
    syn_wait_lock); the accept queue has its own spinlock, rskq_lock, taken by the handshake and by accept().""",
    (
        {"op": "lock", "name": "rskq_lock", "kind": "mtx", "display": "&queue->rskq_lock", "scope": "listen",
         "class": "ticket"},
        *_unlocked("syn"), *_unlocked("handshake_ack"), *_unlocked("listen_rst"),
        # the SYN table and its rwlock are gone (reqsk_queue_hash_req, reqsk_queue_unlink work on ehash)
        {"op": "drop", "site": "request_sock.h:274"},
        {"op": "drop", "site": "request_sock.h:191"},
        *_request_in_ehash("syn", DO_RCV), *_request_in_ehash("syn_backlog", BACKLOG),
        *_accept_queue_lock("handshake_ack", DO_RCV), *_accept_queue_lock("handshake_ack_backlog", BACKLOG),
        # accept(): reqsk_queue_remove under rskq_lock, BH off (4.4.1 request_sock.h:194), the listener owned
        {"op": "insert", "path": "accept", "before": "act:accept_dequeue",
         "steps": [{"acquire": "rskq_lock", "mode": "W", "site": "request_sock.h:194", "frames": list(_ACCEPT)}]},
        {"op": "insert", "path": "accept", "after": "act:accept_dequeue", "steps": [{"release": "rskq_lock"}]},
    ),
)

# --- the rest of 4.4's connection path -----------------------------------------------------------------------
TW_TIMERS = Variant(
    "tw_timers",
    """Linux 4.4's TIME-WAIT: no death row -- each TIME-WAIT sock has its own pinned timer (__inet_twsk_schedule,
    4.4.1 inet_timewait_sock.c:251: mod_timer_pinned, this CPU's timer base: folded into twsk_schedule), so
    neither tcp_time_wait nor the client's FIN takes the global death_lock; the timer's handler kills the sock
    (tw_timer_handler -> inet_twsk_kill: ehash lock :50, folded; bind bucket :58).""",
    (
        {"op": "drop", "site": "inet_timewait_sock.c:373"},
        {"op": "path", "name": "tw_expiry", "context": "callout",
         "base": ["common_interrupt", "do_IRQ", "irq_exit", "__do_softirq"],
         "steps": [{"when": "timewait_expired", "repeat": True, "steps": [
             {"acquire": "bhash", "mode": "W", "site": "inet_timewait_sock.c:58",
              "frames": ["run_timer_softirq", "call_timer_fn", "tw_timer_handler", "inet_twsk_kill"]},
             {"act": "tw_close_oldest"},
             {"work": "tw_kill", "frames": ["run_timer_softirq", "call_timer_fn", "tw_timer_handler",
                                            "inet_twsk_kill"]},
             {"release": "bhash"}]}]},
    ),
)
FD_RCU = Variant(
    "fd_rcu",
    """Linux 4.4's descriptor table: fd_install publishes the file under RCU-sched without the table's lock
    (__fd_install, 4.4.1 file.c:609); allocating and closing a descriptor still take it.""",
    ({"op": "drop", "site": "file.c:572"},),
)
EPOLL_ADD_NO_EPMUTEX = Variant(
    "epoll_add_no_epmutex",
    """Linux 4.4's epoll_ctl: the global epmutex only for a nested epoll or a file already in another epoll set
    (4.4.1 eventpoll.c:1891, relaxed in 3.13): a plain ADD takes only the instance's own ep->mtx.""",
    ({"op": "drop", "site": "eventpoll.c:1851"},),
)
QSPINLOCK = Variant(
    "qspinlock",
    """Linux 4.4's spinlock_t on x86 is the queued spinlock (qspinlock, x86 Kconfig: ARCH_USE_QUEUED_SPINLOCKS):
    waiters queue MCS-style, each spinning on its own node, and a release hands off to the next in line.""",
    tuple({"op": "class", "lock": name, "class": "mcs"} for name in (
        "sk_slock", "listen_slock", "listen_wq", "bhash", "ehash", "death_lock", "file_lock", "qdisc_lock",
        "xmit_lock")),
)
# The acquisitions 4.4 keeps, at their 4.4.1 lines (each read in zanpocc/linux-4.4.1 at d4321c96: the same call
# in the same function; docs/linux-lock-sites.md maps the rest)
LINES_441 = {
    "tcp_ipv4.c:2024": "tcp_ipv4.c:1639",  # tcp_v4_rcv: bh_lock_sock_nested (non-LISTEN sockets only)
    "sock.c:2287": "sock.c:2434",  # lock_sock_nested: spin_lock_bh
    "sock.c:2307": "sock.c:2454",  # release_sock: spin_lock_bh
    "sock.c:1425": "sock.c:1519",  # sk_clone_lock: bh_lock_sock(newsk)
    "tcp.c:2153": "tcp.c:2120",  # tcp_close: bh_lock_sock
    "inet_hashtables.c:88": "inet_hashtables.c:111",  # __inet_put_port
    "inet_hashtables.c:115": "inet_hashtables.c:138",  # __inet_inherit_port
    "inet_hashtables.c:414": "inet_hashtables.c:425",  # the child into ehash: inet_ehash_nolisten -> inet_ehash_insert
    "inet_timewait_sock.c:140": "inet_timewait_sock.c:115",  # __inet_twsk_hashdance: bind bucket
    "inet_timewait_sock.c:146": "inet_timewait_sock.c:121",  # __inet_twsk_hashdance: ehash lock
    "sched/core.c:3238": "sched/wait.c:144",  # __wake_up_sync_key (moved to kernel/sched/wait.c)
    "dev.c:2674": "dev.c:2890",  # __dev_xmit_skb: root_lock
    "sch_generic.c:122": "sch_generic.c:163",  # sch_direct_xmit: HARD_TX_LOCK
    "sch_generic.c:128": "sch_generic.c:169",  # sch_direct_xmit: root_lock again
    "file.c:468": "file.c:503",  # __alloc_fd
    "file.c:594": "file.c:639",  # __close_fd
    "eventpoll.c:890": "eventpoll.c:925",  # eventpoll_release_file: epmutex
}
LINES = Variant("lines_441", "the acquisitions 4.4 keeps, at their 4.4.1 lines",
                tuple({"op": "site", "site": a, "to": b} for a, b in LINES_441.items()))

# kernels/linux44.py: all of them, the accept queue's lock (which only the lockless listener declares) queued too,
# and the sites renumbered
LINUX44 = (LOCKLESS_LISTENER, TW_TIMERS, FD_RCU, EPOLL_ADD_NO_EPMUTEX, QSPINLOCK,
           Variant("rskq_qspinlock", "rskq_lock as a qspinlock", ({"op": "class", "lock": "rskq_lock", "class": "mcs"},)),
           LINES)

BUILTIN = {v.name: v for v in (BASELINE, REUSEPORT, LOCKLESS_LISTENER, TW_TIMERS, FD_RCU, EPOLL_ADD_NO_EPMUTEX, QSPINLOCK)}
