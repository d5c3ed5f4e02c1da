"""Compare locking variants across receive-queue counts (and kernels: ``--kernels``) on one scenario.

Each queue count is placed by ``placement.queue_overrides`` (the application moves off the interrupt CPUs,
growing the machine if it must). Each run is independent and deterministic; ``jobs`` runs them in parallel
processes.
"""
from __future__ import annotations

from . import scenario, sweep, tomlfile
from .engines import DEFAULT_ENGINE
from .placement import queue_overrides
from .sweep import run_points, with_axes


def compare(path, variants, queues=None, seed=None, duration_s=None, engine=DEFAULT_ENGINE, jobs=1, allow_lor=False,
            kernels=None, **kw):
    """Rows of sweep.run_point for every variant x kernel (the scenario's own if ``kernels`` is None) x queue
    count (the scenario's own count if ``queues`` is None) x seed. Keywords as sweep.run_points (seeds,
    scheduler, output, progress)."""
    sections = scenario.parse(tomlfile.read(path, "scenario")[1], str(path))
    points = [({}, queue_overrides(sections, q)) for q in queues] if queues else [({}, {})]
    return run_points(path, with_axes(sections, points, kernels), variants, seed, duration_s, engine, jobs, allow_lor,
                      **kw)


# sweep's columns, queue count first: the queue tasks and the spinning say why more queues can mean fewer conn/s
TABLE = ("variant", "queues", "cpus", "goodput_cps", "drops", "irq_busy", "que_task", "irq_spin", "app_spin",
         "top_site")


# with a kernel axis: the machine's CPU split in place of FreeBSD's queue task (a Linux run has none), the
# interrupt share being softirq time on Linux
KERNELS_TABLE = ("variant", "queues", "cpus", "goodput_cps", "drops", "cpu_user", "cpu_system", "cpu_interrupt",
                 "cpu_idle", "irq_busy", "irq_spin", "app_spin", "top_site")


def format_table(points) -> str:
    """sweep.by_point's rows: mean (± 95% CI half-width over the seeds) of connections/s, interrupt CPU, queue
    task and spinning shares (or, across kernels, the CPU split), and the lock site with the most waiting."""
    kernels = any(sweep.KERNEL_KEY in p for p in points)
    return sweep.format_table(points, KERNELS_TABLE if kernels else TABLE)
