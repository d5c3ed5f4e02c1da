"""docs/lock-sites.md and the paths name the same lock sites: every acquisition of FreeBSD 10.0's paths and of
the built-in variants has a row with its function and status, and every row is an acquisition the model makes."""
import re
from pathlib import Path

import pytest

from tcpsim.model import variants
from tcpsim.model.paths import with_vlan
from tcpsim.model.steps import Acquire, TryAcquire, walk

DOC = Path(__file__).resolve().parents[1] / "docs" / "lock-sites.md"
STATUSES = {"documented", "verified", "corrected", "added", "open", "later"}


def _tables():
    """The doc's two tables as lists of cell lists: (10.0 paths, variant sites)."""
    tables, current = [], None
    for line in DOC.read_text().splitlines():
        if line.startswith("| site |"):
            current = []
            tables.append(current)
        elif line.startswith("|---"):
            continue
        elif line.startswith("| ") and current is not None:
            current.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
        else:
            current = None
    assert len(tables) == 2
    return tables


def _acquisitions(name):
    """{(site, lock display, mode, try?)} of a built variant."""
    paths, locks = variants.build(name)
    paths = with_vlan(paths)  # the shipped scenarios' frames are VLAN-tagged ([hardware] vlan)
    return {(s.site, locks[s.lock].display, s.mode, isinstance(s, TryAcquire))
            for p in paths.values() for s in walk(p.steps) if isinstance(s, (Acquire, TryAcquire))}


def _key(row):
    site, lock, mode = row[0], row[1], row[2]
    return site, lock, mode.split()[0], "(try)" in mode


def test_every_baseline_site_has_a_row_and_every_row_a_site():
    base, _variant_rows = _tables()
    rows = {_key(r) for r in base}
    assert rows == _acquisitions("baseline")


def test_every_variant_site_has_a_row():
    base, variant_rows = _tables()
    baseline = _acquisitions("baseline")
    # sites that variants introduce (a variant's other lock class or mode at a baseline site is a patch of that row)
    introduced = {(site, lock, mode, tried) for name in variants.BUILTIN for (site, lock, mode, tried) in _acquisitions(name)
                  if not any(site == b[0] for b in baseline)}
    assert {r[0] for r in variant_rows} == {site for site, *_ in introduced}
    assert {_key(r) for r in variant_rows} <= introduced  # as the variant that adds it takes it (rlock reads some)
    named = {r[3] for r in variant_rows}
    assert named <= set(variants.BUILTIN)


@pytest.mark.parametrize("table", [0, 1])
def test_every_row_has_a_function_and_a_status(table):
    for row in _tables()[table]:
        status = row[-1].split()[0]
        assert status in STATUSES, row
        assert row[4], row  # the function it was read in
        if status == "corrected":
            assert re.search(r"\[[^\]]+\]", row[-1]), f"{row[0]}: a corrected row names what it replaced"
        if row[5].startswith("open"):
            assert ":" in row[5], f"{row[0]}: an open row says why"
