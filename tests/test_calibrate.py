"""Calibration machinery on a tiny problem (the real fit takes minutes: see README, 'Costs and calibration')."""
import io
import re
from pathlib import Path

import pytest

from tcpsim.calibrate import PRIOR, load_targets
from tcpsim.cli import main
from tcpsim.costs import load_costs

from .conftest import SMALL, Terminal

TINY = """
[calibration]
seed = 1
warmup_s = 0.001
duration_s = 0.003
bounds = [0.5, 2.0]
max_evaluations = 4
tolerance = 0.01

[[target]]
name = "small_goodput"
scenario = "SCENARIO"
metric = "goodput_cps"
value = 40000
weight = 1.0

[[free]]
name = "worker_system"
costs = ["soclose", "sosend"]
"""


def _setup(tmp_path):
    scen = tmp_path / "small.toml"
    scen.write_text(SMALL)
    targets = tmp_path / "t.toml"
    targets.write_text(TINY.replace("SCENARIO", str(scen)))
    return targets


def test_calibrate_writes_a_costs_file_deterministically(tmp_path):
    targets = _setup(tmp_path)
    outs = []
    for k in range(2):
        out_file = tmp_path / f"c{k}.toml"
        report, err = io.StringIO(), Terminal()
        quiet = ["--quiet"] if k else []
        assert main(["calibrate", "--targets", str(targets), "--out", str(out_file), *quiet], report, err) == 0
        assert "small_goodput" in report.getvalue() and "worker_system" in report.getvalue()
        # a progress bar counting runs (the total is open: the fit stops when it converges), not with --quiet
        assert bool(re.search(r"\d+run \[", err.getvalue())) != bool(quiet)
        outs.append(out_file.read_text().splitlines()[1:])  # line 0 names the output file
    assert outs[0] == outs[1]
    values, notes, _ = load_costs(tmp_path / "c0.toml")
    prior, _, _ = load_costs(PRIOR)  # calibrate starts from the prior costs file by default
    assert "calibrated: worker_system x" in notes["soclose"]
    assert values["kevent_scan"] == prior["kevent_scan"]  # not a free parameter: untouched


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("metric = \"goodput_cps\"", "metric = \"speed\""), "metric 'speed'"),
    (lambda t: t.replace("[[free]]\nname = \"worker_system\"\ncosts = [\"soclose\", \"sosend\"]",
                         "[[free]]\nname = \"x\"\ncosts = [\"nope\"]"), "'nope' is not in the costs file"),
    (lambda t: t.replace("tolerance = 0.01\n", ""), "[calibration] tolerance: missing"),
    (lambda t: t + "\n[extra]\n", "unknown section"),
])
def test_bad_targets_file(tmp_path, edit, message):
    targets = _setup(tmp_path)
    targets.write_text(edit(targets.read_text()))
    err = io.StringIO()
    assert main(["calibrate", "--targets", str(targets), "--out", str(tmp_path / "o.toml")], io.StringIO(), err) == 2
    assert message in err.getvalue() and len(err.getvalue().strip().splitlines()) == 1


def test_shipped_targets_use_baseline_figures_only():
    spec = load_targets(Path(__file__).resolve().parents[1] / "tcpsim" / "data" / "targets_baseline.toml")
    # calibration inputs are the baseline machines; the variants' 69k / >120k must stay predictions
    assert {t["scenario"] for t in spec["targets"]} == {"fig2_1queue", "fig3_4queues"}
    assert not any(t["value"] in (69000, 120000) for t in spec["targets"])
