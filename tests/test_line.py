"""The lock word's cache line serves one CPU at a time (model/rwlock.py): transfers of it queue, a read release
moves it too, an epoch read never touches it -- by hand in the reference engine, and the read side of a shared
rwlock that stops scaling in the fast engine's lock microbenchmark."""
from __future__ import annotations

import pytest

from tcpsim import differential as diff
from tcpsim import lockbench as lb
from tcpsim.engines import ENGINES

US = 1000
FAST = [e for e in ENGINES if e != diff.REFERENCE]


def _two_readers(harness, cls):
    """A reader on CPU 0 leaves the line there; 10 us later readers on CPUs 1 and 2 ask for the read lock at the
    same instant and hold it 5 us. Return the harness (run to the end, with ``charges``: every (thread, innermost
    frame, ns) the engine charged) and the flat machine's transfer."""
    h = harness(classes={"tcp": cls})
    h.charges, charge = [], h.engine._charge

    def spy(th, start, dur, frames, *args, **kw):
        h.charges.append((th.name, frames[-1], dur))
        return charge(th, start, dur, frames, *args, **kw)
    h.engine._charge = spy
    first = h.thread("first", 0)
    h.start(first, 0, [("acquire", "tcp", "R"), ("work", 1 * US), ("release", "tcp")])
    for name, cpu in (("r1", 1), ("r2", 2)):
        h.start(h.thread(name, cpu), 10 * US, [("acquire", "tcp", "R"), ("work", 5 * US), ("release", "tcp")])
    h.run(until=100 * US)
    return h, h.engine.m.costs["lock_line_transfer"]


def _times(h, event):
    return {n: t for t, n, ev in h.log if ev == event}


def test_two_readers_at_the_same_instant_queue_for_the_line(harness):
    h, line = _two_readers(harness, "adaptive")
    got = _times(h, "got tcp")
    ask = got["first"] + 10 * US  # (the first asked when it came on its CPU and, nobody having written the word,
    # got it at once): the other two ask 10 us later
    # the line comes from CPU 0 to the first reader, then from it to the second: one transfer after the other
    assert sorted([got["r1"], got["r2"]]) == [ask + line, ask + 2 * line]
    # each read release writes the word too: the first to release waits for the line the other reader took
    released = _times(h, "released tcp")
    assert released["first"] == got["first"] + 1 * US  # the line was already on its CPU
    assert sorted([released["r1"], released["r2"]]) == [got["r1"] + 5 * US + line, got["r2"] + 5 * US + line]
    lock = h.engine.global_locks["tcp"]
    assert lock.nreaders == 0 and lock.line_free == max(released.values())


def test_the_releasing_reader_pays_its_transfer_under_rw_runlock_cookie(harness):
    h, line = _two_readers(harness, "adaptive")
    runlock = sorted((name, ns) for name, frame, ns in h.charges if frame == "_rw_runlock_cookie")
    assert runlock == [("r1", line), ("r2", line)]  # "first" released where the line was: nothing to pay
    # the acquisitions' waits show in __rw_rlock: one transfer for the first reader, two for the one queued
    rlock = sorted(ns for name, frame, ns in h.charges if frame == "__rw_rlock")
    assert rlock == [line, 2 * line]


def test_an_epoch_read_section_does_not_wait_for_the_line(harness):
    h, line = _two_readers(harness, "epoch")
    got, released = _times(h, "got tcp"), _times(h, "released tcp")
    ask = got["first"] + 10 * US
    assert got == {"first": got["first"], "r1": ask, "r2": ask}  # both at once, no transfer
    assert released == {"first": got["first"] + 1 * US, "r1": ask + 5 * US, "r2": ask + 5 * US}
    assert h.engine.global_locks["tcp"].last_cpu == -1  # no read wrote the word
    assert not [c for c in h.charges if c[1] in ("__rw_rlock", "_rw_runlock_cookie")]


@pytest.mark.skipif(not FAST, reason="only the reference engine is registered")
def test_the_read_side_of_a_shared_rwlock_stops_scaling_and_epoch_reads_do_not():
    def acq(cls, n):
        task = lb.Task("opteron-48", cls, tuple(range(n)), lb.Workload(1000.0, 200.0, "ns", "exponential", "R"), 1,
                       0.002, 0.0005, FAST[0])
        return lb.run_point(task)["acq_per_s"]
    adaptive = {n: acq("adaptive", n) for n in (1, 12, 48)}
    epoch = {n: acq("epoch", n) for n in (1, 48)}
    # every read acquire and release moves the line, one CPU at a time: past a dozen readers more of them only
    # queue longer for it, while lock-free readers keep scaling
    assert adaptive[48] < adaptive[12] < 12 * adaptive[1]
    assert adaptive[48] < 0.25 * epoch[48] and epoch[48] > 40 * epoch[1]
