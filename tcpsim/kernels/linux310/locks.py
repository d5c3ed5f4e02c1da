"""Linux 3.10's locks on the connection path, declared in the model's vocabulary (``model/locks.py``).

Facts and file:line of every acquisition: ``docs/linux-facts.md`` and ``docs/linux-lock-sites.md``. Displays are
the lockdep class names ``/proc/lock_stat`` prints (those the sites table marks with a dagger are derived from
the init macro's stringification). Two liberties, both so that the lock view can say which lock binds:

* lockdep has one class for every socket's spinlock (``slock-AF_INET``; ``/1`` for the bh_lock_sock_nested
  acquisitions). The model names the listen socket's apart, ``slock-AF_INET (listener)``: it is one lock shared
  by every SYN and handshake ACK, the connections' are one per connection.
* the socket *owner* lock (``lock_sock``: a spinlock plus an ``owned`` flag, a sleeping lock) is not a lock
  declaration: its spinlock part is ``sk_slock`` / ``listen_slock`` and its owned flag the seam's actions
  (``own_listen`` / ``own_conn``, conditions ``listen_owned`` / ``conn_owned``, the socket backlog).

Kinds and classes (issue #17's rules): ``spinlock_t`` = kind mtx, class ticket (3.10's x86 ticket lock,
``arch/x86/include/asm/spinlock.h:50``-``:63``); ``rwlock_t`` = kind rw, class spin (x86 bias rwlock,
reader-preferring, never sleeps); ``struct mutex`` = kind mtx, class adaptive (3.10 mutexes spin while the
owner runs, ``mutex_optimistic_spin``); RCU read sections take nothing and are Work steps.
"""
from __future__ import annotations

from ...model.locks import LockDecl

LISTENER_SLOCK = "slock-AF_INET (listener)"
SLOCK = "slock-AF_INET"

LOCKS = {
    d.name: d
    for d in (
        # the connection's own socket spinlock (sk->sk_lock.slock): bh_lock_sock(_nested) in softirq, and the
        # spinlock half of lock_sock/release_sock in system calls. First connection-scope declaration: the
        # engines make one such lock per connection.
        LockDecl("sk_slock", "mtx", SLOCK, "connection", cls="ticket"),
        # the listen socket's spinlock: every SYN and handshake ACK (tcp_v4_rcv, tcp_ipv4.c:2024), accept()'s
        # lock_sock/release_sock of the listener
        LockDecl("listen_slock", "mtx", LISTENER_SLOCK, "listen", cls="ticket"),
        # the listener's SYN table (struct listen_sock) rwlock, written for each request added and removed
        LockDecl("syn_wait_lock", "rw", "&queue->syn_wait_lock", "listen", cls="spin"),
        # the listener's wait queue (sk_sleep(listener)->lock), taken by sk_data_ready -> __wake_up_sync_key to
        # wake the acceptor
        LockDecl("listen_wq", "mtx", "&wq->wait", "listen", cls="ticket"),
        # the bind-hash bucket of the listening port: every connection accepted on the port lives in it, so it is
        # one lock per listening port (inet_bind_hashbucket.lock)
        LockDecl("bhash", "mtx", "&(&tcp_hashinfo.bhash[i].lock)->rlock", "global", cls="ticket"),
        # the ehash lock array (inet_ehash_lockp): one spinlock per group of buckets, chosen by the flow's hash;
        # the array's size is the costs file's syncache_buckets (the engines' 'bucket' scope)
        LockDecl("ehash", "mtx", "&(&hashinfo->ehash_locks[i])->rlock", "bucket", cls="ticket"),
        # tcp_death_row.death_lock: ONE lock for every TIME-WAIT socket of the machine (inet_twsk_schedule,
        # the hangman)
        LockDecl("death_lock", "mtx", "tcp_death_row.death_lock", "global", cls="ticket"),
        # the server process's descriptor table (files->file_lock): one per process, shared by its threads
        LockDecl("file_lock", "mtx", "&(&newf->file_lock)->rlock", "global", cls="ticket"),
        # eventpoll's global epmutex: every epoll_ctl ADD/DEL and every close of a file still in an epoll set
        LockDecl("epmutex", "mtx", "epmutex", "global", cls="adaptive"),
        # per TX queue: the pfifo_fast qdisc's root lock (mq gives each TX queue its own) and the queue's
        # _xmit_lock (HARD_TX_LOCK)
        LockDecl("qdisc_lock", "mtx", "&(&sch->q.lock)->rlock", "txring", cls="ticket"),
        LockDecl("xmit_lock", "mtx", "_xmit_ETHER", "txring", cls="ticket"),
    )
}

# lockdep's order, as the paths take the locks (each arrow is a nesting in the 3.10 source):
#   listener slock -> child slock          tcp_v4_rcv (tcp_ipv4.c:2024) -> sk_clone_lock (sock.c:1425)
#   listener slock -> syn_wait_lock         tcp_v4_conn_request -> reqsk_queue_hash_req (request_sock.h:274)
#   child slock    -> bind-hash bucket      sk_clone_lock -> __inet_inherit_port (inet_hashtables.c:115)
#   child slock    -> ehash lock            __inet_hash_nolisten (inet_hashtables.c:414)
#   listener slock -> listener wait queue   tcp_child_process -> sock_def_readable (sched/core.c:3238)
#   socket slock   -> death_lock            tcp_time_wait -> inet_twsk_schedule (inet_timewait_sock.c:373)
#   socket slock   -> qdisc lock -> (released) _xmit_lock: the SYN|ACK and the RST leave under the listener's
# The bind-hash bucket and the ehash lock are never held together on these paths (the hash dance releases the
# bucket before it takes the ehash lock, inet_timewait_sock.c:140-146); the list puts them in the order the
# handshake takes them. file_lock and epmutex are taken with nothing else held.
DOCUMENTED_ORDER = (
    LISTENER_SLOCK, SLOCK, "&queue->syn_wait_lock", "&wq->wait", "&(&tcp_hashinfo.bhash[i].lock)->rlock",
    "&(&hashinfo->ehash_locks[i])->rlock", "tcp_death_row.death_lock", "&(&sch->q.lock)->rlock", "_xmit_ETHER",
    "&(&newf->file_lock)->rlock", "epmutex",
)
