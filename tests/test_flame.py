"""Flame graphs of the pmcstat samples: folded stacks, speedscope JSON, the picture, and the run options."""
import io
import json

import pytest

from tcpsim.cli import main
from tcpsim.observe.flame import SPEEDSCOPE_SCHEMA, _layout, flame_figure, folded, speedscope

from .conftest import SMALL

SAMPLES = {
    0: {("ithread_loop", "tcp_input", "__rw_wlock_hard"): 6, ("ithread_loop", "tcp_input"): 3, ("ithread_loop",): 0},
    5: {("amd64_syscall", "sys_close"): 2, ("user:handle",): 1},
}


def test_folded_prefixes_each_stack_with_its_cpu_and_keeps_counts():
    text = folded(SAMPLES)
    assert text.splitlines() == [
        "CPU 0;ithread_loop;tcp_input 3",
        "CPU 0;ithread_loop;tcp_input;__rw_wlock_hard 6",
        "CPU 5;amd64_syscall;sys_close 2",
        "CPU 5;user:handle 1",
    ]  # zero-count stacks are left out; sorted, so the file is deterministic


def test_speedscope_has_one_sampled_profile_per_cpu_in_the_documented_format():
    doc = speedscope(SAMPLES, "small")
    # the fields the speedscope file-format schema requires, with their types
    assert doc["$schema"] == SPEEDSCOPE_SCHEMA == "https://www.speedscope.app/file-format-schema.json"
    frames = doc["shared"]["frames"]
    assert all(set(f) == {"name"} and isinstance(f["name"], str) for f in frames)
    assert [p["name"] for p in doc["profiles"]] == ["CPU 0", "CPU 5"]
    for p, cpu in zip(doc["profiles"], (0, 5)):
        assert p["type"] == "sampled" and p["unit"] == "none" and p["startValue"] == 0
        assert len(p["samples"]) == len(p["weights"])
        assert p["endValue"] == sum(p["weights"]) == sum(SAMPLES[cpu].values())
        # every sample resolves, through the shared frames, to a stack that was sampled that often
        back = {tuple(frames[i]["name"] for i in s): w for s, w in zip(p["samples"], p["weights"])}
        assert back == {s: n for s, n in SAMPLES[cpu].items() if n}
    json.dumps(doc)  # plain JSON


def test_flame_layout_stacks_children_inside_their_parent():
    rects = _layout(SAMPLES[0])
    by_name = {name: (d, x, w) for d, x, w, name in rects}
    assert by_name["ithread_loop"] == (0, 0, 9)
    assert by_name["tcp_input"] == (1, 0, 9)
    assert by_name["__rw_wlock_hard"] == (2, 0, 6)


def test_flame_figure_draws_a_rectangle_per_frame():
    pytest.importorskip("matplotlib")
    fig = flame_figure(SAMPLES[0], "CPU 0")
    assert len(fig.axes[0].patches) == 3
    assert "9 in all" in fig.axes[0].get_xlabel()


def test_run_writes_folded_and_speedscope_for_the_profiled_cpus(tmp_path):
    s = tmp_path / "s.toml"
    s.write_text(SMALL)
    out = io.StringIO()
    args = ["run", str(s), "--duration", "0.002", "--folded", str(tmp_path / "f.txt"),
            "--speedscope", str(tmp_path / "p.json"), "--json"]
    assert main(args, out, io.StringIO()) == 0
    result = json.loads(out.getvalue())
    lines = (tmp_path / "f.txt").read_text().splitlines()
    # the default CPUs are the interrupt CPUs (0 and 1 in SMALL), and the counts are the run's samples
    per_cpu = {}
    for line in lines:
        stack, n = line.rsplit(" ", 1)
        per_cpu[stack.split(";")[0]] = per_cpu.get(stack.split(";")[0], 0) + int(n)
    assert per_cpu == {f"CPU {p['cpu']}": p["samples"] for p in result["profile"] if p["cpu"] in (0, 1)}
    assert any(line.split(";")[-1].startswith("__rw_wlock_hard ") for line in lines)
    doc = json.loads((tmp_path / "p.json").read_text())
    assert [p["name"] for p in doc["profiles"]] == ["CPU 0", "CPU 1"]
    assert [p["endValue"] for p in doc["profiles"]] == [per_cpu["CPU 0"], per_cpu["CPU 1"]]


def test_run_folded_follows_profile_cpus(tmp_path):
    s = tmp_path / "s.toml"
    s.write_text(SMALL)
    f = tmp_path / "f.txt"
    assert main(["run", str(s), "--duration", "0.002", "--profile-cpus", "5", "--folded", str(f)],
                io.StringIO(), io.StringIO()) == 0
    assert {line.split(";")[0] for line in f.read_text().splitlines()} == {"CPU 5"}


def test_run_refuses_an_output_in_a_missing_folder_before_running(tmp_path):
    s = tmp_path / "s.toml"
    s.write_text(SMALL)
    err = io.StringIO()
    assert main(["run", str(s), "--speedscope", str(tmp_path / "nowhere" / "p.json")], io.StringIO(), err) == 2
    assert err.getvalue().startswith("tcpsim: error: --speedscope ") and "does not exist" in err.getvalue()
    assert len(err.getvalue().splitlines()) == 1
