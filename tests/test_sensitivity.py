"""Sensitivity report: table, JSON and tornado plot; bad parameters are one-line errors."""
import io
import json

from tcpsim.cli import main

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
