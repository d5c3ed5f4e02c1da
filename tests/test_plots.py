"""Plots: charts of any swept key from results files (CLI and API), and a run's CPU bars, lock waits and time series."""
import io
from pathlib import Path

import pytest
from matplotlib.collections import PolyCollection

from tcpsim import plots
from tcpsim.cli import main
from tcpsim.observe.results import threads_on
from tcpsim.results_file import read
from tcpsim.simulate import simulate

from .conftest import SMALL

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"
OPEN = SMALL.replace("concurrency = 16", 'mode = "open"\nrate = 20000.0').replace('"small"', '"small_open"')
RATES = [20000, 40000, 60000]


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in args], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    d = tmp_path_factory.mktemp("plots")
    (d / "s.toml").write_text(SMALL)
    assert _run("compare", d / "s.toml", "--variants", "baseline,rlock", "--queues", "1,2,8", "--seeds", "2",
                "--duration", "0.003", "-o", d / "r.parquet")[0] == 0
    return d / "r.parquet"


@pytest.fixture(scope="module")
def rates(tmp_path_factory):
    d = tmp_path_factory.mktemp("rates")
    (d / "open.toml").write_text(OPEN)
    assert _run("sweep", d / "open.toml", "--set", f"clients.rate={RATES}", "--seeds", "2", "--duration", "0.003",
                "-o", d / "rates.csv")[0] == 0
    return d / "rates.csv"


def _lines(fig):
    return {line.get_label(): line for line in fig.axes[0].get_lines()}


def _bands(fig):
    return [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]


def test_plot_command_writes_a_png_and_says_what_it_drew(results, tmp_path):
    code, out, _ = _run("plot", results, "-o", tmp_path / "q.png")
    assert code == 0 and (tmp_path / "q.png").read_bytes()[:8] == PNG
    assert out == f"wrote {tmp_path / 'q.png'} (12 runs; x: queues; lines: variant)\n"


def test_queue_counts_on_a_log2_axis_a_line_and_band_per_variant(results):
    rows = read(results)
    fig = plots.scaling(rows)
    ax = fig.axes[0]
    lines = _lines(fig)
    assert sorted(lines) == ["baseline", "rlock"]
    assert list(lines["baseline"].get_xdata()) == [1, 2, 8]
    base = [r["goodput_cps"] for r in rows if r["variant"] == "baseline" and r["queues"] == 1]
    assert lines["baseline"].get_ydata()[0] == pytest.approx(sum(base) / 2)
    assert len(_bands(fig)) == 2
    assert ax.get_xscale() == "log" and ax.xaxis.get_transform().base == 2
    # 8 queues need the application moved off CPUs 0-7: the tick says the machine grew
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1\n8 CPUs", "2\n8 CPUs", "8\n10 CPUs"]
    assert ax.get_ylabel() == "connections/s completed" and ax.get_xlabel().startswith("NIC receive queues")
    assert fig._suptitle.get_text() == "small: connections/s completed against receive queues"
    assert "engine fast, seeds 1, 2, window 0.003 s after 0.002 s warm-up" in ax.get_title()
    fig.canvas.draw()
    assert all("," in t.get_text() or float(t.get_text()) < 1000 for t in ax.get_yticklabels() if t.get_text())
    # one seed: no band
    assert not _bands(plots.scaling([r for r in rows if r["seed"] == 1]))


def test_a_rate_sweep_has_the_rates_on_a_linear_x_and_the_completed_equals_offered_line(rates, tmp_path):
    rows = read(rates)
    fig = plots.scaling(rows)
    ax = fig.axes[0]
    lines = _lines(fig)
    assert sorted(lines) == ["baseline", "completed = offered"]
    assert list(lines["baseline"].get_xdata()) == RATES  # the swept values, not the queue count
    assert ax.get_xscale() == "linear" and ax.get_xlabel().startswith("clients.rate (open loop")
    ref = lines["completed = offered"]
    assert list(ref.get_xdata()) == list(ref.get_ydata()) == [0, max(RATES)]
    assert len(_bands(fig)) == 1
    assert fig._suptitle.get_text() == "small_open: connections/s completed against clients.rate"
    # the livelock view from the command line: the measured offered rate on x, one line over the rates
    code, out, _ = _run("plot", rates, "-o", tmp_path / "l.png", "--x", "offered_cps")
    assert code == 0 and out.endswith("(6 runs; x: offered_cps; lines: one line)\n")
    measured = plots.scaling(rows, x="offered_cps")
    offered = sorted(sum(r["offered_cps"] for r in rows if r["clients.rate"] == v) / 2 for v in RATES)
    assert list(_lines(measured)["baseline"].get_xdata()) == pytest.approx(offered)


def test_series_and_y_choose_the_lines_and_the_number(results):
    rows = read(results)
    fig = plots.scaling(rows, x="queues", series="variant", y="irq_spin")
    assert fig.axes[0].get_ylabel() == "interrupt CPUs spinning on locks (%)"
    assert list(_lines(fig)["rlock"].get_ydata()) == pytest.approx(
        [sum(r["irq_spin"] for r in rows if r["variant"] == "rlock" and r["queues"] == q) / 2 for q in (1, 2, 8)])


def test_axes_of_a_two_key_sweep():
    rows = [{"hardware.queues": q, "clients.concurrency": c, "variant": v, "queues": q}
            for q in (1, 2, 4) for c in (64, 256) for v in ("baseline", "rlock")]
    # default: the first swept key on x, the variant leads the lines, the queues column is not a line of its own
    assert plots.choose_axes(rows) == ("hardware.queues", ["variant", "clients.concurrency"])
    assert plots.choose_axes(rows, "clients.concurrency", "hardware.queues") == (
        "clients.concurrency", ["hardware.queues", "variant"])
    assert plots.choose_axes(rows, "offered_cps") == ("offered_cps", ["variant", "clients.concurrency"])


def test_plot_reads_several_files_of_one_experiment(results, tmp_path):
    scen = results.parent / "s.toml"
    assert _run("compare", scen, "--variants", "baseline", "--queues", "4", "--seeds", "2", "--duration", "0.003",
                "-o", tmp_path / "more.csv")[0] == 0
    code, out, _ = _run("plot", results, tmp_path / "more.csv", "-o", tmp_path / "both.png")
    assert code == 0 and "(14 runs from 2 files; x: queues" in out
    from tcpsim.results_file import read_many

    fig = plots.scaling(read_many([results, tmp_path / "more.csv"]))
    assert list(_lines(fig)["baseline"].get_xdata()) == [1, 2, 4, 8]
    assert list(_lines(fig)["rlock"].get_xdata()) == [1, 2, 8]


def test_cpu_bars_label_every_thread_that_ran_on_a_cpu():
    # four CPUs, none left idle: the unbound queue tasks land beside the application (a machine with an idle
    # CPU gives it to them)
    result = simulate(ROOT / "scenarios/paper/fig3_4queues.toml", duration_s=0.05,
                      overrides={"hardware": {"cpus": 4, "queues": 2, "queue_cpus": [0, 1]},
                                 "app": {"accept_cpu": 2, "worker_cpus": [3]}})
    fig = plots.cpu_bars(result)
    ax = fig.axes[0]
    bars = ax.containers
    assert [b.get_label() for b in bars] == ["user", "system", "interrupt", "idle", "of which spinning on locks"]
    assert all(len(b) == 4 for b in bars)  # one bar per CPU
    # each CPU's stack reaches 100% (the four shares account for all of its time)
    ends = [bars[3][i].get_x() + bars[3][i].get_width() for i in range(4)]
    assert ends == pytest.approx([100.0] * 4, abs=0.05)
    # the hatched spin starts where the user time ends, inside system + interrupt
    spin = bars[4]
    assert [spin[i].get_width() for i in range(4)] == [c["spin"] for c in result["cpus"]]
    assert all(spin[i].get_x() == result["cpus"][i]["user"] for i in range(4))
    # beside each bar, every thread that ran there with its share: the unbound queue task on each CPU it visited
    texts = [t.get_text() for t in ax.texts]
    on = threads_on(result)
    assert texts == [", ".join(f"{n} {s:.0f}%" for n, s in on.get(c, [])) or "idle" for c in range(4)]
    task_cpus = [c for c, names in on.items() if any(n.endswith("que task") for n, _ in names)]
    assert task_cpus and all("que task" in texts[c] for c in task_cpus)
    app = [c for c in task_cpus if "accept" in texts[c] or "worker" in texts[c]]
    assert app, texts  # a CPU shared by the application and a queue task names both
    assert "ix0:que 0 intr" in texts[0] and "ix0:que 1 intr" in texts[1]


def test_lock_waits_in_readable_units_without_an_offset(tmp_path):
    (tmp_path / "s.toml").write_text(SMALL)
    result = simulate(tmp_path / "s.toml", duration_s=0.003)
    fig = plots.lock_waits(result, limit=3)
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert len(widths) == 3 and widths == sorted(widths)  # longest on top
    top = max(r["wait_total"] for r in result["lock_profile"])
    unit = "ms" if top >= 10_000 else "µs"
    assert widths[-1] == pytest.approx(top / (1e3 if unit == "ms" else 1))
    assert ax.get_xlabel().startswith(f"wait_total ({unit} ")
    fig.canvas.draw()
    assert ax.xaxis.get_offset_text().get_text() == ""
    # a million µs is shown in ms with a thousands separator, never as "1e6"
    big = {**result, "lock_profile": [{"name": "x.c:1 (rw:tcp)", "wait_total": 2_500_000}]}
    fig = plots.lock_waits(big)
    fig.canvas.draw()
    ax = fig.axes[0]
    assert ax.xaxis.get_offset_text().get_text() == "" and "ms" in ax.get_xlabel()
    assert "2,000" in [t.get_text() for t in ax.get_xticklabels()]
    plots.save(fig, tmp_path / "w.png")
    assert (tmp_path / "w.png").read_bytes()[:8] == PNG


def test_time_series_panels_start_at_zero_and_say_what_they_show(tmp_path):
    (tmp_path / "s.toml").write_text(SMALL)
    result = simulate(tmp_path / "s.toml", duration_s=0.1)
    fig = plots.time_series(result)
    axes = fig.axes
    fig.canvas.draw()
    for ax in axes:
        assert ax.get_ylim()[0] == 0 and ax.yaxis.get_offset_text().get_text() == ""
        assert ax.get_ylabel()
    assert axes[-1].get_xlabel() == "simulated time (ms)"
    # a full TIME-WAIT list is drawn flat, from zero, not zoomed on its ±1 noise
    tw = result["series"]["timewait"]
    assert axes[3].get_ylim()[1] >= max(tw) and axes[3].get_ylim()[1] < 1.2 * max(tw) + 1
    first = {t.get_text() for t in axes[0].get_legend().get_texts()}
    assert first == {"offered", "completed", "warm-up (not measured)"}
    lines = _lines(fig)
    assert lines["completed"].get_zorder() > lines["offered"].get_zorder()
    rings = [line for line in axes[1].get_lines()]
    assert len({(line.get_color(), line.get_linestyle()) for line in rings}) == len(rings) == 2
    # 1 ms samples drawn as 10 ms rolling means
    assert axes[1].get_title(loc="left") == "receive rings (10 ms rolling mean)"
    assert list(lines["completed"].get_ydata()) == pytest.approx(plots.rolling_mean(result["series"]["goodput_cps"], 10))
    assert plots.rolling_mean([1, 2, 3, 4], 2) == [1, 1.5, 2.5, 3.5]


@pytest.mark.parametrize("args, words", [
    (["plot", "{d}/r.parquet", "-o", "{d}/q.gif"], ["-o", "q.gif", ".png, .svg, .pdf"]),
    (["plot", "{d}/none.parquet", "-o", "{d}/q.png"], ["no such results file"]),
    (["plot", "{d}/other.csv", "-o", "{d}/q.png"],
     ["other.csv: not a results file of sweep or compare (no goodput_cps, queues, run_key, seed, variant column)"]),
    (["plot", "{d}/r.parquet", "-o", "{d}/q.png", "--x", "clients.rate"],
     ["--x clients.rate: not a numeric key of the results; allowed: queues, offered_cps"]),
    (["plot", "{d}/r.parquet", "-o", "{d}/q.png", "--series", "queues"],
     ["--series queues: not a key of the results besides the x axis (queues); allowed: variant"]),
    (["plot", "{d}/r.parquet", "{rates}", "-o", "{d}/q.png"],
     ["r.parquet holds runs of scenario small (", "not of scenario small_open (", "as ", "rates.csv does"]),
])
def test_plot_mistakes_are_one_line_errors(results, rates, args, words):
    d = results.parent
    (d / "other.csv").write_text("x,y\n1,2\n")
    code, _, err = _run(*[a.format(d=d, rates=rates) for a in args])
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and all(w in err for w in words), err
