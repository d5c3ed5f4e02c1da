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
    view = text[text.index("# sysctl debug.lock.prof.stats"):text.index("# lock hand-offs")]
    rows = [line for line in view.splitlines() if line.strip() and line.lstrip()[0].isdigit()]
    assert status == 0 and len(rows) == 2
    assert "more rows with less waiting: --lock-rows" in view
    status, text, _ = _run(small, "--duration", "0.002", "--lock-rows", "0")
    view = text[text.index("# sysctl debug.lock.prof.stats"):text.index("# lock hand-offs")]
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


def test_top_header_counts_threads_by_state():
    from tcpsim.observe.top import format_header

    text = format_header(1003, 6.016, 0.12, ["CPU0", "RUN", "*tcp", "WAIT", "kqread", "accept"])
    assert text.splitlines() == ["last pid:  1003;  load averages:  6.02,  6.02,  6.02  up 0+00:00:00",
                                 "6 threads:   2 running, 2 sleeping, 1 waiting, 1 lock"]


def test_top_shows_the_lock_a_blocked_thread_waits_on(harness):
    from tcpsim.observe.results import thread_states

    h = harness()
    owner, waiter, idle = h.thread("owner", 0), h.thread("waiter", 1), h.thread("idle", 2)
    # the owner leaves its CPU holding rw:tcp, so the waiter stops spinning and sleeps on the turnstile
    h.start(owner, 0, [("acquire", "tcp", "W"), ("sleep", 200_000), ("release", "tcp")])
    h.start(waiter, 1_000, [("acquire", "tcp", "W"), ("release", "tcp")])
    h.run(100_000)
    states = thread_states(h.engine)
    assert states["waiter"] == "*tcp" and states["owner"] == "-" and states["idle"] == "-"


def test_run_prints_top_header_and_states(small):
    _, text, _ = _run(small, "--duration", "0.002")
    top = text[text.index("$ top -SHIPz"):text.index("$ vmstat")]
    lines = top.splitlines()
    assert lines[1].startswith("last pid:") and "load averages:" in lines[1]
    assert lines[2].split(":")[0].endswith("threads") and lines[3].startswith("CPU 0:")
    states = {line.split()[6] for line in lines if "tcp_server" in line or "intr{" in line}
    assert states <= {"RUN", "WAIT", "kqread", "accept", "-"} | {f"CPU{c}" for c in range(8)} | {"*tcp", "*tcpinp"}
