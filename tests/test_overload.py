"""Open-loop arrivals at three times capacity: the run completes, and every lost segment is accounted for --
dropped with a reason, resent by its client or (a pure ACK) not resent -- and goodput collapses rather than
saturating (receive livelock: the ring drops segments of connections the server already spent work on)."""
from collections import Counter

from tcpsim import scenario
from tcpsim.model import clients
from tcpsim.observe.probes import Probes
from tcpsim.simulate import run_model

OPEN = "scenarios/experiments/fig2_open_loop.toml"


def _run(rate, probes=None):
    m = scenario.load(OPEN, {"clients": {"rate": rate}, "run": {"warmup_s": 0.01, "duration_s": 0.02}})
    return run_model(m, probes=probes)[0]


def test_three_times_capacity_is_accounted():
    probes, dropped = Probes(), Counter()
    w0, w1 = 10_000_000, 30_000_000
    probes.attach("tcp:::drop", lambda p, t, a: w0 <= t < w1 and dropped.update([(a["segment"], a["reason"])]))
    r = _run(168_000, probes)
    assert r["goodput_cps"] > 0 and r["latency_ms"]["p99"] is not None
    assert r["drops"]["rx_ring_full"] == sum(n for (_seg, reason), n in dropped.items() if reason == "rx_ring_full")
    # every lost client segment that TCP resends was scheduled for a retransmission (no SYN gives up this soon)
    for seg in ("SYN", "REQUEST", "CLIENT_FIN"):
        lost = sum(n for (s, _reason), n in dropped.items() if s == seg)
        assert lost > 0 and r["retransmissions"][seg] == lost
    assert set(r["retransmissions"]) <= {s for s in ("SYN", "REQUEST", "CLIENT_FIN")}
    assert clients.retransmission("RESP_ACK", None, None) is None  # pure ACKs are not resent
    assert r["connections"]["in_flight"] > 1000  # connections wait for their clients' retransmission timers


def test_goodput_collapses_past_capacity():
    at_capacity, overloaded = _run(56_000), _run(168_000)
    assert overloaded["offered_cps"] > 2.5 * at_capacity["offered_cps"]
    assert overloaded["goodput_cps"] < 0.7 * at_capacity["goodput_cps"]
