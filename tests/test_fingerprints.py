"""Every shipped scenario's event trace is the one recorded in tests/fingerprints.json (per engine). When a
model change moves them on purpose: python -m tcpsim.fingerprint --update tests/fingerprints.json"""
import json
from pathlib import Path

import pytest

from tcpsim import fingerprint as fp

RECORDED = json.loads((Path(__file__).parent / "fingerprints.json").read_text())


def test_every_shipped_scenario_is_recorded():
    assert set(RECORDED) == set(fp.shipped())
    assert all(set(by_engine) == set(fp.ENGINES) for by_engine in RECORDED.values())


@pytest.mark.parametrize("path", fp.shipped())
@pytest.mark.parametrize("engine", fp.ENGINES)
def test_fingerprint_unchanged(path, engine):
    assert fp.fingerprint(path, engine) == RECORDED[path][engine], (
        f"{path} ({engine}): the event trace changed; if the model change was intended, run "
        "python -m tcpsim.fingerprint --update tests/fingerprints.json")


def test_a_one_nanosecond_change_moves_the_fingerprint(monkeypatch):
    path = "scenarios/paper/fig2_1queue.toml"
    load = fp.scenario.load

    def slower_lookup(*args, **kwargs):
        model = load(*args, **kwargs)
        model.costs["pcb_lookup"] += 1
        return model

    monkeypatch.setattr(fp.scenario, "load", slower_lookup)
    assert fp.fingerprint(path) != RECORDED[path]["simpy"]
