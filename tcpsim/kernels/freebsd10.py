"""FreeBSD 10.0 (with ixgbe 2.5.15 and the article's server application) as a kernel package: the modules under
``model/`` that hold its paths, locks, variants, threads and TCP dispatch, gathered. Facts:
``shared/reference/freebsd10-locking.md``; sites: ``docs/lock-sites.md``."""
from __future__ import annotations

from ..model import locks, paths, programs, tcp, threads, variants
from . import KernelPackage

PACKAGE = KernelPackage(
    name="freebsd10",
    title="FreeBSD 10.0",
    paths=paths.BASELINE_PATHS,
    locks=locks.BASE_LOCKS,
    documented_order=locks.DOCUMENTED_ORDER,
    variants=variants.BUILTIN,
    thread_specs=threads.thread_specs,
    paths_for=tcp.paths_for,
    costs_file="freebsd10.toml",
    sites_doc="docs/lock-sites.md",
    connectionless=programs.CONNECTIONLESS,
)
