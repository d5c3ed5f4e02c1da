"""Kernels as packages: each kernel the engines can run is data -- its paths, locks, variants, thread programs,
TCP dispatch, costs file and sites table -- gathered in one ``KernelPackage``.

The engines only interpret steps, thread programs, locks and time (DESIGN.md, "two engines, one model"); what
a kernel does lives in its package. ``[scenario] kernel`` picks one (``Model.kernel_name``); FreeBSD 10.0 is the
default. The vocabulary packages use is shared: steps (model/steps.py), program operations (model/programs.py),
actions and conditions (model/kernel_state.py), lock kinds, classes and scopes (model/locks.py, lockclasses.py).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

from ..errors import TcpsimError, did_you_mean
from ..rss import MAX_QUEUES

DEFAULT_KERNEL = "freebsd10"
# name -> module defining PACKAGE; imported on first use (a package imports the model, the model this registry)
MODULES = {"freebsd10": "tcpsim.kernels.freebsd10", "linux310": "tcpsim.kernels.linux310",
           "linux44": "tcpsim.kernels.linux44"}


@dataclass(frozen=True)
class KernelPackage:
    name: str  # the [scenario] kernel value
    title: str  # as a report names it: "FreeBSD 10.0"
    paths: dict  # the baseline paths {name: steps.Path}
    locks: dict  # {name: locks.LockDecl}
    documented_order: tuple  # lock displays in the documented order (witness.py reports an edge against it)
    variants: dict  # {name: variants.Variant}, "baseline" included
    thread_specs: Callable  # (model) -> [threads.ThreadSpec]
    paths_for: Callable  # (segment, state) -> the paths tcp_input runs for an inbound segment
    costs_file: str  # under tcpsim/data/
    sites_doc: str  # the table of the package's lock sites and their status
    connectionless: frozenset  # paths a thread runs with no connection of its own (programs.connectionless_paths)
    # (segment, state) -> the paths the socket's owner runs in release_sock for a frame that went to the socket's
    # backlog; None: the kernel has no socket backlog
    backlog_paths_for: Callable | None = None
    defaults: dict = field(default_factory=dict)  # {"section.key": value}: this kernel's default for a scenario key
    words: dict = field(default_factory=dict)  # the views' vocabulary where it differs from FreeBSD's
    max_queues: int = MAX_QUEUES  # receive queues its NIC driver configures at most (FreeBSD 10's ixgbe: 8)

    def word(self, key: str, freebsd):
        """This kernel's name for something the engines or views print (``freebsd``: FreeBSD's, the default):
        e.g. "switch_stack", where a context switch's cost shows in a profile."""
        return self.words.get(key, freebsd)


def package(name: str = DEFAULT_KERNEL) -> KernelPackage:
    if name not in MODULES:
        raise TcpsimError(f"kernel {name!r}: unknown{did_you_mean(name, MODULES)}; allowed: {', '.join(MODULES)}")
    return _load(name)


_LOADED: dict = {}


def _load(name: str) -> KernelPackage:
    if name not in _LOADED:
        _LOADED[name] = importlib.import_module(MODULES[name]).PACKAGE
    return _LOADED[name]


def of(model) -> KernelPackage:
    """The package a built model runs."""
    return package(model.kernel_name)
