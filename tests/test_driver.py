"""The ixgbe 2.5.15 receive path (model/nic.py), the placement of its unbound task (model/sched.py) and the
preemption that placement relies on."""
import pytest

from tcpsim.model.nic import aim_eitr, eitr_interval_ns, initial_eitr, interrupt_rate
from tcpsim.model.sched import IDLE_PRI, pick_cpu, warm
from tcpsim.observe.probes import Probes
from tcpsim.simulate import run_model

from .conftest import make_model

ONE_QUEUE = """
[scenario]
name = "one_queue"
[hardware]
cpus = 8
queues = 1
queue_cpus = [0]
[app]
accept_cpu = 4
worker_cpus = [5]
[clients]
concurrency = 128
[run]
warmup_s = 0.005
duration_s = 0.01
"""


def _passes(model):
    """Every rx pass and vector unmask of the run, in order, after the warm-up."""
    probes, log = Probes(), []
    w0 = int(model.run.warmup_s * 1e9)
    probes.attach("fbt::ixgbe_rxeof:return", lambda p, t, a: t >= w0 and log.append(("pass", a)))
    probes.attach("fbt::ixgbe_enable_queue:entry", lambda p, t, a: t >= w0 and log.append(("enable", a)))
    r, _ = run_model(model, probes=probes)
    return r, log


# --- the rules, as numbers ------------------------------------------------------------------------------------
def test_eitr_at_attach_gives_max_interrupt_rate():
    assert initial_eitr(31250) == 128  # 4000000 / 31250, the default hw.ixgbe.max_interrupt_rate
    assert eitr_interval_ns(128) == 32_000
    assert interrupt_rate(initial_eitr(31250)) == 31250
    assert interrupt_rate(initial_eitr(8000)) == 8064  # the low 3 bits are masked off: 500 -> 496


def test_aim_follows_the_average_sent_frame_size():
    # the sent frames' average, + 24, then /2 (or /3 between 300 and 1200), capped at 3000
    assert aim_eitr(0, 66 * 10, 10) == (66 + 24) // 2
    assert aim_eitr(1500 * 8, 266 * 4, 4) == (266 + 24) // 2  # received frames do not count (rxr->packets is 0)
    assert aim_eitr(0, 1000 * 2, 2) == (1000 + 24) // 3
    assert aim_eitr(0, 9000 * 2, 2) == 3000 // 2
    assert aim_eitr(66 * 10, 0, 0) == 24 // 2  # received only: the shortest interval, 2 µs
    assert eitr_interval_ns(aim_eitr(66 * 10, 0, 0)) == 2000
    assert aim_eitr(0, 0, 0) == 0  # an idle interval leaves the register as it is
    small, large = eitr_interval_ns(aim_eitr(0, 90 * 8, 8)), eitr_interval_ns(aim_eitr(0, 1400 * 8, 8))
    assert small < large  # small frames: short intervals, many interrupts


class _Draws:
    """cpu_search's random 0..63, scripted."""

    def __init__(self, *values):
        self.values = list(values)

    def __call__(self):
        return self.values.pop(0) if self.values else 0


def test_ule_places_a_woken_thread():
    idle, pri = IDLE_PRI, -92
    # its last CPU is idle and warm: back there
    assert pick_cpu(pri, 2, 0, [pri, idle, idle, idle], [1, 0, 0, 0], True, _Draws()) == 2
    # its affinity expired: the search still favours it (-64) among equally loaded CPUs
    assert pick_cpu(pri, 2, 0, [pri, idle, idle, idle], [1, 0, 0, 0], False, _Draws(0, 63, 0)) == 2
    # its last CPU is busy: one of the idle CPUs, at random (CPUs are searched from 3 down; CPU 1 draws highest)
    assert pick_cpu(pri, 0, 0, [pri, idle, idle, idle], [1, 0, 0, 0], True, _Draws(0, 5, 40)) == 1
    # its last CPU is busy: an idle CPU, never the waker's (the waker runs at the same priority)
    assert pick_cpu(pri, 0, 0, [pri, idle, 52, 52], [1, 0, 1, 1], True, _Draws()) == 1
    # nothing idle: the least loaded CPU where it runs at once (it will preempt the worse priority there)
    assert pick_cpu(pri, 0, 0, [pri, 52, 52, pri], [1, 2, 1, 1], True, _Draws()) == 2
    # a tie of load goes to its last CPU, whatever the draws
    assert pick_cpu(pri, 1, 0, [pri, 52, 52], [1, 1, 1], True, _Draws(63, 0)) == 1
    # nowhere to run at once: the least loaded CPU all the same
    assert pick_cpu(pri, 0, 0, [pri, pri, pri], [2, 1, 3], True, _Draws()) == 1
    # the waking CPU wins when the thread would run there at once and the pick is busy
    assert pick_cpu(pri, 3, 0, [52, 52, 52, pri], [1, 1, 1, 1], True, _Draws()) == 0


def test_cache_affinity_lasts_two_ticks():
    assert warm(1_500_000, 1_000_000) and warm(2_999_999, 1_000_000)
    assert not warm(3_000_000, 1_999_999)


# --- the driver in a run ----------------------------------------------------------------------------------------
def test_a_full_ring_alternates_interrupt_and_task_passes():
    limit = 32
    r, log = _passes(make_model(ONE_QUEUE, hardware={"rx_process_limit": limit}))
    passes = [a for kind, a in log if kind == "pass"]
    assert len(passes) > 50
    assert all(a["frames"] <= limit for a in passes)
    assert sum(a["frames"] == limit for a in passes) > 0.9 * len(passes)  # the closed loop keeps the ring full
    by_task = lambda a: a["thread"].startswith("kernel{")  # noqa: E731
    for (k1, a1), (k2, a2) in zip(log, log[1:]):
        if k1 == "pass" and not by_task(a1):  # an interrupt pass ...
            if a1["more"]:  # ... that stopped at its limit hands the ring to the task, vector still masked
                assert k2 == "pass" and by_task(a2)
            else:
                assert k2 == "enable" and a2["thread"] == a1["thread"]
        if k1 == "pass" and by_task(a1):  # a task pass unmasks the vector whatever remains, and stops
            assert k2 == "enable" and a2["thread"] == a1["thread"]
        if k1 == "enable" and k2 == "pass":  # after an unmask, the next pass is the interrupt's
            assert not by_task(a2)
    task_passes_with_more = sum(1 for a in passes if by_task(a) and a["more"])
    assert task_passes_with_more > 0  # frames were left behind, yet the task did not requeue itself
    v = r["interrupts"][0]
    assert v["task_passes"] > 0 and abs(v["total"] - v["task_passes"]) <= 1  # one task pass per interrupt


def _interrupt_rate(aim, **clients):
    m = make_model(ONE_QUEUE, hardware={"enable_aim": aim, "max_interrupt_rate": 20000},
                   clients={"mode": "open", "rate": 30000, **clients}, run={"warmup_s": 0.005, "duration_s": 0.02})
    r, _ = run_model(m)
    return r["interrupts"][0]


def test_interrupt_rate_follows_the_frame_size_with_aim_and_is_fixed_without():
    cap = interrupt_rate(initial_eitr(20000))
    fixed_small = _interrupt_rate(False, response_bytes=40)
    fixed_large = _interrupt_rate(False, response_bytes=1400)
    assert fixed_small["interrupt_rate"] == fixed_large["interrupt_rate"] == cap
    for v in (fixed_small, fixed_large):  # never faster than the EITR allows
        assert 0.5 * cap < v["rate"] <= cap * 1.01
    assert fixed_small["rate"] == pytest.approx(fixed_large["rate"], rel=0.1)  # frame size does not matter
    aim_small = _interrupt_rate(True, response_bytes=40)
    aim_large = _interrupt_rate(True, response_bytes=1400)
    assert aim_small["interrupt_rate"] > aim_large["interrupt_rate"]  # AIM lengthens the interval for big frames
    assert aim_small["rate"] > 1.5 * aim_large["rate"]
    assert aim_small["rate"] > 1.5 * cap  # small frames: more interrupts than the attach-time setting allowed


def _task(result):
    return next(t for t in result["threads"] if t["command"] == "kernel{ix0 que}")


def test_the_unbound_task_runs_on_another_cpu_and_top_shows_it_there():
    r, _ = run_model(make_model(ONE_QUEUE))
    task = _task(r)
    elsewhere = {cpu: pct for cpu, pct in task["ran_on"].items() if cpu != 0}
    assert elsewhere and sum(elsewhere.values()) > 10
    cpu = task["cpu"]  # top's C column: where it ran last
    assert cpu != 0
    line = r["cpus"][cpu]
    assert line["system"] >= task["ran_on"][cpu] - 0.01  # its time is in that CPU's line, as system time
    assert r["cpus"][0]["system"] == 0.0  # the interrupt CPU only runs the interrupt thread


def test_a_pinned_task_stays_on_its_queue_cpu():
    r, _ = run_model(make_model(ONE_QUEUE, hardware={"que_task_cpu": "queue"}))
    task = _task(r)
    assert "ran_on" not in task and task["cpu"] == 0 and task["wcpu"] > 10
    assert r["cpus"][0]["system"] == pytest.approx(task["system"], abs=0.05)
    assert r["cpus"][0]["interrupt"] > 10


def test_interrupt_threads_preempt_the_application_on_a_shared_cpu():
    text = ONE_QUEUE.replace("cpus = 8", "cpus = 1").replace("accept_cpu = 4", "accept_cpu = 0") \
                    .replace("worker_cpus = [5]", "worker_cpus = [0]")
    probes, preempted = Probes(), []
    probes.attach("sched:::preempt", lambda p, t, a: preempted.append(a["thread"]))
    r, _ = run_model(make_model(text), probes=probes)
    assert r["goodput_cps"] > 0
    assert preempted and set(preempted) <= {"acceptor", "worker0"}  # never the interrupt thread or the task
    cpu = r["cpus"][0]
    assert cpu["interrupt"] > 0 and cpu["system"] > 0 and cpu["user"] > 0
    assert cpu["user"] + cpu["system"] + cpu["interrupt"] + cpu["idle"] == pytest.approx(100.0, abs=0.05)
