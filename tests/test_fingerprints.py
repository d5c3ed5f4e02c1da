"""Every shipped scenario's event trace is the one recorded in tests/fingerprints.json (per engine). When a
model change moves them on purpose: python -m tcpsim.fingerprint --update tests/fingerprints.json"""
import json
from pathlib import Path

import pytest

from tcpsim import fingerprint as fp

RECORDED = json.loads((Path(__file__).parent / "fingerprints.json").read_text())
UPDATE = "python -m tcpsim.fingerprint --update tests/fingerprints.json"


def _not_recorded(path, engine) -> str:
    """Why RECORDED has no fingerprint of ``path`` on ``engine``, and what to do ('' if it has one)."""
    if path not in RECORDED:
        return f"{path} is not in tests/fingerprints.json (a new scenario?): record it with {UPDATE}"
    if engine not in RECORDED[path]:
        return (f"tests/fingerprints.json has no {engine!r} column for {path} (a newly registered engine?): once "
                f"tests/test_differential.py passes for {engine!r}, record it with {UPDATE} and commit the file")
    return ""


def test_every_shipped_scenario_is_recorded():
    missing = {engine: [p for p in fp.shipped() if _not_recorded(p, engine)] for engine in fp.ENGINES}
    for engine, paths in missing.items():
        assert not paths, (_not_recorded(paths[0], engine) if len(paths) == 1 else
                           f"{len(paths)} scenarios not recorded for {engine!r} ({', '.join(paths)}); the first: "
                           + _not_recorded(paths[0], engine))
    stale = sorted(set(RECORDED) - set(fp.shipped()))
    assert not stale, f"tests/fingerprints.json records scenarios that are not shipped: {stale}; run {UPDATE}"
    gone = sorted({e for by_engine in RECORDED.values() for e in by_engine} - set(fp.ENGINES))
    assert not gone, (f"tests/fingerprints.json has columns for engines not in tcpsim.engines.ENGINES: {gone}; "
                      f"run {UPDATE}")


@pytest.mark.parametrize("path", fp.shipped())
@pytest.mark.parametrize("engine", fp.ENGINES)
def test_fingerprint_unchanged(path, engine):
    if why := _not_recorded(path, engine):
        pytest.fail(why)
    assert fp.fingerprint(path, engine) == RECORDED[path][engine], (
        f"{path} ({engine}): the event trace changed; if the model change was intended, run {UPDATE}")


def test_a_one_nanosecond_change_moves_the_fingerprint(monkeypatch):
    path = "scenarios/paper/fig2_1queue.toml"
    load = fp.scenario.load

    def slower_lookup(*args, **kwargs):
        model = load(*args, **kwargs)
        model.costs["pcb_lookup"] += 1
        return model

    monkeypatch.setattr(fp.scenario, "load", slower_lookup)
    assert fp.fingerprint(path) != RECORDED[path]["simpy"]
