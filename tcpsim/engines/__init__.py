"""Engines that run a ``Model``. Exactly one place chooses one: ``make_engine``.

The SimPy engine is the reference. The fast Cython engine (DESIGN.md) will register here under "fast";
until it exists, asking for it is a user error, not a silent fallback.
"""
from __future__ import annotations

from ..errors import TcpsimError

ENGINES = ("simpy",)
DEFAULT_ENGINE = "simpy"


def make_engine(model, name: str = DEFAULT_ENGINE, probes=None):
    """``probes``: an ``observe.probes.Probes`` with callbacks attached, or None."""
    if name == "simpy":
        from .simpy_engine import SimpyEngine

        return SimpyEngine(model, probes)
    raise TcpsimError(f"--engine: unknown engine {name!r}; allowed: {', '.join(ENGINES)}")
