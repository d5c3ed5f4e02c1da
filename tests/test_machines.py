"""The article's workload on bigger machines (scenarios/machines/): every file loads, follows the placement rule
README's "Bigger machines" states, and runs briefly in both engines with identical traces; the set covers 16,
24 and 48 CPUs, one socket and several, HT on and off."""
from pathlib import Path

import pytest

from tcpsim import differential as diff
from tcpsim import scenario
from tcpsim.engines import ENGINES
from tcpsim.fingerprint import ROOT
from tcpsim.model.topology import place
from tcpsim.simulate import run_model

MACHINES = sorted((ROOT / "scenarios/machines").glob("*.toml"))
SHORT = {"warmup_s": 0.002, "duration_s": 0.003, "seed": 1}
OTHERS = [e for e in ENGINES if e != diff.REFERENCE]


def test_the_set_covers_the_sizes_sockets_and_smt():
    hws = [scenario.load(p).hardware for p in MACHINES]
    assert {h.cpus for h in hws} == {16, 24, 48}
    assert {h.sockets for h in hws} >= {1, 2, 4}
    assert {h.threads_per_core for h in hws} == {1, 2}
    for cpus in (16, 24):  # HT on and off at the same size, the same CPU ids
        assert {h.threads_per_core for h in hws if h.cpus == cpus} == {1, 2}


@pytest.mark.parametrize("path", MACHINES, ids=lambda p: p.stem)
def test_the_placement_rule(path):
    m = scenario.load(path)
    hw, app = m.hardware, m.app
    assert hw.queues == 8 and hw.queue_cpus == tuple(range(8))
    assert all(place(c, hw)[0] == 0 for c in hw.queue_cpus)  # the interrupt threads on the NIC's socket
    assert app.accept_cpu == 8
    assert app.worker_cpus == tuple(range(10, hw.cpus))  # CPU 9 left for the unbound queue tasks


@pytest.mark.parametrize("path", MACHINES, ids=lambda p: p.stem)
def test_it_runs_briefly_in_both_engines_with_the_same_trace(path):
    traces = {}
    for engine in ENGINES:
        model = scenario.load(path, {"run": SHORT})
        traces[engine], _ = diff.trace(model, engine)
    assert len(traces[diff.REFERENCE]) > 1000
    for engine in OTHERS:
        if where := diff.first_divergence(traces[diff.REFERENCE], traces[engine]):
            pytest.fail(f"{Path(path).stem}: {diff.REFERENCE} (a) vs {engine} (b): {where}", pytrace=False)
    result, _ = run_model(scenario.load(path, {"run": SHORT}), ENGINES[0])
    assert result["connections"]["completed_in_window"] > 0
    assert len(result["cpus"]) == scenario.load(path).hardware.cpus
