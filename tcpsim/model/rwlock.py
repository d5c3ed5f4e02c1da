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

The lock word's cache line serves one CPU at a time. A CPU that writes the word must first own its line; the
lock keeps where the line is (``last_cpu``, the CPU that last wrote the word) and when it is next free
(``line_free``, the end of the last transfer under way). A transfer starts no earlier than ``line_free``, takes
the distance's time (``model/topology.py``) and moves ``line_free`` on, so transfers queue one behind the other
(``LockState.line_transfer``). What writes the word (FreeBSD 10, kern/kern_rwlock.c; 9.3's copy the same):

* every acquisition: ``__rw_rlock`` bumps the reader count with ``atomic_cmpset_acq_ptr(&rw->rw_lock, v,
  v + RW_ONE_READER)``, ``__rw_wlock`` (and a mutex's ``_mtx_obtain_lock``) sets the owner with a
  compare-and-set; a grant whose line is on another CPU waits for it (``write_word``), inside the hold;
* a read release: ``_rw_runlock_cookie`` drops the count (``atomic_cmpset_rel_ptr(&rw->rw_lock, x,
  x - RW_ONE_READER)``), or sets RW_UNLOCKED for the last reader: the releasing reader waits for the line too,
  charged under ``_rw_runlock_cookie`` (``_raw_read_unlock`` for a spin-class rwlock);
* a write release writes the word as well (``__rw_wunlock``, ``_mtx_release_lock``), but no other CPU can
  have written it during a write hold, so the line is already the writer's: never a transfer;
* a hand-off (``handoff_cost``) is a transfer: it starts when the line is free and holds it until it ends.

Not modelled: a recursive read acquisition or a nested read release (each also writes the word in FreeBSD;
recursion counts as one hold here), the readers that share a lock the hand-off gave to readers (they ride on
the hand-off), and a release on an aborted path (the line moves, the thread is not charged).

The lock's class (``lockclasses.py``) changes only how waiters wait and how a release reaches the next holder:

* ``adaptive``: as above.
* ``spin`` (FreeBSD spin mutex; with kind rw a reader-writer spinlock): a waiter spins whatever the owner does
  and never sleeps; the release race and its cost are the adaptive lock's (test-and-test-and-set: every spinner
  re-reads the line and tries its compare-and-set). The holder is in a critical section (spinlock_enter): it is
  not preempted until it releases. Its spinner is preemptible: 9.3's ``_mtx_lock_spin`` (kern/kern_mutex.c;
  10.x's ``_mtx_lock_spin_cookie``) calls spinlock_exit before its read-only spin loop ("give interrupts a chance").
* ``ticket``: waiters are served in arrival order. The release writes now-serving: every waiter's copy of the
  line is invalidated and every waiter re-reads it; the interconnect serves those reads one at a time, in an order
  the model draws, and the next ticket holder takes the lock when its own read has been served -- so the hand-off
  costs the transfers to the waiters served before it, and grows with the number of waiters.
* ``mcs``: waiters are served in arrival order, each spinning on its own node; the release writes the
  successor's node only: one line transfer, whatever the number of waiters.
  Ticket and MCS waiters and holders are not preempted (Linux takes them with preemption disabled).
* ``epoch`` (RCU, epoch(9)): a read takes nothing -- no lock word, no wait, no profile row -- and only marks the
  thread as inside a read section; writers exclude each other as an adaptive mutex and never wait for readers.
  An object a writer retires is freed once every read section open at the retire has ended (the grace period),
  plus ``epoch_grace_detect`` for the machinery to notice.

Engines keep the time; this module only keeps state and makes decisions.
"""
from __future__ import annotations

from collections import deque

from ..errors import TcpsimError
from .lockclasses import CLASSES
from .steps import READ, WRITE

# Where a waiter's spinning shows in a profile: the slow path each lock kind, mode and class spins in (FreeBSD's
# for its own classes; Linux 3.10's arch_spin_lock is inlined into _raw_spin_lock, 4.4's queued lock spins in
# queued_spin_lock_slowpath).
SPIN_FUNCTION = {("rw", WRITE): "__rw_wlock_hard", ("rw", READ): "__rw_rlock", ("mtx", WRITE): "__mtx_lock_sleep"}
CLASS_SPIN_FUNCTION = {("spin", "mtx", WRITE): "_mtx_lock_spin_cookie", ("spin", "rw", WRITE): "_raw_write_lock",
                       ("spin", "rw", READ): "_raw_read_lock", ("ticket", "mtx", WRITE): "_raw_spin_lock",
                       ("mcs", "mtx", WRITE): "queued_spin_lock_slowpath", ("epoch", "rw", WRITE): "__mtx_lock_sleep"}


def spin_function(kind: str, cls: str, mode: str) -> str:
    return CLASS_SPIN_FUNCTION.get((cls, kind, mode)) or SPIN_FUNCTION[(kind, mode)]


def spin_frames(kind: str, cls: str, mode: str, table: dict | None = None) -> tuple[str, ...]:
    """The frames a waiter's spinning adds below its caller's stack: from ``table``, a kernel's words' ``spin``
    ({(class, kind, mode): a function or a tuple of them, outermost first}; observe/words.py), or FreeBSD's
    (spin_function) when the kernel names none."""
    if table is None:
        return (spin_function(kind, cls, mode),)
    frames = table.get((cls, kind, mode))
    if frames is None:
        what = "read-held" if mode == READ else "write-held"
        raise TcpsimError(f"lock class {cls}: the kernel's words name no spin function for a {what} {kind} lock; "
                          f"allowed: (class, kind, mode) among {', '.join(map(str, table))}")
    return (frames,) if isinstance(frames, str) else tuple(frames)


def runlock_function(cls: str) -> str:
    """Where a read release's wait for the lock word's line shows in a profile (FreeBSD's rw_runlock always
    calls _rw_runlock_cookie: sys/rwlock.h; Linux 3.10's read_unlock is _raw_read_unlock)."""
    return "_raw_read_unlock" if cls == "spin" else "_rw_runlock_cookie"


def handoff_cost(cls: str, releaser_cpu: int, winners: list, waiters: list, line, per_spinner: int, rng):
    """(ns, line transfers) from a release to the moment its winners hold the lock; ``winners`` and ``waiters``
    (every spinner, in arrival order) are CPU ids, ``line[a][b]`` the ns a line takes from CPU a to CPU b.

    adaptive, spin: the line reaches the farthest winner, and every other spinner's re-read and failed
    compare-and-set delays it by ``per_spinner`` (the calibrated lock_handoff_per_spinner).
    ticket: the waiters' re-reads are served one at a time; the next holder's (the first waiter's) is served
    after ``k`` others, ``k`` uniform over the waiters (one draw), taken from the queue in arrival order.
    mcs: one transfer, to the successor.
    """
    src = line[releaser_cpu]
    n = len(waiters)
    if cls == "mcs":
        return src[winners[0]], 1
    if cls == "ticket":
        k = rng.randrange(n) if n > 1 else 0
        return src[waiters[0]] + sum(src[c] for c in waiters[1:k + 1]), k + 1
    return max(src[c] for c in winners) + per_spinner * (n - 1), n


class Waiter:
    __slots__ = ("thread", "mode", "event", "since", "spinning", "spin_start", "on_readers", "site", "stack",
                 "preemptible")

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
        self.preemptible = True  # ticket and MCS waiters spin with preemption disabled


class LockState:
    __slots__ = (
        "decl", "display", "kind", "recursive", "owner", "wrec", "readers", "nreaders", "spinners",
        "sleepers", "in_transit", "last_cpu", "hold_start", "hold_key", "read_holds", "cls", "sleeps", "fifo",
        "epoch", "ep_readers", "ep_seq", "retired", "freeing", "line_free",
    )

    def __init__(self, decl):
        self.decl = decl
        self.display = decl.display
        self.kind = decl.kind
        self.recursive = decl.recursive
        self.cls = decl.cls
        self.sleeps = CLASSES[decl.cls].sleeps
        self.fifo = CLASSES[decl.cls].fifo
        self.epoch = decl.cls == "epoch"
        self.ep_readers = {}  # epoch: thread -> [depth, entry number] of its open read section
        self.ep_seq = 0  # epoch: read sections entered so far
        self.retired = []  # epoch: (entry number at the retire, retire time) awaiting their grace period
        self.freeing = deque()  # epoch: free times of objects past their grace period, not yet freed
        self.owner = None  # write owner (thread)
        self.wrec = 0  # write recursion depth beyond the first hold
        self.readers = {}  # thread -> read hold count
        self.nreaders = 0
        self.spinners = []  # Waiter, in arrival order
        self.sleepers = []  # Waiter on the turnstile
        self.in_transit = False  # released, winner chosen, cache line moving
        self.last_cpu = -1  # CPU that last updated the lock word: where its cache line is
        self.line_free = 0  # when the line's last transfer under way ends: the next one starts no earlier
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
        """Adaptive spinning: the owner runs, the lock is in transit, or readers hold it (bounded by caller).
        A class that never sleeps always spins."""
        if self.in_transit or not self.sleeps:
            return True
        if self.owner is not None:
            return self.owner.running
        return self.nreaders > 0

    # --- the lock word's cache line ----------------------------------------------------------------------------
    def line_transfer(self, now: int, ns: int) -> int:
        """A transfer of the line taking ``ns`` starts when the line is free (one at a time); return its end."""
        self.line_free = max(now, self.line_free) + ns
        return self.line_free

    def write_word(self, cpu: int, now: int, line) -> int:
        """``cpu`` writes the lock word at ``now``: the line comes from the CPU that last wrote it, if another,
        after the transfers already queued. Return the ns the writer waits for it (0: it was here, or nowhere)."""
        src = self.last_cpu
        self.last_cpu = cpu
        if src in (-1, cpu):
            return 0
        return self.line_transfer(now, line[src][cpu]) - now

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
        """Drop one hold; return True when it was the outermost hold (the lock word changed hands). A read
        release does not move the line: the engine calls ``write_word`` for it (the reader waits for the line)."""
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
        if self.fifo:  # ticket, MCS: the next in arrival order (mutexes only)
            return [self.spinners[0]]
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

    # --- epoch (lock-free reads) -------------------------------------------------------------------------------
    def epoch_enter(self, thread) -> None:
        section = self.ep_readers.get(thread)
        if section is not None:
            section[0] += 1
        else:
            self.ep_seq += 1
            self.ep_readers[thread] = [1, self.ep_seq]

    def epoch_exit(self, thread) -> bool:
        """Leave one read section level; True when the thread left its outermost one."""
        section = self.ep_readers.get(thread)
        if section is None:
            raise RuntimeError(f"{thread.name} leaves a read section of {self.display} it is not in")
        section[0] -= 1
        if section[0]:
            return False
        del self.ep_readers[thread]
        return True

    def retire(self, now: int) -> None:
        """A writer retires an object: it may be freed once every read section open now has ended."""
        self.retired.append((self.ep_seq, now))

    def graced(self) -> list:
        """Retire times whose grace period ended (oldest first), removed from the waiting list: every section
        entered at or before their retire has left."""
        horizon = min((s[1] for s in self.ep_readers.values()), default=self.ep_seq + 1)
        n = 0
        while n < len(self.retired) and self.retired[n][0] < horizon:
            n += 1
        done = [t for _seq, t in self.retired[:n]]
        del self.retired[:n]
        return done

    def unfreed(self, now: int) -> int:
        """Objects retired and not yet freed at ``now``: waiting for readers, or for the grace to be noticed."""
        while self.freeing and self.freeing[0] <= now:
            self.freeing.popleft()
        return len(self.retired) + len(self.freeing)
