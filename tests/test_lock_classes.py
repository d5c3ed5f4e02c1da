"""Lock classes (model/lockclasses.py): how each one's waiters wait and what its hand-off costs, on hand-built
cases in the reference engine, and every class run by both engines with identical traces."""
from pathlib import Path
from statistics import mean

import pytest

from tcpsim import differential as diff, scenario
from tcpsim.engines import ENGINES
from tcpsim.errors import TcpsimError
from tcpsim.model.lockclasses import CLASSES
from tcpsim.model.rwlock import handoff_cost
from tcpsim.rng import Stream

ROOT = Path(__file__).resolve().parent.parent
US = 1000
LINE = [[100] * 17 for _ in range(17)]  # a flat machine whose line transfer takes 100 ns


def _mean_handoff(cls, waiters, draws=4000):
    rng = Stream(7, "test")
    cpus = list(range(1, waiters + 1))
    return mean(handoff_cost(cls, 0, cpus[:1], cpus, LINE, 50, rng)[0] for _ in range(draws))


def test_a_ticket_handoff_grows_with_its_waiters_and_an_mcs_one_does_not():
    ticket = [_mean_handoff("ticket", n) for n in (1, 2, 4, 8, 16)]
    mcs = [_mean_handoff("mcs", n) for n in (1, 2, 4, 8, 16)]
    assert mcs == [100] * 5  # one transfer, to the successor
    assert ticket[0] == 100 and all(a < b for a, b in zip(ticket, ticket[1:])), ticket
    # the next holder's re-read is served after a uniform number of the others': (n + 1) / 2 transfers on average
    assert ticket[-1] == pytest.approx(100 * (16 + 1) / 2, rel=0.05)
    assert handoff_cost("adaptive", 0, [1], [1, 2, 3], LINE, 50, None) == (200, 3)  # the race: + per spinner


def _chain(harness, cls, waiters, lock="accept"):
    """An owner holds ``lock`` 50 us; ``waiters`` threads queue behind it in CPU order and hold it 1 us each.
    Return (the order they got it, the mean ns from each release to the next grant)."""
    h = harness(classes={lock: cls})
    owner = h.thread("owner", 0)
    h.start(owner, 0, [("acquire", lock, "W"), ("work", 50 * US), ("release", lock)])
    for i in range(1, waiters + 1):
        h.start(h.thread(f"w{i}", i), i * US, [("acquire", lock, "W"), ("work", 1 * US), ("release", lock)])
    h.run(until=200 * US)
    got = [(t, n) for t, n, ev in h.log if ev == f"got {lock}"]
    released = sorted(t for t, n, ev in h.log if ev == f"released {lock}")
    gaps = [t - r for (t, _), r in zip(got[1:], released)]
    return [n for _, n in got], mean(gaps)


@pytest.mark.parametrize("cls", ["ticket", "mcs"])
def test_queued_locks_serve_waiters_in_arrival_order(harness, cls):
    order, _ = _chain(harness, cls, 6)
    assert order == ["owner", "w1", "w2", "w3", "w4", "w5", "w6"]


def test_in_the_engine_a_ticket_handoff_grows_with_waiters_and_an_mcs_one_does_not(harness):
    line = harness().engine.m.costs["lock_line_transfer"]
    mcs2, mcs6 = _chain(harness, "mcs", 2)[1], _chain(harness, "mcs", 6)[1]
    assert mcs2 == mcs6 == line
    ticket2, ticket6 = _chain(harness, "ticket", 2)[1], _chain(harness, "ticket", 6)[1]
    assert ticket6 > ticket2 >= line


def _owner_sleeps(harness, cls):
    h = harness(classes={"tcp": cls})
    owner, waiter = h.thread("owner", 0), h.thread("waiter", 1)
    h.start(owner, 0, [("acquire", "tcp", "W"), ("work", 2 * US), ("sleep", 40 * US), ("release", "tcp")])
    h.start(waiter, 1 * US, [("acquire", "tcp", "W"), ("release", "tcp")])
    h.run(until=20 * US)  # the owner is off its CPU, holding the lock
    lock = h.engine.global_locks["tcp"]
    return lock, h.engine.cpus[1].current


def test_an_adaptive_waiter_sleeps_when_the_owner_is_off_cpu_and_a_spin_waiter_does_not(harness):
    lock, on_cpu1 = _owner_sleeps(harness, "adaptive")
    assert [w.thread.name for w in lock.sleepers] == ["waiter"] and not lock.spinners
    assert on_cpu1 is None  # its CPU is free
    lock, on_cpu1 = _owner_sleeps(harness, "spin")
    assert [w.thread.name for w in lock.spinners] == ["waiter"] and not lock.sleepers
    assert on_cpu1 is not None and on_cpu1.name == "waiter"  # still spinning on its CPU


def test_lock_free_reads_take_no_lock_and_delay_the_free_by_a_grace_period(harness):
    h = harness(classes={"tcp": "epoch"})
    reader, late, writer = h.thread("reader", 0), h.thread("late", 2), h.thread("writer", 1)
    h.start(reader, 0, [("acquire", "tcp", "R"), ("work", 30 * US), ("release", "tcp")])
    h.start(writer, 5 * US, [("acquire", "tcp", "W"), ("retire", "tcp"), ("release", "tcp")])
    # a section entered after the retire cannot see the object: it does not hold up the free
    h.start(late, 10 * US, [("acquire", "tcp", "R"), ("work", 60 * US), ("release", "tcp")])
    h.run(until=1000 * US)
    got = {n: t for t, n, ev in h.log if ev == "got tcp"}
    released = {n: t for t, n, ev in h.log if ev == "released tcp"}
    retired = next(t for t, n, ev in h.log if ev == "retired tcp")
    assert got["writer"] < released["reader"]  # the writer did not wait for the reader
    lock = h.engine.global_locks["tcp"]
    assert lock.nreaders == 0 and lock.owner is None and lock.last_cpu == 1  # reads never touched the lock word
    assert not [r for r in h.engine.lockprof.rows() if r["count"] and "R" in r["name"]]
    assert not h.engine.lockprof.rows() or all(r["count"] == 1 for r in h.engine.lockprof.rows())  # the write
    freed, total, longest, unfreed = h.engine.grace["rw:tcp"]
    assert freed == 1 and unfreed == 1
    assert total == released["reader"] - retired + h.engine.cost["epoch_grace_detect"]


def test_a_class_must_implement_the_lock_kind_and_retire_needs_an_epoch_lock():
    from tcpsim.model.patches import PatchError, apply
    from tcpsim.model.checks import check
    from tcpsim.model.locks import BASE_LOCKS
    from tcpsim.model.paths import BASELINE_PATHS as PATHS
    with pytest.raises(PatchError, match="class 'mcs' does not implement a rw lock"):
        apply(PATHS, BASE_LOCKS, [{"op": "class", "lock": "tcp", "class": "mcs"}], "v")
    with pytest.raises(PatchError, match="class 'tiket'.*did you mean 'ticket'"):
        apply(PATHS, BASE_LOCKS, [{"op": "class", "lock": "accept", "class": "tiket"}], "v")
    paths, locks, _ = apply(PATHS, BASE_LOCKS, [{"op": "insert", "path": "slowtimo", "after": "release:pcbinfohash",
                                                 "steps": [{"retire": "pcbinfohash"}]}], "v")
    with pytest.raises(PatchError, match="retires an object to .*allowed: retire to a global epoch-class lock"):
        check(paths, locks, "v")


# every class on a lock the article's workload contends for, in both engines
CLASS_VARIANTS = {
    "spin-rw": [{"op": "class", "lock": "tcp", "class": "spin"}],
    "epoch": [{"op": "class", "lock": "pcbinfohash", "class": "epoch"},
              {"op": "insert", "path": "slowtimo", "after": "release:pcbinfohash", "steps": [{"retire": "pcbinfohash"}]}],
    **{f"{cls}-mtx": [{"op": "mode", "site": "tcp_usrreq.c:635", "mode": "W"},
                      {"op": "lock", "name": "tcp", "kind": "mtx", "display": "spin mutex:tcp", "scope": "global",
                       "recursive": True, "class": cls, "replace": True}] for cls in ("spin", "ticket", "mcs")},
}
OTHERS = [e for e in ENGINES if e != diff.REFERENCE]


def test_every_class_is_covered():
    assert {k.split("-")[0] for k in CLASS_VARIANTS} | {"adaptive"} == set(CLASSES)


@pytest.mark.skipif(not OTHERS, reason="only the reference engine is registered")
@pytest.mark.parametrize("case", sorted(CLASS_VARIANTS))
def test_both_engines_give_the_same_trace_for_every_class(case):
    over = {"variant": {"name": "cls", "patches": CLASS_VARIANTS[case]}, "run": diff.TRACE_RUN,
            "kernel": {"msl_s": 0.0005, "slowtimo_ms": 1.0, "timewait_prefill": False, "maxtcptw": 10_000_000}}
    path = ROOT / "scenarios/paper/fig3_4queues.toml"
    ref, raw = diff.trace(scenario.load(path, over), diff.REFERENCE)
    assert len(ref) > 1000
    for engine in OTHERS:
        other, _ = diff.trace(scenario.load(path, over), engine)
        if where := diff.first_divergence(ref, other):
            pytest.fail(f"{case}: {diff.REFERENCE} (a) vs {engine} (b): {where}", pytrace=False)
