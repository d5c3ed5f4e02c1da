"""tcpsim sweep: --set parsing, the grid, one summary row per run, and one-line errors for bad input."""
import csv
import io
import json

import pytest

from tcpsim.cli import main
from tcpsim.errors import TcpsimError
from tcpsim.stats import mean_ci
from tcpsim.sweep import grid, parse_set, seed_list

from .conftest import SMALL


def test_set_values_are_toml_values_or_arrays_of_them():
    assert parse_set("clients.rate=[50000, 54000]") == ("clients", "rate", [50000, 54000])
    assert parse_set("hardware.queues=4") == ("hardware", "queues", [4])
    assert parse_set('scenario.variant=["baseline", "rlock"]') == ("scenario", "variant", ["baseline", "rlock"])
    # a key that takes a list: one list is one value, an array of lists is several
    assert parse_set("hardware.lock_race_weight=[1, 10]")[2] == [[1, 10]]
    assert parse_set("hardware.lock_race_weight=[[1], [1, 10]]")[2] == [[1], [1, 10]]


@pytest.mark.parametrize("text, words", [
    ("clients.rte=1", ["clients.rte", "unknown key", "clients.rate"]),
    ("clients.rate", ["SECTION.KEY=VALUES"]),
    ("clients.rate=[1,", ["not a TOML value"]),
    ("clients.rate=[]", ["empty array"]),
])
def test_bad_set_is_one_line_naming_the_key(text, words):
    with pytest.raises(TcpsimError) as e:
        parse_set(text)
    assert "\n" not in str(e.value) and all(w in str(e.value) for w in words)


def test_grid_is_the_cartesian_product():
    points = grid([parse_set("hardware.queues=[1, 2]"), parse_set("clients.concurrency=[8, 16, 32]")])
    assert len(points) == 6
    assert points[-1] == ({"hardware.queues": 2, "clients.concurrency": 32},
                          {"hardware": {"queues": 2}, "clients": {"concurrency": 32}})


def test_cli_sweep_rows_table_json_and_csv(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    args = ["sweep", str(p), "--set", "clients.concurrency=[4, 16]", "--variants", "baseline,rlock",
            "--duration", "0.003", "-o", str(tmp_path / "rows.csv")]
    out = io.StringIO()
    assert main(args + ["--json"], out, io.StringIO()) == 0
    rows = json.loads(out.getvalue())["rows"]
    assert [(r["variant"], r["clients.concurrency"]) for r in rows] == [
        ("baseline", 4), ("baseline", 16), ("rlock", 4), ("rlock", 16)]
    assert all(r["goodput_cps"] > 0 for r in rows)
    assert rows[1]["goodput_cps"] > rows[0]["goodput_cps"]  # 4 clients leave the server idle, 16 do not
    with open(tmp_path / "rows.csv") as f:
        assert len(list(csv.DictReader(f))) == 4
    out = io.StringIO()
    assert main(args, out, io.StringIO()) == 0
    assert "clients.concurrency" in out.getvalue() and "4 runs" in out.getvalue()


def test_cli_sweep_user_errors_exit_2(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    for args in (["sweep", str(p)],  # nothing to sweep
                 ["sweep", str(tmp_path / "missing.toml"), "--set", "hardware.queues=2"],
                 ["compare", str(tmp_path / "missing.toml"), "--variants", "baseline"],
                 ["sweep", str(p), "--set", "clients.bogus=1"],
                 ["sweep", str(p), "--set", "clients.concurrency=[0, 4]"],  # out of range, caught before running
                 ["sweep", str(p), "--set", 'scenario.variant=["rlock"]', "--variants", "baseline"]):
        err = io.StringIO()
        assert main(args, io.StringIO(), err) == 2, args
        assert len(err.getvalue().strip().splitlines()) == 1 and "Traceback" not in err.getvalue()


def test_seed_list_counts_from_the_first_seed_or_takes_a_list():
    assert seed_list(7, None) == [7]
    assert seed_list(7, 3) == [7, 8, 9]
    assert seed_list(7, [1, 5, 9]) == [1, 5, 9]


def _sweep_json(tmp_path, *extra):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    out = io.StringIO()
    assert main(["sweep", str(p), "--set", "clients.concurrency=[16, 32]", "--duration", "0.003", "--json",
                 *extra], out, io.StringIO()) == 0
    return json.loads(out.getvalue())


def test_sweep_seeds_keep_every_run_and_report_mean_and_ci_per_point(tmp_path):
    data = _sweep_json(tmp_path, "--seed", "4", "--seeds", "3")
    rows, points = data["rows"], data["points"]
    assert [(r["clients.concurrency"], r["seed"]) for r in rows] == [
        (16, 4), (16, 5), (16, 6), (32, 4), (32, 5), (32, 6)]
    assert [(p["clients.concurrency"], p["seeds"]) for p in points] == [(16, [4, 5, 6]), (32, [4, 5, 6])]
    for p in points:
        runs = [r["goodput_cps"] for r in rows if r["clients.concurrency"] == p["clients.concurrency"]]
        assert p["goodput_cps"] == pytest.approx(sum(runs) / 3)
        assert p["goodput_cps_ci95"] == pytest.approx(mean_ci(runs)[1])
    # the baseline's lock races depend on the seed: the seeds really differ, and the interval is not zero
    # (the 32-client point: in 3 ms the 16 clients' seeds can complete the same count, their latencies differ)
    assert len({r["p99_ms"] for r in rows[:3]}) > 1
    assert len({r["goodput_cps"] for r in rows[3:]}) > 1 and points[1]["goodput_cps_ci95"] > 0
    # each per-seed row is the run that seed gives alone
    alone = _sweep_json(tmp_path, "--seed", "5")["rows"][0]
    assert alone == rows[1]


def test_seeds_as_a_list_and_the_table_shows_plus_minus(tmp_path):
    assert [r["seed"] for r in _sweep_json(tmp_path, "--seeds", "9,2")["rows"]] == [9, 2, 9, 2]
    p = tmp_path / "s.toml"
    out = io.StringIO()
    assert main(["compare", str(p), "--variants", "baseline", "--queues", "1,2", "--duration", "0.003",
                 "--seeds", "2"], out, io.StringIO()) == 0
    text = out.getvalue()
    assert "±" in text and "4 runs (2 points x 2 seeds" in text and "wall time" in text


@pytest.mark.parametrize("extra, words", [
    (["--seeds", "0"], ["--seeds", ">= 1"]),
    (["--seeds", "1,x"], ["--seeds", "1,5,9"]),
    (["--seeds", "3,3"], ["--seeds", "twice"]),
    (["--seed", "2", "--seeds", "1,5"], ["--seed and --seeds"]),
    (["--set", "run.seed=[1, 2]", "--seeds", "2"], ["--set run.seed and --seeds"]),
])
def test_bad_seeds_are_one_line_errors(tmp_path, extra, words):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    err = io.StringIO()
    assert main(["sweep", str(p), "--set", "clients.concurrency=4", *extra], io.StringIO(), err) == 2
    assert len(err.getvalue().strip().splitlines()) == 1 and all(w in err.getvalue() for w in words)
