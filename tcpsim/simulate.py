"""The library entry point: load a scenario, run it on an engine, get plain data back.

    >>> from tcpsim.simulate import simulate
    >>> result = simulate("scenarios/paper/fig3_4queues.toml", duration_s=0.05)
    >>> result["goodput_cps"], result["lock_profile"][0]["name"]
"""
from __future__ import annotations

from pathlib import Path

from . import scenario
from .engines import DEFAULT_ENGINE, make_engine
from .observe.results import collect


def overrides(seed=None, duration_s=None, warmup_s=None) -> dict:
    run = {}
    if seed is not None:
        run["seed"] = seed
    if duration_s is not None:
        run["duration_s"] = duration_s
    if warmup_s is not None:
        run["warmup_s"] = warmup_s
    return {"run": run} if run else {}


def run_model(model, engine: str = DEFAULT_ENGINE, probes=None):
    """Run a built Model; return (result dict, finished engine) -- the engine keeps the raw samples.
    ``probes``: an ``observe.probes.Probes`` whose callbacks fire during the run."""
    eng = make_engine(model, engine, probes).run()
    return collect(eng), eng


def simulate(path: str | Path, seed=None, duration_s=None, warmup_s=None, engine: str = DEFAULT_ENGINE,
             probes=None) -> dict:
    model = scenario.load(path, overrides(seed, duration_s, warmup_s))
    return run_model(model, engine, probes)[0]
