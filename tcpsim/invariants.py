"""Invariants checked at the end of every run: cheap cross-checks between the engine's independent tallies,
so that an accounting bug in an engine stops the run with its evidence instead of printing wrong numbers.

Written against the engine's state after ``run()`` (attributes of ``engines.simpy_engine.SimpyEngine``); an
engine calls ``check(self)`` once, at the end of its run. A violation is an internal error (a bug in tcpsim,
not the user's mistake): ``InvariantError`` carries every violation found, each with its numbers.
"""
from __future__ import annotations

from .model.steps import WRITE, Acquire, TryAcquire, walk

CATEGORIES = ("user", "system", "interrupt")
# An engine's ``frames``: whole-run tallies of every frame's journey, each kept at a different point
FRAMES = ("client_sent", "arrived", "ring_accepted", "ring_dropped", "reclaimed", "client_received")


class InvariantError(RuntimeError):
    """An engine broke an invariant; ``violations`` lists them (each one line with the numbers)."""

    def __init__(self, violations: list[str]):
        super().__init__(f"{len(violations)} invariant(s) broken: " + "; ".join(violations))
        self.violations = violations


def check(engine) -> None:
    """Raise InvariantError if any invariant below is broken."""
    found = connections(engine) + segments(engine) + cpu_time(engine) + locks(engine) + lock_profile(engine)
    if found:
        raise InvariantError(found)


def connections(e) -> list[str]:
    """No connection ends twice or out of nowhere; a closed loop never has more in flight than clients."""
    out = []
    ended = e.completed + e.failed
    if not 0 <= ended <= e.started:
        out.append(f"connections: {e.completed} completed + {e.failed} failed > {e.started} started")
    if not 0 <= e.window_completed <= e.completed or not 0 <= e.window_started <= e.started:
        out.append(f"connections: window counts {e.window_started} started / {e.window_completed} completed exceed "
                   f"the run's {e.started} / {e.completed}")
    if len(e.latencies) != e.window_completed:
        out.append(f"connections: {len(e.latencies)} latencies for {e.window_completed} completed in the window")
    c = e.m.clients
    if c.mode == "closed" and e.started - ended > c.concurrency:
        out.append(f"connections: {e.started - ended} in flight with {c.concurrency} closed-loop clients")
    return out


def segments(e) -> list[str]:
    """Every frame is somewhere: a client's frame is on the wire, or was dropped at the full ring, or is in the
    ring, or was processed; a server's frame waits on a buf_ring, or was reclaimed by the driver or still awaits
    it, and reached its client or is on the wire. Each count below is kept at a different point of the engine."""
    f, out = e.frames, []
    in_rings = sum(len(q.ring) for q in e.nic)
    if f["arrived"] > f["client_sent"] or f["client_received"] > e.segments_out:
        out.append(f"segments: more arrived than were sent ({f}, {e.segments_out} sent by the server)")
    if f["arrived"] != f["ring_accepted"] + f["ring_dropped"]:
        out.append(f"segments: {f['arrived']} reached the NIC, {f['ring_accepted']} went into a ring and "
                   f"{f['ring_dropped']} were dropped at a full one")
    if f["ring_accepted"] != e.segments_in + in_rings:
        out.append(f"segments: {f['ring_accepted']} went into rings, {e.segments_in} were cleaned and {in_rings} "
                   "are still there")
    queued, sent = sum(len(q.buf_ring) for q in e.nic), sum(len(q.tx_done) for q in e.nic)
    if e.segments_out != f["reclaimed"] + sent + queued:
        out.append(f"segments: {e.segments_out} sent by TCP, {f['reclaimed']} reclaimed, {sent} awaiting reclaim, "
                   f"{queued} still on a buf_ring")
    return out


def cpu_time(e) -> list[str]:
    """Every CPU's window is accounted once: its user + system + interrupt time fits in the window (idle is the
    rest), and equals, category by category, the time its threads were charged there."""
    out = []
    window = e.w1 - e.w0
    by_cpu = [dict.fromkeys(CATEGORIES, 0) for _ in e.cpu_time]
    for th in e.threads:
        if th.by_cpu is None:  # pinned: all its time is on its CPU
            for cat in CATEGORIES:
                by_cpu[th.cpu][cat] += th.busy[cat]
        else:  # unbound: its busy time per CPU, all in its own mode or user
            split = dict(th.by_cpu)
            user = th.busy["user"]
            if user:
                out.append(f"cpu time: unbound thread {th.name} has {user} ns of user time, which is not split by CPU")
            for cpu, ns in split.items():
                by_cpu[cpu][th.mode] += ns
    for cpu, (have, threads) in enumerate(zip(e.cpu_time, by_cpu)):
        busy = sum(have[cat] for cat in CATEGORIES)
        if busy > window:
            out.append(f"cpu time: CPU {cpu} busy {busy} ns in a window of {window} ns")
        if have != threads:
            out.append(f"cpu time: CPU {cpu} charged {have}, its threads {threads}")
    return out


def lock_states(e) -> list:
    """Every lock object the engine knows by name, and the connection locks its threads hold, in a fixed order
    (by display, then creation) so that what is reported about them is deterministic."""
    seen = {}  # id -> lock, in first-seen order
    for lock in [*e.global_locks.values(), *e.group_locks.values(), *e.listen_locks.values(), *e.buckets,
                 *(lock for th in e.threads for lock in th.held)]:
        seen.setdefault(id(lock), lock)
    return sorted(seen.values(), key=lambda lock: lock.display)  # stable: equal displays keep their order


def _knows(th, lock) -> bool:
    """``th`` lists ``lock`` as held, or won it in a hand-off and has not resumed yet (checked between events,
    the grant and the winner's bookkeeping are two events at the same instant)."""
    return lock in th.held or (th.spin is not None and th.spin.event.triggered)


def locks(e) -> list[str]:
    """Every lock is free or held by a named thread that knows it holds it, and the other way round."""
    out = []
    names = {id(th): th.name for th in e.threads}
    for lock in lock_states(e):
        if lock.owner is not None and (id(lock.owner) not in names or not _knows(lock.owner, lock)):
            out.append(f"locks: {lock.display} write-owned by {lock.owner.name}, which does not list it as held")
        for th in lock.readers:
            if id(th) not in names or not _knows(th, lock):
                out.append(f"locks: {lock.display} read-held by {th.name}, which does not list it as held")
        if lock.nreaders != len(lock.readers) or (lock.owner is not None and lock.readers):
            out.append(f"locks: {lock.display} has nreaders {lock.nreaders}, readers "
                       f"{sorted(t.name for t in lock.readers)}, owner {getattr(lock.owner, 'name', None)}")
    for th in e.threads:
        for lock in th.held:
            # (an epoch lock's read section names no reader in the lock word: rwlock.LockState.ep_readers has it)
            if lock.owner is not th and th not in lock.readers and th not in getattr(lock, "ep_readers", ()):
                out.append(f"locks: {th.name} lists {lock.display} as held, but the lock does not name it")
    return out


def lock_profile(e) -> list[str]:
    """Each LOCK_PROFILING row adds up, and an exclusive global lock was held no longer than the window."""
    out = []
    rows = e.lockprof.raw()
    for (site, lock), r in sorted(rows.items()):
        name = f"lock profile: {site} ({lock})"
        if r["cnt_lock"] > r["count"] or r["wait_max_ns"] > r["wait_total_ns"] or r["max_hold_ns"] > r["total_ns"]:
            out.append(f"{name}: {r}")
        elif r["wait_total_ns"] and not r["cnt_lock"]:
            out.append(f"{name}: waited {r['wait_total_ns']} ns with no contested acquisition")
    window = e.w1 - e.w0
    acquisitions = _acquisitions(e.m.paths)
    for name, decl in e.m.locks.items():
        if decl.scope != "global" or any(s.lock == name and s.mode != WRITE for s in acquisitions) or \
                sum(d.display == decl.display for d in e.m.locks.values()) > 1:
            continue  # shared (read) holds overlap; a display several locks share mixes their rows
        held = [r for (site, lock), r in rows.items() if lock == decl.display]
        total = sum(r["total_ns"] for r in held)
        longest = max((r["max_hold_ns"] for r in held), default=0)
        if total > window + longest:  # one holder at a time; the last hold may run past the window's end
            out.append(f"lock profile: {decl.display} held {total} ns in a {window} ns window, one holder at a time")
    return out


def _acquisitions(paths):
    return [s for p in paths.values() for s in walk(p.steps) if isinstance(s, (Acquire, TryAcquire))]
