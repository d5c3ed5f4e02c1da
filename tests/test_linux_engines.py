"""The Linux 3.10 package run by both engines: identical traces on the article's two machines (one connection,
and a short run at full load), in overload (ksoftirqd's hand-over, the softirq's time limit, accept-queue drops)
and with TIME-WAIT entries (the death row); the run's invariants hold (run_model checks them at its end); the
package's defaults reach the model; a connection's nine segments take the Linux paths."""
import pytest

from tcpsim import differential as diff
from tcpsim import kernels, scenario
from tcpsim.engines import ENGINES
from tcpsim.fingerprint import ROOT
from tcpsim.kernels.linux310 import threads
from tcpsim.observe.probes import Probes
from tcpsim.simulate import run_model

FIG2, FIG3 = "scenarios/linux/fig2_1queue.toml", "scenarios/linux/fig3_4queues.toml"
FAST = [e for e in ENGINES if e != diff.REFERENCE]
# beyond what a short run of the shipped files reaches: far past capacity (the budget runs out: ksoftirqd, a full
# accept queue and ring), and TIME-WAIT socks that are not skipped (the table not full) and expire
CASES = {
    "fig2": (FIG2, {}),
    "fig3": (FIG3, {}),
    "overload": (FIG2, {"clients": {"mode": "open", "rate": 400_000.0, "syn_rto_ms": 1.0, "rto_ms": 1.0,
                                    "max_syn_retries": 2},
                        "hardware": {"rx_ring_descriptors": 256}, "kernel": {"backlog": 8}}),
    "timewait": (FIG3, {"kernel": {"msl_s": 0.0005, "slowtimo_ms": 1.0, "timewait_prefill": False,
                                   "maxtcptw": 10_000_000}}),
}


def _load(path, over, run=diff.TRACE_RUN):
    return scenario.load(ROOT / path, {**over, "run": run})


def test_the_package_defaults_reach_a_linux_model():
    m = scenario.load(ROOT / FIG3)
    assert m.kernel_name == "linux310" and kernels.of(m).title == "Linux 3.10"
    hw = m.hardware
    assert (hw.rx_process_limit, hw.rx_ring_descriptors, hw.max_interrupt_rate, hw.enable_aim) == \
        (64, 512, 20_000, False)
    assert (m.kernel.slowtimo_ms, m.kernel.msl_s) == (7500.0, 30.0)
    assert set(m.paths) == set(kernels.package("linux310").paths)
    # net_rx_action: netdev_budget 300 at weight 64 gives five polls (budget > 0 before each)
    assert threads.polls() == 5 and threads.polls(64, 64) == 1 and threads.polls(65, 64) == 2


@pytest.mark.parametrize("path", [FIG2, FIG3])
def test_one_connection_takes_the_linux_paths(path):
    events = []
    probes = Probes()
    probes.attach("tcp:::state-change", lambda p, t, a: events.append((a["old"], a["new"])))
    result, _ = run_model(scenario.load(ROOT / path, diff.ONE_CONNECTION), diff.REFERENCE, probes)
    assert result["connections"]["completed"] == 1
    # SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, then no TIME-WAIT sock (tcp_max_tw_buckets reached: the
    # prefilled table is full) -- closed, the client's FIN answered by the listener's RST
    assert [new for _old, new in events] == ["SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSED"]
    rows = {r["name"] for r in result["lock_profile"]}
    assert {"tcp_ipv4.c:2024 (slock-AF_INET (listener))", "sock.c:1425 (slock-AF_INET)",
            "eventpoll.c:1851 (epmutex)", "inet_hashtables.c:88 (&(&tcp_hashinfo.bhash[i].lock)->rlock)"} <= rows
    assert not any("death_lock" in r for r in rows)


@pytest.mark.skipif(not FAST, reason="only the reference engine is registered")
@pytest.mark.parametrize("engine", FAST)
@pytest.mark.parametrize("path", [FIG2, FIG3])
def test_one_connection_same_trace(engine, path):
    ref, _ = diff.trace(scenario.load(ROOT / path, diff.ONE_CONNECTION), diff.REFERENCE)
    other, _ = diff.trace(scenario.load(ROOT / path, diff.ONE_CONNECTION), engine)
    assert (where := diff.first_divergence(ref, other)) is None, where


@pytest.mark.skipif(not FAST, reason="only the reference engine is registered")
@pytest.mark.parametrize("engine", FAST)
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_short_run_same_trace(engine, case):
    path, over = CASES[case]
    ref, result = diff.trace(_load(path, over), diff.REFERENCE)
    other, _ = diff.trace(_load(path, over), engine)
    assert (where := diff.first_divergence(ref, other)) is None, f"{case}: {where}"
    assert result["goodput_cps"] > 0
    if case == "overload":  # what the case is for: the budget ran out, the accept queue overflowed
        assert sum(q["task_passes"] for q in result["interrupts"]) > 0  # ksoftirqd ran NET_RX
        assert sum(q["frames_task"] for q in result["interrupts"]) > 0
        assert result["drops"].get("listen_queue_overflow", 0) > 0
    if case == "timewait":
        rows = {r["name"].split(" ")[0] for r in result["lock_profile"]}
        assert {"inet_timewait_sock.c:373", "inet_timewait_sock.c:268", "inet_timewait_sock.c:140"} <= rows
        assert result["kernel"]["tw_expired"] > 0


@pytest.mark.parametrize("case", ["fig2", "fig3", "timewait"])
def test_the_invariants_hold_after_every_event(case):
    """Connections, frames, CPU time, locks and the lock profile agree after every event of a short Linux run
    (run_model(check=True) raises at the first event where they do not)."""
    path, over = CASES[case]
    result, _ = run_model(_load(path, over, {"warmup_s": 0.0005, "duration_s": 0.0015, "seed": 1}), diff.REFERENCE,
                          check=True)
    assert result["connections"]["completed"] > 0
