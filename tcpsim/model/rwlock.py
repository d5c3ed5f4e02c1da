"""rwlock(9) and mutex(9) rules: who may take a lock now, who waits how, who races on release.

The one home of the lock semantics (``shared/reference/freebsd10-locking.md``, "rwlock(9) and mutex behaviour"):

* A writer gets the lock only when nobody holds it. A reader gets it when no writer holds it and no writer
  is flagged as waiting on the turnstile or spinning against readers (writer preference), unless the reader
  already holds a read lock (FreeBSD lets such a thread in to avoid deadlock).
* A waiter spins (its CPU stays busy) while the write owner is running on a CPU, while the lock is in transit
  to the next owner, or, for a bounded time, while the lock is read-held; otherwise it sleeps on the
  turnstile (its CPU is free) and sets the waiters flag.
* Release has no hand-off: the lock becomes free, every sleeping writer (else every sleeping reader) is woken
  to retry, and the spinners race; the winner gets the lock after its cache line has moved. The race is fair
  unless the scenario gives CPUs unequal weights ([hardware] lock_race_weight, an experiment knob).
* Recursion (when the lock allows it) counts as one hold.
Mutexes are the same object with write mode only.

Engines keep the time; this module only keeps state and makes decisions.
"""
from __future__ import annotations

from .steps import READ, WRITE

# Where a waiter's spinning shows in a profile: FreeBSD's slow paths for each lock kind and mode.
SPIN_FUNCTION = {("rw", WRITE): "__rw_wlock_hard", ("rw", READ): "__rw_rlock", ("mtx", WRITE): "__mtx_lock_sleep"}


class Waiter:
    __slots__ = ("thread", "mode", "event", "since", "spinning", "spin_start", "on_readers", "site", "stack")

    def __init__(self, thread, mode, event, since, site, stack):
        self.thread = thread
        self.mode = mode
        self.event = event
        self.since = since
        self.spinning = True
        self.spin_start = since
        self.on_readers = False  # spinning against readers (bounded); a writer doing so sets RW_LOCK_WRITE_SPINNER
        self.site = site
        self.stack = stack


class LockState:
    __slots__ = (
        "decl", "display", "kind", "recursive", "owner", "wrec", "readers", "nreaders", "spinners",
        "sleepers", "in_transit", "last_cpu", "hold_start", "hold_key", "read_holds",
    )

    def __init__(self, decl):
        self.decl = decl
        self.display = decl.display
        self.kind = decl.kind
        self.recursive = decl.recursive
        self.owner = None  # write owner (thread)
        self.wrec = 0  # write recursion depth beyond the first hold
        self.readers = {}  # thread -> read hold count
        self.nreaders = 0
        self.spinners = []  # Waiter, in arrival order
        self.sleepers = []  # Waiter on the turnstile
        self.in_transit = False  # released, winner chosen, cache line moving
        self.last_cpu = -1  # CPU that last updated the lock word
        self.hold_start = 0
        self.hold_key = None
        self.read_holds = {}  # thread -> [(start, profile key)] of its read holds, outermost first

    # --- queries ---------------------------------------------------------------------------------------------
    def busy(self) -> bool:
        return self.owner is not None or self.nreaders > 0 or self.in_transit

    def writer_flagged(self) -> bool:
        """RW_LOCK_WRITE_WAITERS or RW_LOCK_WRITE_SPINNER set."""
        if any(w.mode == WRITE for w in self.sleepers):
            return True
        return any(w.mode == WRITE and w.on_readers for w in self.spinners)

    def can_grant(self, thread, mode: str) -> bool:
        if self.in_transit or self.owner is not None:
            return False
        if mode == WRITE:
            return self.nreaders == 0
        return thread.rlocks > 0 or not self.writer_flagged()

    def is_recursion(self, thread, mode: str) -> bool:
        if not self.recursive:
            return False
        if mode == WRITE:
            return self.owner is thread
        return thread in self.readers

    def should_spin(self) -> bool:
        """Adaptive spinning: the owner runs, the lock is in transit, or readers hold it (bounded by caller)."""
        if self.in_transit:
            return True
        if self.owner is not None:
            return self.owner.running
        return self.nreaders > 0

    # --- state changes ---------------------------------------------------------------------------------------
    def grant(self, thread, mode: str) -> bool:
        """Give the lock to ``thread``; return whether the lock word was last updated on another CPU."""
        cpu = thread.cpu
        line_moved = self.last_cpu not in (-1, cpu)
        self.in_transit = False
        if mode == WRITE:
            self.owner = thread
        else:
            self.readers[thread] = 1
            self.nreaders += 1
            thread.rlocks += 1
        self.last_cpu = cpu
        return line_moved

    def recurse(self, thread, mode: str) -> None:
        if mode == WRITE:
            self.wrec += 1
        else:
            self.readers[thread] += 1

    def release(self, thread) -> bool:
        """Drop one hold; return True when it was the outermost hold (the lock word changed hands)."""
        if self.owner is thread:
            if self.wrec:
                self.wrec -= 1
                return False
            self.owner = None
            self.last_cpu = thread.cpu
            return True
        n = self.readers.get(thread)
        if n is None:
            raise RuntimeError(f"{thread.name} releases {self.display} it does not hold")
        if n > 1:
            self.readers[thread] = n - 1
            return False
        del self.readers[thread]
        self.nreaders -= 1
        thread.rlocks -= 1
        self.last_cpu = thread.cpu
        return True

    def free(self) -> bool:
        return self.owner is None and self.nreaders == 0 and not self.in_transit

    def turnstile_broadcast(self) -> list:
        """Wake every sleeping writer if there is one, else every sleeping reader (no hand-off)."""
        writers = [w for w in self.sleepers if w.mode == WRITE]
        woken = writers if writers else list(self.sleepers)
        if woken:
            self.sleepers = [w for w in self.sleepers if w not in woken]
        return woken

    def race(self, rng, cpu_weight=None) -> list:
        """Pick the spinners that win the free lock: one writer, or every spinning reader.

        While a writer spins against readers (the WRITE_SPINNER flag) only writers can win. Otherwise every
        spinner's compare-and-set is equally likely to land first, unless ``cpu_weight`` (one number per CPU,
        CPUs past its end weigh 1) says some CPUs win the cache-line race more often than others.
        """
        if not self.spinners:
            return []
        flagged = [w for w in self.spinners if w.mode == WRITE and w.on_readers]
        pool = flagged if flagged else self.spinners
        if len(pool) == 1:
            winner = pool[0]
        elif cpu_weight is None:
            winner = pool[rng.randrange(len(pool))]
        else:
            weights = [cpu_weight[w.thread.cpu] if w.thread.cpu < len(cpu_weight) else 1.0 for w in pool]
            x = rng.random() * sum(weights)
            winner = pool[-1]
            for w, weight in zip(pool, weights):
                x -= weight
                if x < 0:
                    winner = w
                    break
        if winner.mode == WRITE:
            return [winner]
        return [w for w in self.spinners if w.mode == READ]
