"""compare and sweep across kernels (--kernels): every kernel x queue count (x variant, x point), the table's CPU
split, and one-line errors for an unknown kernel or a variant a kernel does not have."""
import io
import json

import pytest

from tcpsim.cli import main
from tcpsim.errors import TcpsimError
from tcpsim.scenario import parse
from tcpsim.sweep import CORES_KEY, KERNEL_KEY, with_axes

from .conftest import SMALL
from .test_views_linux import linux_words_kernel  # noqa: F401  (the fixture: a second kernel, Linux's words)


def test_with_axes_is_kernel_major_then_cores_and_the_points_keys_win(linux_words_kernel):
    sections = parse(SMALL, "s.toml")
    points = [({}, {"hardware": {"queues": 1}}), ({}, {"clients": {"rate": 5.0}, "scenario": {"variant": "x"}})]
    assert with_axes(sections, points) == points
    out = with_axes(sections, points, ["freebsd10", "wordskernel"])
    assert [(p[0][KERNEL_KEY], p[1]["scenario"]["kernel"]) for p in out] == [
        ("freebsd10", "freebsd10"), ("freebsd10", "freebsd10"), ("wordskernel", "wordskernel"),
        ("wordskernel", "wordskernel")]
    assert out[1][1]["scenario"] == {"variant": "x", "kernel": "freebsd10"}  # the point's own scenario keys stay
    out = with_axes(sections, points, cores=[1, 3])
    assert [p[0][CORES_KEY] for p in out] == [1, 1, 3, 3]
    assert out[0][1]["hardware"]["queues"] == 1  # the point's own
    three = out[3][1]
    assert three["app"] == {"accept_cpu": 0, "worker_cpus": [0, 1, 2]} and three["hardware"]["queues"] == 3
    with pytest.raises(TcpsimError, match="--cores 9: 9 cores on a 8-CPU machine; allowed: 1 to 8"):
        with_axes(sections, points, cores=[9])


def _compare(tmp_path, *extra):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    out, err = io.StringIO(), io.StringIO()
    status = main(["compare", str(p), "--variants", "baseline", "--queues", "1,2", "--duration", "0.003",
                   "--kernels", "freebsd10,wordskernel", *extra], out, err)
    return status, out.getvalue(), err.getvalue()


def test_compare_runs_every_kernel_and_queue_count(tmp_path, linux_words_kernel):
    status, text, _err = _compare(tmp_path, "--json")
    assert status == 0
    rows = json.loads(text)["rows"]
    assert [(r[KERNEL_KEY], r["queues"]) for r in rows] == [("freebsd10", 1), ("freebsd10", 2), ("wordskernel", 1),
                                                             ("wordskernel", 2)]
    assert len({r["run_key"] for r in rows}) == 4  # the kernel is part of a run's identity
    assert [r["kernel_name"] for r in rows] == [r[KERNEL_KEY] for r in rows]  # and each row names the one it ran
    for r in rows:  # the CPU split is the machine's mean of the run's CPU shares
        assert r["cpu_user"] + r["cpu_system"] + r["cpu_interrupt"] + r["cpu_idle"] == pytest.approx(100, abs=0.5)
        assert r["top_site"].endswith(")")  # "file:line (lock)"
    status, text, _err = _compare(tmp_path)
    lines = text.splitlines()
    head = lines[2]
    for column in ("scenario.kernel", "queues", "conn/s", "usr%", "sys%", "intr/si%", "idle%", "top lock site"):
        assert column in head, column
    assert "que task%" not in head  # FreeBSD's queue task: not a column across kernels
    assert [line.split()[0] for line in lines[4:8]] == ["freebsd10", "freebsd10", "wordskernel", "wordskernel"]


def test_a_variant_a_kernel_does_not_have_is_a_one_line_error(tmp_path, linux_words_kernel):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    err = io.StringIO()
    assert main(["compare", str(p), "--variants", "rlock", "--kernels", "freebsd10,wordskernel", "--duration",
                 "0.003"], io.StringIO(), err) == 2
    msg = err.getvalue()
    assert msg.count("\n") == 1 and msg.startswith("tcpsim: error:") and "unknown variant 'rlock'" in msg
    assert "--variants on kernel wordskernel" in msg
    assert "allowed: baseline" in msg


@pytest.mark.parametrize("args, words", [
    (["--kernels", "linux999"], ["--kernels", "unknown kernel 'linux999'", "allowed: freebsd10"]),
    (["--kernels", "freebsd10,freebsd10"], ["--kernels", "twice"]),
    (["--kernels", ","], ["--kernels", "expected kernel names"]),
])
def test_bad_kernels_option(tmp_path, args, words):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    for command in (["compare", str(p), "--variants", "baseline"], ["sweep", str(p), "--set", "clients.rate=[1]"]):
        err = io.StringIO()
        assert main(command + args, io.StringIO(), err) == 2
        assert err.getvalue().count("\n") == 1 and all(w in err.getvalue() for w in words), err.getvalue()


def test_sweep_runs_kernels_by_points(tmp_path, linux_words_kernel):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    out = io.StringIO()
    assert main(["sweep", str(p), "--set", "clients.concurrency=[4, 8]", "--kernels", "freebsd10,wordskernel",
                 "--duration", "0.003", "--json"], out, io.StringIO()) == 0
    rows = json.loads(out.getvalue())["rows"]
    assert [(r[KERNEL_KEY], r["clients.concurrency"]) for r in rows] == [
        ("freebsd10", 4), ("freebsd10", 8), ("wordskernel", 4), ("wordskernel", 8)]
    err = io.StringIO()
    assert main(["sweep", str(p), "--set", "scenario.kernel=['freebsd10']", "--kernels", "freebsd10"],
                io.StringIO(), err) == 2
    assert "--set scenario.kernel and --kernels both choose kernels" in err.getvalue()


def test_sweep_runs_kernels_by_core_counts(tmp_path, linux_words_kernel):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    out = io.StringIO()
    assert main(["sweep", str(p), "--set", "clients.concurrency=[8]", "--kernels", "freebsd10,wordskernel", "--cores",
                 "1,2", "--duration", "0.003", "--json"], out, io.StringIO()) == 0
    data = json.loads(out.getvalue())
    assert [(r[KERNEL_KEY], r[CORES_KEY], r["queues"], r["worker_cpus"]) for r in data["rows"]] == [
        ("freebsd10", 1, 1, [0]), ("freebsd10", 2, 2, [0, 1]), ("wordskernel", 1, 1, [0]),
        ("wordskernel", 2, 2, [0, 1])]
    assert len(data["points"]) == 4 and all(CORES_KEY in pt for pt in data["points"])
    out = io.StringIO()
    assert main(["sweep", str(p), "--set", "clients.concurrency=[8]", "--cores", "1,2", "--duration", "0.003"],
                out, io.StringIO()) == 0
    head = out.getvalue().splitlines()[2].split()
    assert head[:3] == ["cores", "clients.concurrency", "variant"]
    err = io.StringIO()
    assert main(["sweep", str(p), "--set", "app.worker_cpus=[[1]]", "--cores", "1"], io.StringIO(), err) == 2
    assert "--set app.worker_cpus and --cores both place the application" in err.getvalue()
