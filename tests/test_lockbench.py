"""The lock microbenchmark (issue #16, item 4): its model runs identically on both engines, its numbers follow
from the workload where they must (one thread: think + critical section; many threads on a long critical
section: the critical section), the machine files load and strict input is refused with one line."""
from __future__ import annotations

import io
import json

import pytest

from tcpsim import differential as diff
from tcpsim import lockbench as lb
from tcpsim import machines, scenario
from tcpsim.cli import main
from tcpsim.engines import ENGINES, make_engine
from tcpsim.errors import TcpsimError
from tcpsim.model import bench, lockclasses
from tcpsim.model.threads import thread_specs
from tcpsim.observe.probes import Probes
from tcpsim.simulate import run_model

FAST = [e for e in ENGINES if e != diff.REFERENCE]


def _task(n, cls="adaptive", think=1000.0, cs=200.0, dist="exponential", duration=0.002, machine="opteron-48",
          engine="fast", seed=1, mode="W"):
    return lb.Task(machine, cls, tuple(range(n)), lb.Workload(think, cs, "ns", dist, mode), seed, duration, 0.0005,
                   engine)


def _acq(task):
    return lb.run_point(task)["acq_per_s"]


# --- the model ---------------------------------------------------------------------------------------------------
def test_the_bench_runs_its_threads_alone_with_no_clients_and_no_nic_traffic():
    m = lb.model(_task(4))
    specs = thread_specs(m)
    assert [(s.kind, s.cpu) for s in specs] == [("bench", c) for c in range(4)]
    result, engine = run_model(m, "simpy")
    assert result["connections"]["started"] == 0 and result["segments_in"] == result["segments_out"] == 0
    assert engine.bench_loops > 1000  # the threads loop; nothing else runs
    assert [t["name"] for t in result["threads"]] == ["bench0", "bench1", "bench2", "bench3"]
    (row,) = [r for r in result["lock_profile"] if r["site"] == bench.SITE]
    assert row["lock"] == "sleep mutex:bench" and row["cnt_lock"] > 0  # four threads contend


def _trace(task, engine):
    """Every probe event of a run of ``task`` on ``engine`` (as differential.trace) and its loops in the window."""
    events, probes = [], Probes()
    probes.attach("*", lambda probe, t_ns, args: events.append((probe, t_ns, dict(args))))
    return events, make_engine(lb.model(task), engine, probes).run().window_loops


@pytest.mark.skipif(not FAST, reason="only the reference engine is registered")
@pytest.mark.parametrize("cls, mode", [(c, "W") for c in lockclasses.CLASSES] + [(c, "R") for c in bench.classes_for("R")])
def test_both_engines_give_the_same_trace_for_every_class(cls, mode):
    task = _task(6, cls=cls, duration=0.0004, mode=mode, think=300.0 if mode == "R" else 1000.0)
    ref, loops = _trace(task, diff.REFERENCE)
    assert loops > 300  # a real run (an epoch read takes nothing and fires no lockstat probe: its loops count)
    if (cls, mode) != ("epoch", "R"):
        assert sum(1 for probe, _t, _a in ref if probe.endswith("-acquire")) > 300
    for engine in FAST:
        other, other_loops = _trace(task, engine)
        if where := diff.first_divergence(ref, other):
            pytest.fail(f"lockbench {cls} {mode}, 6 threads: {diff.REFERENCE} (a) vs {engine} (b): {where}",
                        pytrace=False)
        assert other_loops == loops


def test_the_tcp_workload_draws_nothing_from_the_think_stream():
    """Work of a constant length draws nothing, so the article's scenarios are the runs they were (their
    fingerprints are tests/test_fingerprints.py's); a distribution on Work draws once per piece."""
    m = scenario.load(diff.ROOT / "scenarios/paper/fig2_1queue.toml", {"run": {"duration_s": 0.001}})
    _, engine = run_model(m, "simpy")
    assert engine.rng_think.next_u64() == type(engine.rng_think)(m.run.seed, "think").next_u64()
    assert engine.bench_loops == 0


# --- the numbers ---------------------------------------------------------------------------------------------------
def test_one_thread_does_one_acquisition_per_think_plus_critical_section():
    # a lone thread's lock word never leaves its CPU: an uncontended acquisition costs nothing on top
    exact = _acq(_task(1, dist="constant", think=1000.0, cs=200.0, duration=0.005))
    assert exact == pytest.approx(1e9 / 1200, rel=0.002)
    drawn = _acq(_task(1, dist="exponential", think=1000.0, cs=200.0, duration=0.02))
    assert drawn == pytest.approx(1e9 / 1200, rel=0.03)
    # in cycles of the machine's clock: 2100 + 420 cycles at 2.1 GHz are 1000 + 200 ns
    w = lb.Workload(2100.0, 420.0, "cycles", "constant")
    assert w.ns(machines.load("opteron-48")) == (1000, 200)
    assert w.ns(machines.load("xeon-24")) == (round(2100 / 2.3), round(420 / 2.3))  # another clock, other ns


def test_many_threads_on_a_long_critical_section_saturate_at_one_per_critical_section():
    cs = 20_000.0
    rate = _acq(_task(6, dist="constant", think=1000.0, cs=cs, duration=0.004))
    assert 0.85 * 1e9 / cs <= rate <= 1e9 / cs * 1.001  # the lock is busy all the time, hand-offs aside
    rows = lb.run([_task(1, dist="constant", cs=cs, duration=0.004), _task(6, dist="constant", cs=cs, duration=0.004)])
    assert rows[1]["speedup"] == pytest.approx(rows[1]["acq_per_s"] / rows[0]["acq_per_s"])
    assert rows[1]["wait_ns"] > cs and rows[1]["spin"] > 50  # the waiters spin: the owner is always running


def test_the_same_task_gives_the_same_row():
    assert lb.run_point(_task(8)) == lb.run_point(_task(8))


def test_the_plan_always_has_the_one_thread_base_and_caps_the_default_at_the_machine():
    tasks = lb.plan("xeon-24", threads=None, classes=["adaptive"], seeds=2)
    assert sorted({len(t.cpus) for t in tasks}) == [1, 2, 4, 8, 12, 16, 24]
    assert [t.seed for t in tasks[:2]] == [1, 2]
    assert {len(t.cpus) for t in lb.plan("opteron-48", threads=[4, 8], classes=["adaptive"])} == {1, 4, 8}
    placed = lb.plan("opteron-48", threads=[2], classes=["adaptive"], cpus=[0, 12, 24])
    assert [t.cpus for t in placed] == [(0,), (0, 12)]


# --- machines ----------------------------------------------------------------------------------------------------
def test_the_shipped_machines_have_their_topology_and_every_figure_a_provenance():
    assert machines.shipped() == ["opteron-48", "xeon-24"]
    m = machines.load("opteron-48")
    assert (m.sockets, m.cores_per_socket, m.threads_per_core, m.cpus, m.costs["cpu_ghz"]) == (4, 12, 1, 48, 2.1)
    x = machines.load("xeon-24")
    assert (x.sockets, x.cpus) == (2, 24)
    for machine in (m, x):
        assert machine.costs["line_transfer_other_socket"] > machine.costs["lock_line_transfer"]
        assert set(machine.notes) == {"machine", "cpu_ghz", *machines.LATENCIES}
        assert all(len(note) > 40 for note in machine.notes.values())


def test_a_scenario_can_name_a_machine_and_a_conflicting_key_is_an_error(tmp_path):
    text = ('[scenario]\nname = "m"\n[hardware]\nmachine = "xeon-24"\nqueues = 4\n[app]\naccept_cpu = 4\n'
            'worker_cpus = [5, 6]\n[run]\nduration_s = 0.001\n')
    path = tmp_path / "m.toml"
    path.write_text(text)
    m = scenario.load(path)
    xeon = machines.load("xeon-24").costs
    assert (m.hardware.cpus, m.hardware.sockets, m.costs["lock_line_transfer"], m.costs["cpu_ghz"]) == (
        24, 2, xeon["lock_line_transfer"], 2.3)
    assert scenario.load(path, {"hardware": {"cpus": 24}}).hardware.cpus == 24  # the machine's own value is fine
    with pytest.raises(TcpsimError, match=r"\[hardware\] sockets: 1 conflicts with machine 'xeon-24', which has 2"):
        scenario.load(path, {"hardware": {"sockets": 1}})
    path.write_text(text.replace('"xeon-24"', '"xeon24"'))
    with pytest.raises(TcpsimError, match=r"m.toml:4: \[hardware\] machine: no such machine 'xeon24' \(did you mean"):
        scenario.load(path)


def test_a_machine_file_with_an_unknown_key_is_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(machines.path_of("opteron-48").read_text().replace("sockets = 4", "sockets = 4\nsocket = 4"))
    with pytest.raises(TcpsimError, match=r"bad.toml: \[machine\] socket: unknown key \(did you mean 'sockets'"):
        machines.load(str(bad))


# --- the command ---------------------------------------------------------------------------------------------------
def _cli(argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(["lockbench", *argv], out, err)
    return status, out.getvalue(), err.getvalue()


def test_the_command_prints_the_table_and_json(tmp_path):
    status, out, _ = _cli(["--threads", "1,2", "--classes", "adaptive", "--duration", "0.001", "--quiet"])
    assert status == 0
    assert "machine opteron-48" in out and "think 1000 ns, critical section 200 ns" in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("class"))
    assert lines[header].split() == ["class", "threads", "acquisitions/s", "speedup", "wait/acq", "ns", "spin", "%",
                                     "lines/hand-off"]
    rows = [line.split() for line in lines[header + 2:header + 4]]
    assert [r[:2] for r in rows] == [["adaptive", "1"], ["adaptive", "2"]] and rows[0][3] == "1.00"
    status, out, _ = _cli(["--threads", "2", "--classes", "adaptive", "--duration", "0.001", "--json",
                           "--plot", str(tmp_path / "s.png")])
    assert status == 0 and (tmp_path / "s.png").stat().st_size > 1000
    data = json.loads(out)
    assert [(p["class"], p["threads"]) for p in data["points"]] == [("adaptive", 1), ("adaptive", 2)]
    assert data["points"][0]["speedup"] == 1.0 and data["rows"][1]["acq_per_s"] > data["rows"][0]["acq_per_s"]


@pytest.mark.parametrize("argv, message", [
    (["--classes", "tiket"], "--classes tiket: unknown lock class (did you mean 'ticket'?); allowed: adaptive"),
    (["--classes", "ticket", "--mode", "R"], "--classes ticket: class 'ticket' implements mtx locks, and mode R needs rw"),
    (["--threads", "1,64"], "--threads 64: machine opteron-48 has 48 CPUs; allowed: 1 to 48 threads"),
    (["--threads", "4", "--cpus", "0-2"], "--threads 4: machine opteron-48 has 48 CPUs and --cpus lists 3"),
    (["--cpus", "0,48"], "--cpus 0,48: allowed: distinct CPUs 0 to 47"),
    (["--machine", "opteron"], "--machine opteron: no such machine (did you mean 'opteron-48'?)"),
    (["--units", "ms"], "argument --units: invalid choice: 'ms'"),
    (["--think", "-5"], "argument --think: must be 0 to 1e12, got -5"),
    (["--think", "0", "--critical-section", "0.2"], "both round to 0 ns"),
    (["--jobs", "2", "--scheduler", "tcp://x:1"], "--jobs and --scheduler: both choose where runs go"),
    (["--plot", "x.gif"], "--plot x.gif: unknown image format '.gif'"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message):
    status, out, err = _cli(argv)
    assert status == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith("tcpsim: error: ") and message in err, err


def test_a_machine_file_scales_the_spinner_handoff_with_its_line_transfer():
    from tcpsim import machines
    from tcpsim.costs import load_costs
    costs = load_costs(None)[0]
    opteron = machines.load("opteron-48")
    on = machines.on_machine(costs, opteron)
    assert on["lock_line_transfer"] == opteron.costs["lock_line_transfer"] == 57
    ratio = costs["lock_handoff_per_spinner"] / costs["lock_line_transfer"]
    assert on["lock_handoff_per_spinner"] == round(57 * ratio)


def test_a_ticket_lock_peaks_then_collapses_and_an_mcs_lock_levels_off():
    """Issue #16's check on the 48-core machine (from the mechanism, no curve fitted): the ticket lock's speedup
    peaks and falls far below its peak as waiters grow; the MCS lock's hand-off is one transfer, so it levels off
    (it loses only what crossing sockets adds to a transfer)."""
    from tcpsim import lockbench as lb
    rows = lb.run(lb.plan("opteron-48", threads=(4, 8, 12, 24, 48), classes=("ticket", "mcs"), duration_s=0.002))
    curve = {cls: {r["threads"]: r["speedup"] for r in rows if r["class"] == cls} for cls in ("ticket", "mcs")}
    ticket, mcs = curve["ticket"], curve["mcs"]
    assert max(ticket.values()) > 2.5 and ticket[48] < 0.25 * max(ticket.values()), ticket
    assert max(mcs.values()) > 4 and mcs[48] > 0.85 * max(mcs.values()), mcs
    assert all(mcs[n] > ticket[n] for n in (12, 24, 48))


def test_xeon_24_takes_its_same_socket_transfer_from_the_calibration():
    """xeon-24's note says its same-socket transfer is the built-in costs file's calibrated one (and its other
    socket 2.8 times that): a recalibration must carry over."""
    from tcpsim import machines
    from tcpsim.costs import load_costs
    calibrated = load_costs(None)[0]["lock_line_transfer"]
    xeon = machines.load("xeon-24").costs
    assert xeon["lock_line_transfer"] == calibrated
    assert xeon["line_transfer_other_socket"] == round(2.8 * calibrated)
