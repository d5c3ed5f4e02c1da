"""Small things a reader notices (issue 18, item 12): one way to write mean ± half-width, counts with their
noun, latencies with the same digits in every view, echoed D that is D, no local path in a shared page."""
from __future__ import annotations

import io
import re

from tcpsim.cli import main
from tcpsim.observe.clauses import Clause
from tcpsim.observe.results import format_summary, latency_ms
from tcpsim.reproduce import Row, format_rows
from tcpsim.simulate import run_model

from .conftest import SMALL, make_model


def test_a_half_width_takes_its_means_digits():
    rows = [Row("a", "Fig. 2", "rate", 56000, 56012.4, True, "calibration", "±10%", 2.87),
            Row("b", "Fig. 5", "ratio", 0.33, 0.97, True, "prediction", "±0.15", 0.012),
            Row("c", "text", "rlock", "> 120,000", 148589.0, True, "prediction", "> 120,000", 1359.2)]
    text = format_rows(rows)
    assert "56,012 ± 3 " in text and "0.97 ± 0.01 " in text and "148,589 ± 1,359 " in text


def test_counts_have_their_noun(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    out = io.StringIO()
    assert main(["sweep", str(p), "--set", "clients.concurrency=8", "--duration", "0.002"], out, io.StringIO()) == 0
    assert re.search(r"\n1 run in [\d.]+ s of wall time\n$", out.getvalue())


def test_latency_has_the_same_digits_in_every_view():
    result, _ = run_model(make_model())
    lat = result["latency_ms"]
    p50, p99 = latency_ms(lat["p50"]), latency_ms(lat["p99"])
    assert re.fullmatch(r"\d+\.\d{3}", p50)
    assert f"p50 {p50} " in format_summary(result) and f"p99 {p99}" in format_summary(result)
    assert f"p50 {p50} ms, p99 {p99} ms" in result._repr_html_()


def test_the_echoed_d_of_a_bare_probe_names_its_keys():
    assert Clause("lockstat:::rw-spin").describe() == "lockstat:::rw-spin { @[probename, lock, site] = count(); }"
    # probes with different arguments: one clause each, as separate -n options
    assert Clause("tcp:::*").describe() == (
        "tcp:::state-change { @[probename, new] = count(); }' -n 'tcp:::receive, tcp:::send { @[probename, "
        "segment] = count(); }' -n 'tcp:::drop { @[probename, segment, reason] = count(); }")
    assert "..." not in Clause("sched:::*").describe()


def test_the_report_footer_holds_no_absolute_path(tmp_path, monkeypatch):
    scen = tmp_path / "mine.toml"
    scen.write_text(SMALL)
    elsewhere = tmp_path / "out"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["report", str(scen), "-o", "r.html"], io.StringIO(), io.StringIO()) == 0
    footer = re.search(r"<footer>(.*?)</footer>", (elsewhere / "r.html").read_text(), re.S)[1]
    assert "to rerun: tcpsim report mine.toml --seed 1 " in footer and str(tmp_path) not in footer
