"""Open-loop arrivals (Poisson, paced) and the capacity search (tcpsim/capacity.py)."""
import statistics

import pytest

from tcpsim import capacity, scenario
from tcpsim.errors import TcpsimError
from tcpsim.model import clients
from tcpsim.rng import Stream
from tcpsim.simulate import run_model

OPEN = "scenarios/experiments/fig2_open_loop.toml"


def _spec(arrivals, jitter, rate=50_000.0):
    m = scenario.load(OPEN, {"clients": {"arrivals": arrivals, "jitter": jitter, "rate": rate}})
    return m.clients


def test_paced_gaps_stay_within_the_jitter_and_average_the_mean_gap():
    spec, stream = _spec("paced", 0.2), Stream(1, "arrivals")
    gaps = [clients.arrival_gap_ns(spec, stream) for _ in range(20_000)]
    assert min(gaps) >= int(0.8 * 20_000) and max(gaps) <= 1.2 * 20_000
    assert statistics.fmean(gaps) == pytest.approx(20_000, rel=0.01)
    exact = _spec("paced", 0.0)
    assert {clients.arrival_gap_ns(exact, stream) for _ in range(100)} == {20_000}


def test_poisson_gaps_are_far_more_spread_than_paced_ones():
    s1, s2 = Stream(1, "arrivals"), Stream(1, "arrivals")
    poisson_spec, paced_spec = _spec("poisson", 0.0), _spec("paced", 0.1)
    poisson = [clients.arrival_gap_ns(poisson_spec, s1) for _ in range(20_000)]
    paced = [clients.arrival_gap_ns(paced_spec, s2) for _ in range(20_000)]
    cv = lambda g: statistics.pstdev(g) / statistics.fmean(g)  # noqa: E731
    assert cv(poisson) == pytest.approx(1.0, abs=0.05)  # exponential: sd = mean
    assert cv(paced) == pytest.approx(0.1 / 3 ** 0.5, abs=0.01)  # uniform +-10%: sd = 0.1 / sqrt(3) of the mean


@pytest.mark.parametrize("over,key", [
    ({"clients": {"jitter": 0.1}}, "[clients] jitter"),
    ({"clients": {"arrivals": "bursty"}}, "[clients] arrivals"),
    ({"clients": {"arrivals": "paced", "jitter": 1.5}}, "[clients] jitter"),
])
def test_arrival_settings_that_would_be_ignored_or_are_out_of_range_are_errors(over, key):
    with pytest.raises(TcpsimError) as e:
        scenario.load(OPEN, over)
    assert key in str(e.value) and "allowed" in str(e.value) and "\n" not in str(e.value)


def test_a_paced_open_loop_offers_its_rate():
    m = scenario.load(OPEN, {"clients": {"arrivals": "paced", "jitter": 0.0, "rate": 20_000.0},
                             "run": {"duration_s": 0.05, "warmup_s": 0.005}})
    r, _ = run_model(m)
    assert r["offered_cps"] == pytest.approx(20_000, abs=20)  # one connection every 50 us, no randomness


def test_the_rule_names_what_broke_it():
    rule = capacity.Rule()
    ok = {"goodput_cps": 995.0, "offered_cps": 1000.0, "ring_drops": 0, "retransmissions": 0}
    assert rule.verdict(ok) == ""
    assert "goodput" in rule.verdict({**ok, "goodput_cps": 980.0})
    assert "3 ring drops" in rule.verdict({**ok, "ring_drops": 3})
    assert "retransmissions" in capacity.Rule(goodput_ratio=0.5).verdict({**ok, "retransmissions": 1})
    assert rule.verdict({**ok, "retransmissions": 1}) and not capacity.Rule(retransmissions=1).verdict(
        {**ok, "retransmissions": 1})
    with pytest.raises(TcpsimError):
        capacity.Rule(goodput_ratio=1.5)


def test_the_search_brackets_and_bisects_to_the_resolution():
    """A machine whose one worker can serve only so many connections: the capacity is where the rule first
    fails, every rate above the last that held failed, and the bracket is narrower than the resolution."""
    given = {"run": {"duration_s": 0.05, "warmup_s": 0.01}}
    cap = capacity.search(OPEN, given=given, arrivals="paced", start=20_000, resolution=0.02, views=False)
    held = [p.rate for p in cap.probes if p.held]
    failed = [p.rate for p in cap.probes if not p.held]
    assert held and failed and cap.rate == max(held)
    assert all(f > cap.rate for f in failed)  # monotone, as the search assumes
    assert (min(failed) - cap.rate) <= 0.02 * cap.rate
    assert 40_000 < cap.rate < 80_000  # Figure 2's machine: the article measured ~56,000/s
    assert all(p.why for p in cap.probes if not p.held)
    text = capacity.format_probes(cap)
    assert f"capacity: {cap.rate:,.0f} connections/s" in text and "rule: goodput >= 99% of offered" in text


def test_the_search_refuses_to_be_given_its_own_keys():
    with pytest.raises(TcpsimError, match=r"\[clients\] rate is the search's own"):
        capacity.search(OPEN, given={"clients": {"rate": 1000.0}})
    with pytest.raises(TcpsimError, match="resolution"):
        capacity.search(OPEN, resolution=0)
