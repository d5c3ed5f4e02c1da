"""First-time-user fixes of issue #10: lock rows, --no-pmcstat, the pmcstat header, reproduce's width and
--strict."""
import io
import json

import pytest

from tcpsim.cli import main
from tcpsim.reproduce import Row, format_rows

from .conftest import SMALL


@pytest.fixture
def small(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    return p


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    status = main(["run", *map(str, args)], out, err)
    return status, out.getvalue(), err.getvalue()


def test_lock_rows_shows_more_rows_and_says_when_rows_are_left_out(small):
    status, text, _ = _run(small, "--duration", "0.002", "--lock-rows", "2")
    view = text[text.index("# sysctl debug.lock.prof.stats"):text.index("# pmcstat")]
    rows = [line for line in view.splitlines() if line.strip() and line.lstrip()[0].isdigit()]
    assert status == 0 and len(rows) == 2
    assert "more rows with less waiting: --lock-rows" in view
    status, text, _ = _run(small, "--duration", "0.002", "--lock-rows", "0")
    view = text[text.index("# sysctl debug.lock.prof.stats"):text.index("# pmcstat")]
    assert "more rows" not in view and len([ln for ln in view.splitlines() if "(rw:" in ln or "(mtx:" in ln]) > 12


def test_no_pmcstat_leaves_the_call_graphs_out(small):
    status, text, _ = _run(small, "--duration", "0.002", "--no-pmcstat")
    assert status == 0 and "pmcstat" not in text and "# sysctl debug.lock.prof.stats" in text
    status, text, _ = _run(small, "--duration", "0.002", "--no-pmcstat", "--json")
    assert "profile" not in json.loads(text)
    status, _, err = _run(small, "--no-pmcstat", "--profile-cpus", "0")
    assert status == 2 and "--no-pmcstat and --profile-cpus" in err


def test_pmcstat_header_names_the_event_and_the_cpu(small):
    _, text, _ = _run(small, "--duration", "0.002")
    assert "# pmcstat -c 0 -S unhalted-cycles -O sample.pmc" in text
    assert "@ unhalted-cycles (CPU 0) [" in text


def test_reproduce_table_fits_120_columns():
    rows = [Row("a", "Fig. 5", "rw:tcp wait per acquisition: workers' sites / tcp_input's", 0.33, 1.15, False,
                "prediction", "±0.15"),
            Row("b", "Fig. 5", "top five rw:tcp rows by wait_total", "in:1013 in:778 usr:635 usr:984 usr:728",
                "in:778 in:1013 usr:635 usr:984 usr:728", True, "calibration", "order ±1 place")]
    text = format_rows(rows)
    assert max(len(line) for line in text.splitlines()) <= 120
    assert "workers' sites / tcp_input's" in text  # wrapped onto a continuation line, not cut


def test_reproduce_strict_exits_1_when_a_figure_is_out_of_tolerance(monkeypatch):
    import tcpsim.reproduce

    rows = [Row("a", "Fig. 2", "x", 1.0, 1.0, True, "calibration", "±1"),
            Row("b", "Fig. 3", "y", 1.0, 9.0, False, "prediction", "±1"), Row("c", "text", "z", 1, None, None, "-", "-")]
    monkeypatch.setattr(tcpsim.reproduce, "reproduce", lambda *a, **k: (rows, {}))
    assert main(["reproduce", "--quiet"], io.StringIO(), io.StringIO()) == 0
    assert main(["reproduce", "--quiet", "--strict"], io.StringIO(), io.StringIO()) == 1
    monkeypatch.setattr(tcpsim.reproduce, "reproduce", lambda *a, **k: (rows[:1] + rows[2:], {}))
    assert main(["reproduce", "--quiet", "--strict"], io.StringIO(), io.StringIO()) == 0
