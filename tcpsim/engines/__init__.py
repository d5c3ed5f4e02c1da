"""Engines that run a ``Model``. Exactly one place chooses one: ``make_engine``.

``simpy`` is the reference (model/ interpreted on SimPy); ``fast`` runs the same model lowered to integer
tables in a C-level interpreter (``cython_core/_fast.pyx``), event for event the same run.
"""
from __future__ import annotations

from ..errors import TcpsimError

ENGINES = ("fast", "simpy")
DEFAULT_ENGINE = "fast"  # the differential tests hold it to the reference's probe trace


def make_engine(model, name: str = DEFAULT_ENGINE, probes=None):
    """``probes``: an ``observe.probes.Probes`` with callbacks attached, or None."""
    if name == "simpy":
        from .simpy_engine import SimpyEngine

        return SimpyEngine(model, probes)
    if name == "fast":
        from .fast_engine import FastEngine

        return FastEngine(model, probes)
    raise TcpsimError(f"--engine: unknown engine {name!r}; allowed: {', '.join(ENGINES)}")
