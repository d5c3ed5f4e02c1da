"""Results files (-o .parquet/.csv): one tidy row per run, read back unchanged, resumed after an interruption."""
import io
import json

import pandas as pd
import pytest

from tcpsim import __version__
from tcpsim.cli import main
from tcpsim.engines import DEFAULT_ENGINE
from tcpsim.errors import TcpsimError
from tcpsim.results_file import read, write
from tcpsim.revision import revision
from tcpsim.sweep import parse_set, sweep

from .conftest import SMALL

SETS = [parse_set("clients.concurrency=[8, 16]")]


@pytest.fixture
def scen(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    return p


def test_parquet_has_one_row_per_run_with_identity_and_numbers(scen, tmp_path):
    out = tmp_path / "r.parquet"
    buf = io.StringIO()
    assert main(["sweep", str(scen), "--set", "clients.concurrency=[8, 16]", "--variants", "baseline,rlock",
                 "--seeds", "2", "--duration", "0.003", "-o", str(out), "--json"], buf, io.StringIO()) == 0
    rows = json.loads(buf.getvalue())["rows"]
    frame = pd.read_parquet(out)
    assert len(frame) == len(rows) == 8
    assert list(frame.columns[:4]) == ["clients.concurrency", "variant", "queues", "seed"]
    assert {"scenario_sha256", "engine", "version", "goodput_cps", "irq_busy", "top_site", "run_key"} <= set(frame.columns)
    assert set(frame["version"]) == {__version__} and set(frame["engine"]) == {DEFAULT_ENGINE}
    assert frame["scenario_sha256"].str.len().eq(64).all()
    # exactly the rows the command printed, in its order, numbers unchanged
    assert read(out) == rows
    assert frame["goodput_cps"].tolist() == [r["goodput_cps"] for r in rows]


def test_csv_round_trips_lists_and_missing_numbers(tmp_path):
    rows = [{"a.b": [1, 2], "x": 1.5, "y": None, "s": "baseline"}, {"a.b": [3], "x": 2.0, "y": 4.0, "s": "rlock"}]
    write(tmp_path / "r.csv", rows)
    assert read(tmp_path / "r.csv") == rows
    assert pd.read_csv(tmp_path / "r.csv")["a.b"].tolist() == ["[1, 2]", "[3]"]
    write(tmp_path / "r.parquet", rows)
    assert read(tmp_path / "r.parquet") == rows


def test_an_interrupted_sweep_resumes_and_ends_with_the_clean_file(scen, tmp_path):
    clean, resumed = tmp_path / "clean.parquet", tmp_path / "resumed.parquet"
    kw = dict(variants=["baseline", "rlock"], seeds=2, duration_s=0.003)
    ran = []
    sweep(scen, SETS, output=clean, progress=lambda done, total: ran.append((done, total)), **kw)
    assert ran[-1] == (8, 8)
    # an interruption after some runs: the file holds only those (written each in turn, in finishing order)
    full = pd.read_parquet(clean)
    full.drop(index=[1, 4, 6]).iloc[::-1].to_parquet(resumed, index=False)
    ran.clear()
    rows = sweep(scen, SETS, output=resumed, progress=lambda done, total: ran.append((done, total)), **kw)
    assert ran[-1] == (3, 3)  # only the three missing runs ran
    assert pd.read_parquet(resumed).equals(full)
    assert [r["run_key"] for r in rows] == full["run_key"].tolist()
    ran.clear()  # a complete file: nothing to run
    sweep(scen, SETS, output=resumed, progress=lambda done, total: ran.append((done, total)), **kw)
    assert ran == [(0, 0)]


def test_a_failing_run_leaves_every_finished_run_in_a_readable_file(scen, tmp_path, monkeypatch):
    import tcpsim.sweep as sw

    real, calls = sw.run_point, []

    def dies_on_third(task):
        calls.append(task)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(sw, "run_point", dies_on_third)
    with pytest.raises(KeyboardInterrupt):
        sweep(scen, SETS, seeds=2, duration_s=0.003, output=tmp_path / "r.csv")
    assert len(read(tmp_path / "r.csv")) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("name, setup, words", [
    ("r.txt", None, ["-o", "r.txt", ".parquet or .csv"]),
    ("missing/r.csv", None, ["does not exist"]),
    ("other.csv", "x,y\n1,2\n", ["not a tcpsim results file"]),
    ("bad.parquet", "not parquet", ["not a readable results file"]),
])
def test_bad_results_files_are_one_line_errors(scen, tmp_path, name, setup, words):
    if setup:
        (tmp_path / name).write_text(setup)
    err = io.StringIO()
    assert main(["sweep", str(scen), "--set", "clients.concurrency=4", "--duration", "0.002",
                 "-o", str(tmp_path / name)], io.StringIO(), err) == 2
    assert len(err.getvalue().strip().splitlines()) == 1 and all(w in err.getvalue() for w in words), err.getvalue()


def test_a_file_grows_by_variants_points_and_seeds(scen, tmp_path):
    out = tmp_path / "r.csv"
    sweep(scen, [parse_set("clients.concurrency=8")], duration_s=0.003, output=out)
    first = read(out)
    assert len(first) == 1
    ran = []
    rows = sweep(scen, SETS, variants=["baseline", "rlock"], duration_s=0.003, output=out,
                 progress=lambda done, total: ran.append(total))
    assert ran[-1] == 3 and len(rows) == 4  # the run at 8 clients with the baseline was not run again
    assert len(read(out)) == 4 and read(out)[0] == first[0]
    sweep(scen, SETS, variants=["rlock"], seeds=2, duration_s=0.003, output=out)  # seeds of one variant
    held = read(out)
    assert len(held) == 6 and len({r["run_key"] for r in held}) == 6
    assert sorted((r["variant"], r["clients.concurrency"], r["seed"]) for r in held) == [
        ("baseline", 8, 1), ("baseline", 16, 1), ("rlock", 8, 1), ("rlock", 8, 2), ("rlock", 16, 1), ("rlock", 16, 2)]
    # each row says what it ran and with which code
    assert {(r["scenario"], r["scenario_path"], r["revision"]) for r in held} == {("small", str(scen), revision())}


def test_queue_counts_grow_a_file_of_compare(scen, tmp_path):
    out = tmp_path / "r.parquet"
    for queues in ([1], [2, 4]):
        assert main(["compare", str(scen), "--variants", "baseline", "--queues", ",".join(map(str, queues)),
                     "--duration", "0.003", "-o", str(out)], io.StringIO(), io.StringIO()) == 0
    assert [r["queues"] for r in read(out)] == [1, 2, 4]


@pytest.mark.parametrize("second, words", [
    (["compare", "{s}", "--variants", "baseline"],
     ["holds a sweep of clients.concurrency, not of queue counts (compare)"]),
    (["sweep", "{other}", "--set", "clients.concurrency=8"],
     ["holds runs of scenario small ({s}, sha256", "not of scenario other ({other}, sha256"]),
    (["sweep", "{s}", "--set", "clients.concurrency=8", "--duration", "0.004"],
     ["holds runs of a 0.003 s window, not of a 0.004 s window"]),
    (["sweep", "{s}", "--set", "clients.concurrency=8", "--engine", "simpy"],
     ["holds runs of engine fast, not of engine simpy"]),
])
def test_a_file_of_another_experiment_is_not_mixed_in(scen, tmp_path, second, words):
    out = tmp_path / "r.csv"
    other = tmp_path / "other.toml"
    other.write_text(SMALL.replace('name = "small"', 'name = "other"'))
    sweep(scen, SETS, duration_s=0.003, output=out, engine="fast")
    before = out.read_bytes()
    err = io.StringIO()
    args = [a.format(s=scen, other=other) for a in second]
    window = [] if "--duration" in args else ["--duration", "0.003"]
    assert main([*args, *window, "-o", str(out)], io.StringIO(), err) == 2
    line = err.getvalue()
    assert line.count("\n") == 1 and line.startswith(f"tcpsim: error: -o {out}: ")
    assert all(w.format(s=scen, other=other) in line for w in words), line
    assert "allowed: the same scenario, engine, window and --set keys" in line
    assert out.read_bytes() == before  # untouched


def test_runs_of_another_code_revision_are_kept_only_when_asked(scen, tmp_path, monkeypatch):
    import tcpsim.sweep as sw

    out = tmp_path / "r.csv"
    monkeypatch.setattr(sw, "revision", lambda: "v0-old")
    sweep(scen, SETS, duration_s=0.003, output=out)
    monkeypatch.setattr(sw, "revision", lambda: "v1-new")
    with pytest.raises(TcpsimError) as e:
        sweep(scen, SETS, duration_s=0.003, output=out)
    assert str(e.value) == (f"-o {out}: holds runs of code revision v0-old, this is v1-new, whose numbers may differ; "
                            "allowed: a new file, or --resume-across-revisions to keep and reuse them")
    ran = []
    rows = sweep(scen, [parse_set("clients.concurrency=[8, 16, 32]")], duration_s=0.003, output=out,
                 across_revisions=True, progress=lambda done, total: ran.append(total))
    assert ran[-1] == 1  # the two runs of the old revision were reused, as asked
    assert [r["revision"] for r in rows] == ["v0-old", "v0-old", "v1-new"]
    assert [r["revision"] for r in read(out)] == ["v0-old", "v0-old", "v1-new"]


def test_a_revision_of_digits_stays_text_and_the_file_resumes(scen, tmp_path, monkeypatch):
    """A short git hash can be all digits (9458741): CSV must give it back as the text the next run compares."""
    import tcpsim.sweep as sw

    out = tmp_path / "r.csv"
    monkeypatch.setattr(sw, "revision", lambda: "9458741")
    sweep(scen, SETS, duration_s=0.003, output=out)
    assert {r["revision"] for r in read(out)} == {"9458741"}
    ran = []
    sweep(scen, SETS, duration_s=0.003, output=out, progress=lambda done, total: ran.append(total))
    assert ran[-1] == 0  # every run found in the file: nothing run again


def test_the_command_says_how_many_runs_it_reused(scen, tmp_path):
    out_file = tmp_path / "r.parquet"
    args = ["sweep", str(scen), "--set", "clients.concurrency=[8, 16]", "--duration", "0.003", "-o", str(out_file)]
    assert main(args, io.StringIO(), io.StringIO()) == 0
    first = pd.read_parquet(out_file)
    first.iloc[:1].to_parquet(out_file, index=False)
    out = io.StringIO()
    assert main(args + ["--seeds", "2"], out, io.StringIO()) == 0  # one run kept, three run now
    assert f"4 runs (2 points x 2 seeds; ± is the 95% confidence interval's half-width; 1 already in {out_file}, not run again)" \
        in out.getvalue()
    assert pd.read_parquet(out_file)["seed"].tolist() == [1, 2, 1, 2]
