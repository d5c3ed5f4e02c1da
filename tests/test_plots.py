"""Plots: scaling lines with confidence bands from a results file (CLI and API), a run's CPU bars and lock waits."""
import io

import pytest
from matplotlib.collections import PolyCollection

from tcpsim import plots
from tcpsim.cli import main
from tcpsim.results_file import read
from tcpsim.simulate import simulate

from .conftest import SMALL

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    d = tmp_path_factory.mktemp("plots")
    (d / "s.toml").write_text(SMALL)
    assert main(["compare", str(d / "s.toml"), "--variants", "baseline,rlock", "--queues", "1,2", "--seeds", "2",
                 "--duration", "0.003", "-o", str(d / "r.parquet")], io.StringIO(), io.StringIO()) == 0
    return d / "r.parquet"


def test_plot_command_writes_a_png_of_the_results_file(results, tmp_path):
    out = io.StringIO()
    assert main(["plot", str(results), "-o", str(tmp_path / "q.png")], out, io.StringIO()) == 0
    assert (tmp_path / "q.png").read_bytes()[:8] == PNG and "8 runs" in out.getvalue()


def test_scaling_has_a_line_and_a_band_per_variant_at_the_mean(results):
    rows = read(results)
    fig = plots.scaling(rows)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert sorted(lines) == ["baseline", "rlock"]
    assert list(lines["baseline"].get_xdata()) == [1, 2]
    base = [r["goodput_cps"] for r in rows if r["variant"] == "baseline" and r["queues"] == 1]
    assert lines["baseline"].get_ydata()[0] == pytest.approx(sum(base) / 2)
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2
    # one seed: no band
    one = plots.scaling([r for r in rows if r["seed"] == rows[0]["seed"]])
    assert not [c for c in one.axes[0].collections if isinstance(c, PolyCollection)]


def test_cpu_bars_and_lock_waits_of_one_run(tmp_path):
    (tmp_path / "s.toml").write_text(SMALL)
    result = simulate(tmp_path / "s.toml", duration_s=0.003)
    fig = plots.cpu_bars(result)
    bars = fig.axes[0].containers
    assert [b.get_label() for b in bars] == ["user", "system", "interrupt", "idle", "of which spin"]
    assert all(len(b) == 8 for b in bars)  # SMALL has 8 CPUs
    # each CPU's stack reaches 100% (the four shares account for all of its time)
    tops = [bars[3][i].get_y() + bars[3][i].get_height() for i in range(8)]
    assert tops == pytest.approx([100.0] * 8, abs=0.05)
    # the hatched spin sits above the user time, inside system + interrupt
    spin = bars[4]
    assert [spin[i].get_height() for i in range(8)] == [c["spin"] for c in result["cpus"]]
    assert all(spin[i].get_y() == result["cpus"][i]["user"] for i in range(8))
    fig = plots.lock_waits(result, limit=3)
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert len(widths) == 3 and widths == sorted(widths)  # longest on top
    assert widths[-1] == max(r["wait_total"] for r in result["lock_profile"])
    plots.save(fig, tmp_path / "w.png")
    assert (tmp_path / "w.png").read_bytes()[:8] == PNG


@pytest.mark.parametrize("args, words", [
    (["plot", "{d}/r.parquet", "-o", "{d}/q.gif"], ["-o", "q.gif", ".png, .svg, .pdf"]),
    (["plot", "{d}/none.parquet", "-o", "{d}/q.png"], ["no such results file"]),
    (["plot", "{d}/other.csv", "-o", "{d}/q.png"], ["no goodput_cps, queues, seed, variant column"]),
])
def test_plot_mistakes_are_one_line_errors(results, args, words):
    d = results.parent
    (d / "other.csv").write_text("x,y\n1,2\n")
    err = io.StringIO()
    assert main([a.format(d=d) for a in args], io.StringIO(), err) == 2
    assert len(err.getvalue().strip().splitlines()) == 1 and all(w in err.getvalue() for w in words), err.getvalue()
