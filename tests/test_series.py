"""The time series a run records: its shape, its agreement with the window's figures, and that sampling does
not change the run."""
import pytest

from tcpsim import plots
from tcpsim.simulate import run_model

from .conftest import make_model


def test_the_series_samples_the_whole_run_and_agrees_with_the_window():
    m = make_model(run={"warmup_s": 0.002, "duration_s": 0.008, "series_ms": 0.5})
    r, _ = run_model(m)
    s = r["series"]
    assert s["t_ms"] == pytest.approx([0.5 * i for i in range(1, 20)])  # the run stops before 10 ms
    assert all(len(s[k]) == 19 for k in ("goodput_cps", "offered_cps", "drops_per_s", "rx_ring", "accept_queue",
                                         "timewait"))
    assert all(len(depths) == m.hardware.queues for depths in s["rx_ring"])
    window = s["goodput_cps"][4:]  # the samples after the 2 ms warm-up
    assert sum(window) / len(window) == pytest.approx(r["goodput_cps"], rel=0.05)
    assert max(s["timewait"]) <= m.kernel.maxtcptw


def test_sampling_only_reads():
    with_series, _ = run_model(make_model(run={"series_ms": 0.1}))
    without, _ = run_model(make_model(run={"series_ms": 0.0}))
    assert without["series"]["t_ms"] == []
    for key in ("goodput_cps", "cpus", "threads", "lock_profile", "latency_ms", "profile"):
        assert with_series[key] == without[key]


def test_time_series_plot_has_four_panels():
    r, _ = run_model(make_model())
    fig = plots.time_series(r)
    assert len(fig.axes) == 4
    assert len(fig.axes[1].lines) == 2  # one line per receive queue of the small machine


def test_latency_cdf_and_spin_are_in_the_result_and_drawn():
    r, _ = run_model(make_model())
    cdf = r["latency_ms"]["cdf"]
    assert len(cdf) == 101 and cdf == sorted(cdf)
    assert cdf[50] == r["latency_ms"]["p50"] and cdf[100] == r["latency_ms"]["max"]
    assert len(plots.latency_cdf(r).axes[0].lines) == 1
    for c in r["cpus"]:  # spinning is a part of system + interrupt time
        assert 0 <= c["spin"] <= c["system"] + c["interrupt"] + 0.01
    assert sum(c["spin"] for c in r["cpus"]) > 0
    profile = {p["cpu"]: p for p in r["profile"]}
    for cpu in r["cpus"]:  # and agrees with the share of pmcstat samples in the spin functions
        if cpu["cpu"] in profile and profile[cpu["cpu"]]["samples"] > 200:
            sampled = sum(profile[cpu["cpu"]]["spin_share"].values()) * (100 - cpu["idle"])
            assert abs(sampled - cpu["spin"]) < 5, (cpu, sampled)
