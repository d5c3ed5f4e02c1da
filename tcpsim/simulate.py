"""The library entry point: load a scenario, run it on an engine, get plain data back.

    >>> from tcpsim.simulate import simulate
    >>> result = simulate("scenarios/paper/fig3_4queues.toml", duration_s=0.05)
    >>> result["goodput_cps"], result["lock_profile"][0]["name"]
"""
from __future__ import annotations

from pathlib import Path

from . import scenario
from .engines import DEFAULT_ENGINE, make_engine
from .errors import TcpsimError
from .observe.result import Result
from .observe.results import collect


def overrides(seed=None, duration_s=None, warmup_s=None) -> dict:
    """The ``[run]`` overrides of the common options ({} when none is given)."""
    return merge_overrides(None, seed=("run", "seed", seed), duration_s=("run", "duration_s", duration_s),
                           warmup_s=("run", "warmup_s", warmup_s))


def run_model(model, engine: str = DEFAULT_ENGINE, probes=None, check: bool = False, progress=None):
    """Run a built Model; return (Result, finished engine) -- the engine keeps the raw samples.
    ``probes``: an ``observe.probes.Probes`` whose callbacks fire during the run; ``check``: test the
    invariants (tcpsim/invariants.py) after every event, not only at the end (slow: for hunting a bug);
    ``progress``: called as progress(simulated µs done, µs in all) as the run advances (see tcpsim.progress)."""
    total_us = round(1e6 * (model.run.warmup_s + model.run.duration_s))
    if progress is not None:
        probes = _ticking(probes, total_us, progress)
    eng = make_engine(model, engine, probes).run(check)
    if progress is not None:
        progress(total_us, total_us)
    return Result(collect(eng)), eng


# A probe that fires all through a run (every client segment the NIC takes), so its clock is the run's: the
# engines keep their simulated time to themselves, and a probe only watches (the run is the same event for event).
_CLOCK_PROBE = "tcp:::receive"


def _ticking(probes, total: int, progress):
    """``probes`` (or new ones) with a callback that reports every 100 simulated µs reached to ``progress``."""
    from .observe.probes import Probes

    probes = probes if probes is not None else Probes()
    last = [-1]

    def tick(_probe, now, _args):
        step = now // 100_000  # ns -> 100 µs steps
        if step != last[0]:
            last[0] = step
            progress(min(step * 100, total), total)

    progress(0, total)
    probes.attach(_CLOCK_PROBE, tick)
    return probes


def merge_overrides(given: dict | None, **named) -> dict:
    """``given`` ({section: {key: value}}) plus the named arguments' own overrides ({section: {key: value}});
    a key set both ways is an error rather than one silently winning."""
    if given is None:
        given = {}
    if not isinstance(given, dict) or not all(isinstance(v, dict) for v in given.values()):
        raise TcpsimError(f"overrides: {given!r} is not a table of sections; allowed: {{section: {{key: value}}}}, "
                          'e.g. {"hardware": {"queues": 8}}')
    out = {section: dict(keys) for section, keys in given.items()}
    for argument, (section, key, value) in named.items():
        if value is None:
            continue
        if key in out.get(section, {}):
            raise TcpsimError(f"{argument} and overrides[{section!r}][{key!r}] both set [{section}] {key}; "
                              "allowed: one of them")
        out.setdefault(section, {})[key] = value
    return out


def simulate(path: str | Path, seed=None, duration_s=None, warmup_s=None, engine: str = DEFAULT_ENGINE,
             probes=None, variant: str | None = None, overrides: dict | None = None) -> Result:
    """Run the scenario file at ``path`` once and return its result.

    ``seed``, ``duration_s`` (the measured window) and ``warmup_s`` replace the scenario's ``[run]`` keys;
    ``variant`` its ``[scenario] variant`` (built-in names joined with ``+``, or the file's own ``[variant]``);
    ``overrides`` any other keys, as ``{section: {key: value}}`` (``{"hardware": {"queues": 8}}``), validated
    like the file itself. ``engine``: ``tcpsim.engines.ENGINES``; ``probes``: an ``observe.probes.Probes`` whose
    callbacks fire during the run.

    The result is a ``Result``: a dict with every key ``tcpsim run --json`` prints (``goodput_cps``, ``cpus``,
    ``threads``, ``lock_profile``, ``profile``, ...), shown as an HTML summary in Jupyter;
    ``tcpsim.observe.frames`` turns its parts into DataFrames and ``tcpsim.plots`` draws them. A mistake in the
    file, a key or a value raises ``TcpsimError`` with a one-line message.
    """
    over = merge_overrides(overrides, seed=("run", "seed", seed), duration_s=("run", "duration_s", duration_s),
                           warmup_s=("run", "warmup_s", warmup_s), variant=("scenario", "variant", variant))
    return run_model(scenario.load(path, over), engine, probes)[0]
