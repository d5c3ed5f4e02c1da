"""End-of-run invariants (tcpsim/invariants.py) and the deadlock watchdog (tcpsim/deadlock.py)."""
import io

import pytest

from tcpsim import deadlock, invariants
from tcpsim.cli import main
from tcpsim.simulate import run_model

from .conftest import SMALL, make_model


@pytest.fixture(scope="module")
def finished():
    return run_model(make_model())[1]  # run() itself checks the invariants at its end


def _broken(engine, change, undo):
    change()
    try:
        with pytest.raises(invariants.InvariantError) as e:
            invariants.check(engine)
    finally:
        undo()
    return str(e.value)


def test_a_clean_run_passes_and_each_invariant_can_fail(finished):
    e = finished
    invariants.check(e)
    completed = e.completed
    msg = _broken(e, lambda: setattr(e, "completed", e.started + 1), lambda: setattr(e, "completed", completed))
    assert "connections:" in msg and "started" in msg
    cpu = e.cpu_time[0]
    cpu["system"] += 1
    assert "cpu time: CPU 0 charged" in _broken(e, lambda: None, lambda: cpu.__setitem__("system", cpu["system"] - 1))
    lock = e.global_locks["tcp"]
    owner = lock.owner  # the run may end with a thread inside rw:tcp: the intruder is one that is not
    intruder = next(t for t in e.threads if t is not owner and lock not in t.held)
    msg = _broken(e, lambda: setattr(lock, "owner", intruder), lambda: setattr(lock, "owner", owner))
    assert f"rw:tcp write-owned by {intruder.name}, which does not list it as held" in msg
    row = e.lockprof._stats[next(iter(e.lockprof._stats))]
    saved = list(row)
    msg = _broken(e, lambda: row.__setitem__(5, row[4] + 1), lambda: row.__setitem__(slice(None), saved))
    assert msg.startswith("1 invariant(s) broken: lock profile:")


def test_the_watchdog_names_the_threads_locks_and_sites_of_a_deadlock(harness):
    h = harness()
    a, b = h.thread("A", 6), h.thread("B", 7)
    h.start(a, 0, [("acquire", "tcp", "W"), ("work", 5000), ("acquire", "pcbinfohash", "W")])
    h.start(b, 0, [("acquire", "pcbinfohash", "W"), ("work", 5000), ("acquire", "tcp", "W")])
    h.env.process(deadlock.watchdog(h.engine, every_ns=100_000))
    with pytest.raises(deadlock.DeadlockError) as e:
        h.run(until=2_000_000)
    assert e.value.cycle == [("A", "rw:pcbinfohash", "test.c:pcbinfohash", "B", "test.c:pcbinfohash"),
                             ("B", "rw:tcp", "test.c:tcp", "A", "test.c:tcp")]
    assert "A waits for rw:pcbinfohash at test.c:pcbinfohash, held by B since test.c:pcbinfohash" in str(e.value)
    assert e.value.args[0].count("\n") == 0 and 0.2 <= h.env.now / 1e6 <= 0.4  # stopped soon after it began


def test_no_deadlock_without_a_cycle(harness):
    h = harness()
    a, b = h.thread("A", 6), h.thread("B", 7)
    h.start(a, 0, [("acquire", "tcp", "W"), ("work", 5000), ("acquire", "pcbinfohash", "W"),
                   ("release", "pcbinfohash"), ("release", "tcp")])
    h.start(b, 0, [("acquire", "tcp", "W"), ("work", 5000), ("release", "tcp")])
    h.env.process(deadlock.watchdog(h.engine, every_ns=100_000))
    h.run(until=1_000_000)
    assert h.order() == ["A", "A", "B"] and deadlock.find(h.engine) == []


# a lock order reversal run anyway: the interrupt threads take mutexes a then b, the worker b then a
REVERSAL = SMALL + """
[variant]
name = "ab_ba"
patches = [
  { op = "lock", name = "a", kind = "mtx", display = "mtx:a", scope = "global" },
  { op = "lock", name = "b", kind = "mtx", display = "mtx:b", scope = "global" },
  { op = "insert", path = "data", after = "act:rcv_data", steps = [
      { acquire = "a", mode = "W", site = "x.c:1" }, { work = "sbappend" }, { acquire = "b", mode = "W", site = "x.c:2" },
      { release = "b" }, { release = "a" } ] },
  { op = "insert", path = "recv", after = "cost:soreceive", steps = [
      { acquire = "b", mode = "W", site = "x.c:3" }, { work = "soreceive" }, { acquire = "a", mode = "W", site = "x.c:4" },
      { release = "a" }, { release = "b" } ] },
]
"""


def test_run_stops_a_deadlocked_variant_with_one_line(tmp_path):
    p = tmp_path / "ab.toml"
    p.write_text(REVERSAL.replace("concurrency = 16", "concurrency = 64"))
    err = io.StringIO()
    assert main(["run", str(p), "--allow-lor", "--duration", "0.01"], io.StringIO(), err) == 2
    line = err.getvalue().strip()
    assert "\n" not in line and line.startswith(f"tcpsim: error: {p}: variant 'ab_ba': deadlock at ")
    assert "worker0 waits for mtx:a at x.c:4, held by intr{irq" in line


def test_every_frame_is_accounted_for(finished):
    e = finished
    invariants.check(e)
    f = e.frames
    assert f["client_sent"] >= f["arrived"] > 0 and f["reclaimed"] > 0
    dropped = f["ring_dropped"]
    msg = _broken(e, lambda: f.__setitem__("ring_dropped", dropped + 1), lambda: f.__setitem__("ring_dropped", dropped))
    assert "reached the NIC" in msg
    ring = e.nic[0].ring
    msg = _broken(e, lambda: ring.append((None, "SYN")), lambda: ring.pop())
    assert "are still there" in msg
    sent = e.segments_out
    msg = _broken(e, lambda: setattr(e, "segments_out", sent + 1), lambda: setattr(e, "segments_out", sent))
    assert "awaiting reclaim" in msg


def test_check_after_every_event():
    m = make_model(run={"warmup_s": 0.0005, "duration_s": 0.001})
    checked, _ = run_model(m, check=True)
    plain, _ = run_model(make_model(run={"warmup_s": 0.0005, "duration_s": 0.001}))
    assert checked["goodput_cps"] == plain["goodput_cps"] and checked["lock_profile"] == plain["lock_profile"]
    err = io.StringIO()
    out = io.StringIO()
    path = "scenarios/paper/fig2_1queue.toml"
    assert main(["run", path, "--duration", "0.0005", "--warmup", "0.0005", "--check", "--json"], out, err) == 0
