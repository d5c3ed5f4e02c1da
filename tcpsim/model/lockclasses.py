"""Lock implementations ("classes"): how a lock's waiters wait and how a release reaches the next holder.

A lock declaration (``locks.LockDecl``) has a kind (``rw``: readers and writers, ``mtx``: one owner) and a class,
the algorithm. The class decides only the waiting: who may hold the lock at once is the kind's (``rwlock.py``).
Engines honour every class the same way; the time each class's hand-off takes comes from the cache lines it
moves between the CPUs involved (``topology.transfer_table``), never from a fitted curve.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LockClass:
    name: str
    kinds: tuple  # the lock kinds it can implement
    sleeps: bool  # a waiter may leave its CPU (turnstile) instead of spinning
    fifo: bool  # waiters get the lock in arrival order (no race)
    source: str  # what it models


CLASSES = {
    c.name: c
    for c in (
        LockClass("adaptive", ("rw", "mtx"), True, False,
                  "FreeBSD 10.0 mutex(9)/rwlock(9): spin while the owner runs, else sleep on a turnstile "
                  "(__mtx_lock_sleep in kern/kern_mutex.c, __rw_wlock_hard/__rw_rlock in kern/kern_rwlock.c)"),
        LockClass("spin", ("rw", "mtx"), False, False,
                  "FreeBSD spin mutex (MTX_SPIN, _mtx_lock_spin_cookie in kern/kern_mutex.c): test-and-test-and-set "
                  "in a critical section, never sleeps; with kind rw, a reader-writer spinlock"),
        LockClass("ticket", ("mtx",), False, True,
                  "ticket spinlock (Linux 3.10 arch_spin_lock, arch/x86/include/asm/spinlock.h): fetch-and-add a "
                  "ticket, spin until now-serving reaches it"),
        LockClass("mcs", ("mtx",), False, True,
                  "queued (MCS) spinlock (Mellor-Crummey and Scott 1991; Linux 4.4 queued_spin_lock_slowpath): each "
                  "waiter spins on its own node, the releaser writes its successor's"),
        LockClass("epoch", ("rw",), True, False,
                  "lock-free reads (RCU, epoch(9), SMR): readers take nothing; writers exclude each other as an "
                  "adaptive mutex; a retired object is freed after a grace period"),
    )
}
DEFAULT = "adaptive"
