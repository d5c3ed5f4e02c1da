"""SMT execution sharing (model/topology.py, smt_permille): a run of work steps takes longer while another
hardware thread of its core is busy, by smt_sibling_busy when that thread runs and smt_sibling_spinning when it
spins on a lock; the speed is decided once, at the start of the advance.

- the reference engine's clock, thread by thread: idle, running and spinning siblings, a sibling that starts
  during the advance, a machine without SMT, Linux's numbering;
- both engines give the same trace on HT machines, and the trace differs from the same machine with the two
  factors at 1 (so the sharing is what the comparison sees);
- on Figure 3's machine with HT, the stretched work lowers goodput and raises the CPU time per connection;
- costs files without the constants, or with a factor below 1, are one-line errors.
"""
import io

import pytest

from tcpsim import differential as diff
from tcpsim import scenario
from tcpsim.cli import main
from tcpsim.costs import default_costs_path, load_costs
from tcpsim.engines import ENGINES
from tcpsim.fingerprint import ROOT
from tcpsim.model import topology as topo
from tcpsim.model.steps import Work
from tcpsim.simulate import run_model

from .conftest import SMALL, LockHarness

COSTS, _, _ = load_costs()
BUSY, SPIN = (int(round(COSTS[n] * 1000)) for n in topo.SMT_COSTS)
OTHERS = [e for e in ENGINES if e != diff.REFERENCE]
WORK_NS = 10_000
HT = {"threads_per_core": 2}  # FreeBSD's numbering: CPUs 0-1, 2-3, ... are siblings


def test_the_constants_are_priors_above_one_with_provenance():
    assert 1 < COSTS["smt_sibling_spinning"] < COSTS["smt_sibling_busy"] < 2
    _, notes, sections = load_costs()
    for name in topo.SMT_COSTS:
        assert sections[name] == "constants" and "not verified" in notes[name]
    assert "Intel" in notes["smt_sibling_busy"] and "cpu_spinwait" in notes["smt_sibling_spinning"]


def test_the_rule_adds_one_extra_per_busy_sibling():
    assert topo.smt_permille([None], 540, 100) == 1000
    assert topo.smt_permille(["run"], 540, 100) == 1540
    assert topo.smt_permille(["spin"], 540, 100) == 1100
    assert topo.smt_permille(["run", "spin", None], 540, 100) == 1640  # four threads per core
    assert topo.smt_extra(COSTS) == (BUSY - 1000, SPIN - 1000)


def test_siblings_follow_the_numbering():
    from types import SimpleNamespace as NS
    hw = NS(cpus=8, sockets=1, threads_per_core=2, cpu_numbering="freebsd")
    assert topo.siblings(hw) == [(1,), (0,), (3,), (2,), (5,), (4,), (7,), (6,)]
    hw = NS(cpus=8, sockets=1, threads_per_core=2, cpu_numbering="linux")
    assert topo.siblings(hw) == [(4,), (5,), (6,), (7,), (0,), (1,), (2,), (3,)]
    assert topo.siblings(NS(cpus=8, sockets=2, threads_per_core=1, cpu_numbering="freebsd")) is None


def _work_done(hardware, sibling, worker_cpu=1, sibling_cpu=0, sibling_at=0):
    """A thread on ``worker_cpu`` starts two work steps of WORK_NS / 2 (one advance) at t = 1,000 ns after its
    switch-in; meanwhile a thread on ``sibling_cpu`` (from ``sibling_at``) is idle, runs long work ("run"), or
    spins on a lock held by a third thread on CPU 4 ("spin"). Return how long the worker's advance took."""
    h = LockHarness(hardware=hardware)
    eng, env = h.engine, h.env
    eng.cost["test_half"] = WORK_NS // 2
    steps = (Work(("w",), "test_half"), Work(("w",), "test_half"))
    if sibling == "run":
        h.start(h.thread("sib", sibling_cpu), sibling_at, [("work", 1_000_000)])
    elif sibling == "spin":
        h.start(h.thread("owner", 4), 0, [("acquire", "tcp", "W"), ("work", 1_000_000), ("release", "tcp")])
        h.start(h.thread("sib", sibling_cpu), sibling_at, [("acquire", "tcp", "W"), ("release", "tcp")])
    worker = h.thread("worker", worker_cpu)
    done = {}

    def proc():
        yield env.timeout(1000 - COSTS["context_switch"])
        yield from eng._on_cpu(worker)
        start = env.now
        yield from eng._steps(worker, steps, ())
        done["ns"] = env.now - start

    env.process(proc())
    h.run(100_000)
    return done["ns"]


def test_a_work_advance_stretches_while_its_sibling_runs_or_spins():
    assert _work_done(HT, None) == WORK_NS
    assert _work_done(HT, "run") == 2 * (WORK_NS // 2 * BUSY // 1000)
    assert _work_done(HT, "spin") == 2 * (WORK_NS // 2 * SPIN // 1000)
    assert _work_done(HT, "run") > _work_done(HT, "spin") > WORK_NS


def test_only_the_cores_own_threads_count():
    assert _work_done(HT, "run", worker_cpu=2) == WORK_NS  # CPU 2's sibling is 3, not 0
    assert _work_done({}, "run") == WORK_NS  # no SMT: as calibrated
    linux = {"threads_per_core": 2, "cpu_numbering": "linux"}  # siblings 0 and 4 ... 3 and 7
    assert _work_done(linux, "run", worker_cpu=1, sibling_cpu=5) > WORK_NS
    assert _work_done(linux, "run", worker_cpu=1, sibling_cpu=0) == WORK_NS


def test_the_speed_is_decided_at_the_start_of_the_advance():
    # the sibling starts 2 us into the worker's 10 us advance: the advance keeps the speed it started with
    assert _work_done(HT, "run", sibling_at=3000) == WORK_NS


HT_MACHINES = {
    "fig3-ht": ("scenarios/paper/fig3_4queues.toml", HT),
    "rlock-ht-linux": ("scenarios/paper/rlock_4queues.toml", {"threads_per_core": 2, "cpu_numbering": "linux"}),
    "fig3-ht-two-sockets": ("scenarios/paper/fig3_4queues.toml", {"threads_per_core": 2, "sockets": 2}),
}


def _model(path, hardware, **costs):
    m = scenario.load(ROOT / path, {"hardware": hardware, "run": diff.TRACE_RUN})
    m.costs.update(costs)
    return m


@pytest.mark.skipif(not OTHERS, reason="only the reference engine is registered")
@pytest.mark.parametrize("case", sorted(HT_MACHINES))
def test_both_engines_give_the_same_trace_with_smt_sharing(case):
    path, hardware = HT_MACHINES[case]
    ref, _ = diff.trace(_model(path, hardware), diff.REFERENCE)
    unshared, _ = diff.trace(_model(path, hardware, smt_sibling_busy=1.0, smt_sibling_spinning=1.0), diff.REFERENCE)
    assert diff.first_divergence(ref, unshared) is not None  # the sharing changes the run: the test sees it
    for engine in OTHERS:
        other, _ = diff.trace(_model(path, hardware), engine)
        if where := diff.first_divergence(ref, other):
            pytest.fail(f"{case}: {diff.REFERENCE} (a) vs {engine} (b): {where}", pytrace=False)


@pytest.mark.parametrize("engine", ENGINES)
def test_figure_3_with_ht_pays_for_the_shared_cores(engine):
    run = {"warmup_s": 0.005, "duration_s": 0.03, "seed": 1}
    path = ROOT / "scenarios/paper/fig3_4queues.toml"
    shared = run_model(scenario.load(path, {"hardware": HT, "run": run}), engine)[0]
    m = scenario.load(path, {"hardware": HT, "run": run})
    m.costs.update(smt_sibling_busy=1.0, smt_sibling_spinning=1.0)
    alone = run_model(m, engine)[0]

    def busy_per_connection(r):
        return sum(c["user"] + c["system"] + c["interrupt"] for c in r["cpus"]) / r["goodput_cps"]

    assert shared["goodput_cps"] < alone["goodput_cps"]
    assert busy_per_connection(shared) > busy_per_connection(alone)


def _costs_without(tmp_path, name, replace=None):
    lines = default_costs_path().read_text().splitlines()
    if replace is None:
        lines = [l for l in lines if not l.startswith(name)]
    else:
        lines = [l.replace("value = 1.54", f"value = {replace}") if l.startswith(name) else l for l in lines]
    (tmp_path / "costs.toml").write_text("\n".join(lines))
    body = SMALL.replace('name = "small"', 'name = "small"\ncosts = "costs.toml"')
    (tmp_path / "flat.toml").write_text(body)
    (tmp_path / "ht.toml").write_text(body.replace("queues = 2", "queues = 2\nthreads_per_core = 2"))
    scenario.load(tmp_path / "flat.toml")  # without SMT the constants are not needed
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", str(tmp_path / "ht.toml")], out, err) == 2
    line = err.getvalue().strip()
    assert "\n" not in line and "Traceback" not in line and "costs.toml" in line
    return line


def test_a_costs_file_without_the_smt_constants_is_an_error(tmp_path):
    line = _costs_without(tmp_path, "smt_sibling_spinning")
    assert "threads_per_core = 2" in line and "'smt_sibling_spinning'" in line and "[constants]" in line


def test_a_factor_below_one_is_an_error(tmp_path):
    line = _costs_without(tmp_path, "smt_sibling_busy", replace=0.5)
    assert "smt_sibling_busy = 0.5 is below 1" in line and "allowed: a factor >= 1" in line
