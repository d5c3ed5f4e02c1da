"""What a new user trips over on the command line (issue 18, item 8): a "did you mean" instead of a wall of
names, one error prefix, repeated or ignored input refused or explained."""
from __future__ import annotations

import io

import pytest

from tcpsim.cli import main
from tcpsim.cli.options import cpu_list

from .conftest import SMALL


@pytest.fixture
def small(tmp_path):
    p = tmp_path / "small.toml"
    p.write_text(SMALL)
    return p


def _fails(argv) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, out, err) == 2
    line = err.getvalue()
    assert line.count("\n") == 1 and out.getvalue() == "", line
    return line.strip()


def test_a_misspelt_set_key_gets_the_closest_keys_not_all_of_them(small):
    line = _fails(["sweep", str(small), "--set", "clients.rat=[1, 2]"])
    assert line.startswith("tcpsim: error: --set clients.rat: unknown key (did you mean 'clients.rate'?)")
    assert "README, 'Scenario files'" in line  # where every key is listed
    assert "hardware.queues" not in line and len(line) < 400  # not the ~900 characters of every key
    line = _fails(["sweep", str(small), "--set", "client.rate=1"])  # a misspelt section: compared as a whole
    assert "did you mean 'clients.rate'" in line


def test_a_misspelt_cost_gets_a_did_you_mean(small):
    line = _fails(["sensitivity", str(small), "--params", "tcp_do_segmnt"])
    assert "'tcp_do_segmnt' is not a CPU cost of the costs file (did you mean 'tcp_do_segment'?)" in line
    assert len(line) < 300


@pytest.mark.parametrize("argv, hint", [
    (["run", "S", "--duraton", "0.1"], "unrecognized arguments: --duraton 0.1 (did you mean '--duration'?)"),
    (["sweep", "S", "--sed=2"], "(did you mean '--seed' or '--seeds'?)"),
    (["rn", "S"], "invalid choice: 'rn'"),
    (["run", "S", "--engine", "fats"], "(did you mean 'fast'?)"),
])
def test_a_misspelt_option_gets_a_did_you_mean(small, argv, hint):
    line = _fails([str(small) if a == "S" else a for a in argv])
    assert line.startswith("tcpsim: error: ") and hint in line
    if argv[0] == "rn":
        assert line.endswith("(did you mean 'run'?)")


def test_one_error_prefix_for_usage_and_input_mistakes(small, tmp_path):
    usage = _fails(["run", str(small), "--warmup", "-1"])  # argparse's own check
    value = _fails(["run", str(small), "--variant", "rlok"])  # the scenario's check
    missing = _fails(["run", str(tmp_path / "nope.toml")])
    required = _fails(["plot", "x.csv"])
    assert all(line.startswith("tcpsim: error: ") for line in (usage, value, missing, required))


def test_setting_one_key_twice_is_refused(small):
    line = _fails(["sweep", str(small), "--set", "clients.concurrency=8", "--set", "clients.concurrency=16"])
    assert line == ("tcpsim: error: --set clients.concurrency: given more than once; allowed: one --set per key, "
                    "its values as one array (clients.concurrency=[A, B])")


def test_a_misspelt_state_in_a_predicate_is_an_error(small):
    line = _fails(["run", str(small), "--probe", "tcp:::state-change /new == TIME_WIAT/ { @ = count() }"])
    assert "new is never 'TIME_WIAT' (did you mean 'TIME_WAIT'?); allowed: CLOSED, SYN_RECEIVED" in line
    line = _fails(["run", str(small), "--probe", "tcp:::receive /segment == SYNN/"])
    assert "segment is never 'SYNN' (did you mean 'SYN'?)" in line


def test_cpuset_ranges():
    assert cpu_list("0-3") == [0, 1, 2, 3]
    assert cpu_list("0,2,4-5") == [0, 2, 4, 5]
    assert cpu_list("1,1-2") == [1, 2]


def test_an_idle_profiled_cpu_is_said_not_dropped(small, tmp_path):
    folded = tmp_path / "f.txt"
    out, err = io.StringIO(), io.StringIO()
    # SMALL: interrupt CPUs 0-1, accept on 4, a worker on 5; CPU 7 runs nothing
    assert main(["run", str(small), "--profile-cpus", "0-1,7", "--folded", str(folded)], out, err) == 0
    text = out.getvalue()
    assert "# pmcstat -c 0 " in text and "# pmcstat -c 1 " in text
    assert ("# pmcstat -c 7 -S unhalted-cycles -O sample.pmc; pmcstat -R sample.pmc -G call.graph\n"
            "no samples of CPU 7: it was idle in the measured window") in text
    assert err.getvalue() == (f"tcpsim: warning: --folded {folded}: no samples of CPU 7: it was idle in the measured "
                              "window (pmcstat samples the cycles a CPU spends busy); it holds the other CPUs' "
                              "stacks\n")
    assert folded.read_text().startswith("CPU 0;")
    err = io.StringIO()
    assert main(["run", str(small), "--profile-cpus", "7", "--folded", str(folded)], io.StringIO(), err) == 0
    assert "the file holds no stacks" in err.getvalue() and folded.read_text() == ""


def test_a_report_is_html_only(small, tmp_path):
    line = _fails(["report", str(small), "-o", str(tmp_path / "report.pdf")])
    assert line == f"tcpsim: error: -o {tmp_path / 'report.pdf'}: a report is one HTML page; allowed: a .html file"
    assert not (tmp_path / "report.pdf").exists()


def test_plot_blames_its_input(tmp_path):
    results = tmp_path / "r.json"
    results.write_text("{}")
    line = _fails(["plot", str(results), "-o", str(tmp_path / "p.png")])
    assert line.startswith(f"tcpsim: error: results file {results}: unknown results format '.json'")
