"""Queue counts in compare and sweep: interrupt threads on CPUs 0..q-1, the application moved off them, the
machine each run used shown, and a warning when it had to grow."""
import io
import json

import pytest

from tcpsim.cli import build_parser, main
from tcpsim.engines import DEFAULT_ENGINE
from tcpsim.placement import place_queues, queue_overrides

from .conftest import SMALL

# like the paper's files: the queues' CPUs written out, so a bare hardware.queues override cannot follow
PINNED = SMALL.replace("queues = 2\n", "queues = 2\nqueue_cpus = [0, 1]\n")


def _run(tmp_path, args):
    p = tmp_path / "s.toml"
    p.write_text(PINNED)
    out, err = io.StringIO(), io.StringIO()
    code = main([args[0], str(p), *args[1:]], out, err)
    return code, out.getvalue(), err.getvalue()


def test_queue_overrides_move_the_application_off_the_interrupt_cpus():
    sections = {"hardware": {"cpus": 8}, "app": {"accept_cpu": 4, "worker_cpus": [5]}}
    assert queue_overrides(sections, 2) == {"hardware": {"queues": 2, "queue_cpus": [0, 1], "cpus": 8},
                                            "app": {"accept_cpu": 4, "worker_cpus": [5]}}
    assert queue_overrides(sections, 8)["app"] == {"accept_cpu": 8, "worker_cpus": [9]}
    assert queue_overrides(sections, 8)["hardware"]["cpus"] == 10
    # a point that places things itself is left as it is
    own = {"hardware": {"queues": 2, "queue_cpus": [6, 7]}}
    assert place_queues(sections, own) == own


def test_a_queue_sweep_places_queues_like_compare_and_says_so(tmp_path):
    code, out, err = _run(tmp_path, ["sweep", "--set", "hardware.queues=[1, 8]", "--duration", "0.002", "--json"])
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert [(r["queues"], r["cpus"], r["accept_cpu"], r["worker_cpus"]) for r in rows] == [
        (1, 8, 4, [5]), (8, 10, 8, [9])]
    assert "warning: the machine grew beyond the scenario's 8 CPUs" in err and "8 queues on 10 CPUs" in err
    code, out, err = _run(tmp_path, ["sweep", "--set", "hardware.queues=[1, 8]", "--duration", "0.002", "--quiet"])
    assert code == 0 and err == ""
    assert "as compare does" in out and "cpus" in out.splitlines()[2]  # under the heading and a blank line


def test_a_point_with_its_own_placement_is_not_moved(tmp_path):
    code, out, err = _run(tmp_path, ["sweep", "--set", "hardware.queues=2", "--set", "hardware.queue_cpus=[[2, 3]]",
                                     "--duration", "0.002"])
    assert code == 0 and "as compare does" not in out and err == ""
    code, out, err = _run(tmp_path, ["sweep", "--set", "hardware.queues=3", "--set", "hardware.queue_cpus=[[2, 3]]",
                                     "--duration", "0.002"])
    assert code == 2 and "queue_cpus: 2 CPUs for 3 queues" in err


def test_compare_shows_the_machine_of_each_row_and_warns_when_it_grows(tmp_path):
    code, out, err = _run(tmp_path, ["compare", "--variants", "baseline", "--queues", "2,8", "--duration", "0.002"])
    assert code == 0
    heading, _blank, head, _rule, two, eight = out.splitlines()[:6]
    assert heading.startswith("tcpsim ") and " scenario " in heading
    assert head.split()[:3] == ["variant", "queues", "cpus"]
    assert two.split()[1:3] == ["2", "8"] and eight.split()[1:3] == ["8", "10"]
    assert err.count("warning") == 1 and "8 queues on 10 CPUs" in err


@pytest.mark.parametrize("command", ["sweep", "compare"])
def test_help_gives_defaults(command, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "-h"])
    text = " ".join(capsys.readouterr().out.split())
    for words in (f"(default: {DEFAULT_ENGINE}", "--jobs JOBS runs in parallel local processes (default: 1)",
                  "(default: text)", "(default: refuse it, exit 2)", "default: one seed"):
        assert words in text, words


def test_cores_put_one_worker_per_core_and_a_queue_per_core_up_to_the_driver_limit():
    from tcpsim.placement import core_overrides
    sections = {"hardware": {"cpus": 24}, "app": {}}
    over = core_overrides(sections, 20, 16)
    assert over["app"]["worker_cpus"] == list(range(20)) and over["app"]["accept_cpu"] == 0
    assert over["hardware"] == {"queues": 16, "queue_cpus": list(range(16))}
    assert core_overrides(sections, 1, 16)["hardware"] == {"queues": 1, "queue_cpus": [0]}
    with pytest.raises(ValueError):
        core_overrides(sections, 25, 16)
