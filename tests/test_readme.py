"""The README's quoted outputs are what the code prints (scripts/readme_outputs.py; issue 18, item 2).

A model change that moves a number the README quotes fails here, naming the block, until
``python scripts/readme_outputs.py --update`` rewrites it (and someone reads the new numbers).
"""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("readme_outputs", ROOT / "scripts" / "readme_outputs.py")
readme_outputs = importlib.util.module_from_spec(_spec)
sys.modules["readme_outputs"] = readme_outputs  # its dataclass looks its module up
_spec.loader.exec_module(readme_outputs)


def test_the_readme_quotes_what_the_code_prints():
    text = readme_outputs.README.read_text()
    commands = [b.cmd for b in readme_outputs.blocks(text)]
    # the examples the issue names are among the checked ones
    assert any(c.startswith("tcpsim sweep scenarios/experiments/fig2_open_loop.toml") for c in commands)
    assert any(c.startswith("tcpsim report ") for c in commands)
    assert "fact calibration-report" in commands  # the fit takes minutes: its report as the shipped file keeps it
    assert any(c.startswith("tcpsim capacity ") for c in commands)
    assert "fact notebook-windows" in commands
    problems = readme_outputs.check(text)
    assert not problems, "\n\n".join(problems)


def test_a_changed_output_is_found_and_named(tmp_path):
    text = ("intro <!-- readme-check: fact scaling-window -->2 s<!-- /readme-check --> prose\n"
            "<!-- readme-check: python -c 'print(\"4 runs in 9.99 s of wall time\")' -->\n```\n"
            "4 runs in 1.02 s of wall time\n```\n"
            "<!-- readme-check[tol=10%]: python -c 'print(\"wrote r.html (378 KiB)\")' -->\n```\n"
            "wrote r.html (350 KiB)\n```\n")
    problems = readme_outputs.check(text)
    # the wrong window is found; a wall time is masked; a size within its tolerance passes
    assert len(problems) == 1 and problems[0].startswith("README.md:1: the output of `fact scaling-window` changed")
    updated = readme_outputs.update(text)
    assert readme_outputs.check(updated) == []
    assert "--><!-- /readme-check -->" not in updated and "2 s<!--" not in updated
    assert "4 runs in 9.99 s of wall time" in updated  # --update writes the measured time


def test_a_size_beyond_its_tolerance_fails():
    assert readme_outputs.same("wrote r.html (378 KiB)", "wrote r.html (390 KiB)\n".strip(), 0.1)
    assert not readme_outputs.same("wrote r.html (200 KiB)", "wrote r.html (378 KiB)", 0.1)
    assert not readme_outputs.same("40,038 0 drops", "40,038 2,611 drops", 0.1)


def test_the_quick_start_test_command_is_what_ci_runs():
    quick = re.search(r"## Quick start\n.*?```sh\n(?P<cmds>.*?)```", readme_outputs.README.read_text(), re.S)["cmds"]
    test_line = next(line for line in quick.splitlines() if "pytest" in line).split("#")[0].strip()
    assert test_line in (ROOT / ".ci" / "run").read_text().splitlines()
