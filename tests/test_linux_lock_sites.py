"""docs/linux-lock-sites.md and the linux310 package's paths name the same lock sites: every acquisition the
paths make has a `modelled` row (site and lock), every `modelled` row is an acquisition or an owner action the
paths run, every `folded` row names a cost the costs file has, every `not modelled` row says why."""
import re
from pathlib import Path

from tcpsim.costs import load_costs
from tcpsim.kernels.linux310 import paths, syscalls
from tcpsim.kernels.linux310.locks import LOCKS
from tcpsim.model.steps import Acquire, Act, TryAcquire, walk

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "linux-lock-sites.md"
PATHS = {**paths.RECEIVE_PATHS, **syscalls.SYSCALL_PATHS}
KINDS = ("modelled", "folded", "release", "not modelled")


def _rows():
    """The 3.10 tables' rows (up to the 4.4 section) as cell lists."""
    rows, table = [], False
    for line in DOC.read_text().split("## Linux 4.4 differences")[0].splitlines():
        if line.startswith("| site |"):
            table = True
        elif line.startswith("|---"):
            continue
        elif line.startswith("| ") and table:
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
        else:
            table = False
    return rows


def _model(row):
    kind, _, what = row[-1].partition(":")
    return kind, what.strip().split(" ")[0] if what.strip() else ""


def test_every_row_has_a_model_status():
    rows = _rows()
    assert len(rows) > 60
    for row in rows:
        assert len(row) == 7, row
        kind, what = _model(row)
        assert kind in KINDS, row
        assert what, f"{row[0]}: a {kind} row names its lock, action or cost, or says why"


def test_every_acquisition_has_a_row_and_every_modelled_row_an_acquisition():
    acquired = {(s.site, s.lock) for p in PATHS.values() for s in walk(p.steps) if isinstance(s, (Acquire, TryAcquire))}
    modelled = {(r[0], _model(r)[1]) for r in _rows() if _model(r)[0] == "modelled" and _model(r)[1] in LOCKS}
    assert modelled == acquired


def test_owner_rows_are_actions_the_paths_run():
    acts = {s.name for p in PATHS.values() for s in walk(p.steps) if isinstance(s, Act)}
    owner = {_model(r)[1] for r in _rows() if _model(r)[0] == "modelled" and _model(r)[1] not in LOCKS}
    assert owner == {"own_listen", "unown_listen", "own_conn"}
    assert owner <= acts
    assert {_model(r)[1] for r in _rows() if _model(r)[0] == "release"} <= set(LOCKS)


def test_folded_rows_name_costs_of_the_costs_file():
    costs, _notes, _sections = load_costs(ROOT / "tcpsim" / "data" / "linux310.toml")
    for row in _rows():
        kind, what = _model(row)
        if kind == "folded":
            assert what in costs, row
