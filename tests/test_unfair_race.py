"""[hardware] lock_race_weight, end to end: the shipped hypothesis scenario against the fair Figure 3 run.

Protects what the knob is for: tilting the race for a released lock toward some CPUs moves the waiting off
the threads pinned there (the pattern of the article's Figure 5), while the default stays a fair race.
"""
from tcpsim import scenario
from tcpsim.observe.results import busy
from tcpsim.figures import IRQ_SITES, WORKER_SITES, wait_per_acquisition
from tcpsim.simulate import run_model

FAIR = "scenarios/paper/fig3_4queues.toml"
UNFAIR = "scenarios/experiments/fig3_unfair_race.toml"


def _worker_to_irq_wait(path):
    r, _ = run_model(scenario.load(path, {"run": {"duration_s": 0.03}}))
    rows = r["lock_profile"]
    ratio = wait_per_acquisition(rows, WORKER_SITES) / wait_per_acquisition(rows, IRQ_SITES)
    return ratio, min(100 - b for b in busy(r, (6, 7)))


def test_tilting_the_race_toward_the_workers_cpus_shortens_their_waits():
    fair_ratio, fair_idle = _worker_to_irq_wait(FAIR)
    ratio, idle = _worker_to_irq_wait(UNFAIR)
    assert fair_ratio > 0.8  # a fair race: every writer waits about as long per acquisition
    assert ratio < 0.5  # the article's Figure 5: ~4 us at the workers' sites against ~12 us at tcp_input's
    assert fair_idle < 5 and idle > 20  # and the workers, no longer the slowest stage, go partly idle
