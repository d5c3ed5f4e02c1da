"""Sensitivity report: table, JSON and tornado plot; bad parameters are one-line errors."""
import io
import json

from tcpsim.cli import main
from tcpsim.sensitivity import format_table

from .conftest import SMALL, Terminal


def test_sensitivity_table_json_and_plot(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    png = tmp_path / "t.png"
    out, err = io.StringIO(), Terminal()
    args = ["sensitivity", str(p), "--params", "tcp_do_segment,soclose", "--duration", "0.003", "--plot", str(png)]
    assert main(args + ["--json"], out, err) == 0
    assert "6/6" in err.getvalue()  # the progress bar: base, next seed, two costs at -20% and +20%
    r = json.loads(out.getvalue())
    assert [row["param"] for row in sorted(r["rows"], key=lambda x: x["param"])] == ["soclose", "tcp_do_segment"]
    assert r["goodput_cps"] > 0 and "noise_pct" in r
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = io.StringIO()
    assert main(args, out, io.StringIO()) == 0 and "-20%" in out.getvalue()


def test_unknown_param(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    err = io.StringIO()
    assert main(["sensitivity", str(p), "--params", "nope"], io.StringIO(), err) == 2
    assert "'nope' is not a CPU cost" in err.getvalue()


def test_cutting_work_outside_the_lock_can_lower_goodput_and_the_table_says_why():
    """On Figure 3's machine rw:tcp sets the rate: a worker's soclose runs before it takes rw:tcp, so a cheaper
    soclose brings the workers back to the lock sooner and the interrupt CPUs spin more; tcp_do_segment runs
    under the lock, so a cheaper one helps."""
    from tcpsim.reproduce import PAPER_DIR
    from tcpsim.sensitivity import inverted, sensitivity, tornado_figure

    result = sensitivity(PAPER_DIR / "fig3_4queues.toml", ["soclose", "tcp_do_segment"], duration_s=0.1)
    rows = {r["param"]: r for r in result["rows"]}
    assert rows["soclose"]["change_low_pct"] < -result["noise_pct"] and rows["soclose"]["irq_spin_low_pts"] > 0
    assert rows["tcp_do_segment"]["change_low_pct"] > result["noise_pct"]
    assert [r["param"] for r in inverted(result)] == ["soclose"]
    text = " ".join(format_table(result).split())
    assert "Cutting soclose lowers goodput: work done outside the contended lock." in text
    assert "tcp_do_segment lowers" not in text
    fig = tornado_figure(result, top=1)
    ax = fig.axes[0]
    assert ax.get_title().endswith(f"the 1 of 2 costs with the largest effect asked for (of {result['costs_in_all']} "
                                   "CPU costs)")
    noise = [p for p in ax.patches if p.get_label().startswith("noise floor")]
    assert len(noise) == 1 and noise[0].get_label() == f"noise floor (next seed: ±{result['noise_pct']:.1f}%)"
