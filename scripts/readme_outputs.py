"""The README's examples, checked: what it quotes of a command's output is what the code prints now.

README.md marks each quoted output with the command that produces it, in an HTML comment (invisible on a code
host), in one of two forms::

    <!-- readme-check: CMD -->            the fenced block right after it is CMD's standard output
    ```
    ...
    ```

    prose <!-- readme-check: CMD -->TEXT<!-- /readme-check --> prose      TEXT is CMD's output, stripped

``readme-check[tol=5%]`` compares every number within 5 % (for sizes that depend on the PNG encoder, say);
otherwise the text must be equal. Wall times (``N s of wall time``, ``(N s)``) depend on the machine, and the
code revision a table's heading names (``tcpsim 0.1.0 (f04f249)``) on the commit: they are masked when comparing
and written as measured by ``--update``.

CMD is a shell command run in a scratch directory that links every top-level entry of the checkout (so
``scenarios/...`` resolves and the files a command writes do not land in the checkout); ``tcpsim`` in it runs
this checkout's code. ``fact NAME`` runs one of FACTS below: numbers the README states that come from the code
or the notebooks rather than from a command's output.

    python scripts/readme_outputs.py --check       # exit 1 naming every block that differs (tests run this)
    python scripts/readme_outputs.py --update      # rerun every command, rewrite its block
    python scripts/readme_outputs.py --list        # the commands, in order
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

_MARK = re.compile(r"<!-- readme-check(?:\[tol=(?P<tol>[\d.]+)%\])?: (?P<cmd>.+?) -->")
_FENCE = re.compile(r"\n(?P<open>```[^\n]*\n)(?P<text>.*?)(?P<close>```)", re.S)
_END = "<!-- /readme-check -->"
_WALL = re.compile(r"\d[\d.,]* s of wall time|\(\d[\d.,]* s\)")
# the code revision a heading names ("tcpsim 0.1.0 (f04f249-dirty)  scenario ..."): every commit changes it
_REVISION = re.compile(r"^(tcpsim \S+) \([^)\n]*\)", re.M)
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


@dataclass
class Block:
    cmd: str
    tol: float  # relative tolerance of every number; 0: equal
    inline: bool  # TEXT in prose (compared stripped), or a fenced block
    start: int  # the quoted text is README[start:end]
    end: int
    line: int  # the marker's line, for messages


def blocks(text: str) -> list[Block]:
    """Every marked place of ``text``, in order."""
    out = []
    for m in _MARK.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        tol = float(m["tol"] or 0) / 100
        rest = text[m.end():text.find("\n", m.end())]
        if _END in rest:
            out.append(Block(m["cmd"], tol, True, m.end(), m.end() + rest.index(_END), line))
            continue
        fence = _FENCE.match(text, m.end())
        if not fence:
            raise SystemExit(f"README.md:{line}: readme-check {m['cmd']!r}: no fenced block right after the marker "
                             f"and no {_END} on its line")
        out.append(Block(m["cmd"], tol, False, fence.start("text"), fence.end("text"), line))
    return out


def run(cmd: str, scratch: Path) -> str:
    """CMD's standard output, run in ``scratch`` with this checkout's tcpsim."""
    cmd = cmd.strip()
    if cmd.startswith("fact "):
        return FACTS[cmd.split()[1]]()
    argv = shlex.split(cmd)
    if argv[0] == "tcpsim":
        argv = [sys.executable, "-m", "tcpsim.cli", *argv[1:]]
    elif argv[0] == "python":
        argv[0] = sys.executable
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    done = subprocess.run(argv, cwd=scratch, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise SystemExit(f"readme-check {cmd!r}: exit status {done.returncode}: {done.stderr.strip()[-500:]}")
    return done.stdout


def same(quoted: str, printed: str, tol: float) -> bool:
    """Equal with wall times masked, and numbers within ``tol`` (relative) when it is not 0."""
    quoted, printed = (_REVISION.sub(r"\1 (<revision>)", _WALL.sub("<wall>", t)) for t in (quoted, printed))
    if not tol:
        return quoted == printed
    qn, pn = _NUMBER.findall(quoted), _NUMBER.findall(printed)
    if _NUMBER.sub("<n>", quoted) != _NUMBER.sub("<n>", printed) or len(qn) != len(pn):
        return False
    num = lambda s: float(s.replace(",", ""))  # noqa: E731
    return all(abs(num(q) - num(p)) <= tol * max(abs(num(p)), 1e-12) for q, p in zip(qn, pn))


def _scratch() -> tempfile.TemporaryDirectory:
    tmp = tempfile.TemporaryDirectory(prefix="readme-check-")
    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (Path(tmp.name) / entry.name).symlink_to(entry)
    return tmp


def check(text: str) -> list[str]:
    """One message per block whose quoted text is not what its command prints now."""
    problems = []
    with _scratch() as scratch:
        for b in blocks(text):
            printed = run(b.cmd, Path(scratch))
            printed = printed.strip() if b.inline else printed
            if not same(text[b.start:b.end], printed, b.tol):
                problems.append(f"README.md:{b.line}: the output of `{b.cmd}` changed; quoted:\n"
                                f"{text[b.start:b.end]}\nprinted now:\n{printed}")
    return problems


def update(text: str) -> str:
    with _scratch() as scratch:
        found = blocks(text)
        # run in the README's order, as check does (a command may read the file an earlier one wrote)
        printed = [run(b.cmd, Path(scratch)) for b in found]
    for b, out in reversed(list(zip(found, printed))):  # from the end, so that the earlier offsets stay valid
        text = text[:b.start] + (out.strip() if b.inline else out) + text[b.end:]
    return text


# --- facts: numbers the README states that the code or the notebooks fix -------------------------------------

def _seconds(s: float) -> str:
    return f"{s * 1000:g} ms" if s < 1 else f"{s:g} s"


def notebook_windows() -> str:
    """The measured windows the notebooks run, shortest to longest: each ``duration_s`` they pass, and the
    scenarios' own window where they call ``reproduce()`` without one."""
    from tcpsim.reproduce import SCENARIOS, PAPER_DIR
    from tcpsim.scenario import parse

    windows = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
            windows |= {float(v) for v in re.findall(r"""duration_s["']?\s*[=:]\s*([\d.]+)""", source)}
            if re.search(r"\breproduce\((?![^)]*duration)", source):
                windows |= {parse((PAPER_DIR / f"{s}.toml").read_text(), s)["run"]["duration_s"] for s in SCENARIOS}
    return f"{_seconds(min(windows))} to {_seconds(max(windows))}"


def scenario_windows() -> str:
    """The paper scenarios' window (one, or the range)."""
    from tcpsim.reproduce import SCENARIOS, PAPER_DIR
    from tcpsim.scenario import parse

    windows = sorted({parse((PAPER_DIR / f"{s}.toml").read_text(), s)["run"]["duration_s"] for s in SCENARIOS})
    return _seconds(windows[0]) if len(windows) == 1 else f"{_seconds(windows[0])} to {_seconds(windows[-1])}"


def scaling_window() -> str:
    """tests/test_scaling.py's WINDOW."""
    tree = ast.parse((ROOT / "tests" / "test_scaling.py").read_text())
    value = next(n.value.value for n in tree.body if isinstance(n, ast.Assign)
                 and any(getattr(t, "id", None) == "WINDOW" for t in n.targets))
    return _seconds(value)


def calibration_windows() -> str:
    """The targets file's window for every fit run."""
    from tcpsim.calibrate import TARGETS, load_targets

    s = load_targets(TARGETS)["settings"]
    return f"{_seconds(s['duration_s'])} windows after {_seconds(s['warmup_s'])} of warm-up"


def calibration_report() -> str:
    """The report of the fit that made the shipped costs file, as the file's header keeps it (rerunning the fit
    takes minutes: `tcpsim calibrate --out FILE` regenerates it, and the file, exactly)."""
    from tcpsim.calibrate import fit_report
    from tcpsim.costs import default_costs_path

    return fit_report(default_costs_path())


LINUX_SCENARIO = "scenarios/linux/fig3_4queues.toml"


def linux_perf() -> str:
    """Of the perf report of CPU 0 that `tcpsim run scenarios/linux/fig3_4queues.toml --profile-cpus 0` prints,
    the heading and the entry of the spinlock's function (_raw_spin_lock), where the waiting for a spinlock shows."""
    from tcpsim import scenario
    from tcpsim.observe.perf import format_perf_report
    from tcpsim.simulate import run_model

    model = scenario.load(ROOT / LINUX_SCENARIO)
    _result, engine = run_model(model)
    text = format_perf_report(engine.samples[0], int(model.costs["pmc_sample_cycles"]))
    heading, entries = text.split("\n")[:6], text.split("\n")[6:]  # six heading lines, then blank-separated entries
    blocks = "\n".join(entries).split("\n\n")
    spin = next(b for b in blocks if b.split("\n")[0].endswith("[k] _raw_spin_lock"))
    return "\n".join(heading + ["...", spin, "..."]) + "\n"


def linux_probe_names() -> str:
    """The model's probes and their names on Linux 3.10 (observe/words.py), as a table."""
    from tcpsim.observe.probes import PROBES
    from tcpsim.observe.words import LINUX_PROBES

    width = max(map(len, PROBES))
    rows = [f"{'the model (FreeBSD DTrace)':<{width}}  Linux 3.10"]
    for probe in PROBES:
        linux = LINUX_PROBES.get(probe, "(the model's name)")
        rows.append(f"{probe:<{width}}  {linux if isinstance(linux, str) else ', '.join(linux)}")
    return "\n".join(rows) + "\n"


FACTS = {"notebook-windows": notebook_windows, "scenario-windows": scenario_windows,
         "scaling-window": scaling_window, "calibration-windows": calibration_windows,
         "calibration-report": calibration_report, "linux-perf": linux_perf, "linux-probe-names": linux_probe_names}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = p.add_mutually_exclusive_group()
    what.add_argument("--check", action="store_true", help="compare (the default)")
    what.add_argument("--update", action="store_true", help="rewrite every block with what its command prints")
    what.add_argument("--list", action="store_true", help="print the commands")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))  # the facts import this checkout's tcpsim
    text = README.read_text()
    if args.list:
        print("\n".join(f"README.md:{b.line}: {b.cmd}" for b in blocks(text)))
        return 0
    if args.update:
        README.write_text(update(text))
        return 0
    problems = check(text)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} README block(s) out of date: python scripts/readme_outputs.py --update rewrites "
              "them (after checking that the new numbers are right)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
