"""Compare locking variants across receive-queue counts on one scenario.

Each queue count is placed by ``placement.queue_overrides`` (the application moves off the interrupt CPUs,
growing the machine if it must). Each run is independent and deterministic; ``jobs`` runs them in parallel
processes.
"""
from __future__ import annotations

from . import scenario, tomlfile
from .engines import DEFAULT_ENGINE
from .placement import queue_overrides
from .sweep import cell, run_points, site_split


def compare(path, variants, queues=None, seed=None, duration_s=None, engine=DEFAULT_ENGINE, jobs=1, allow_lor=False,
            **kw):
    """Rows of sweep.run_point for every variant x queue count (the scenario's own count if ``queues`` is
    None) x seed. Keywords as sweep.run_points (seeds, scheduler, output, progress)."""
    sections = scenario.parse(tomlfile.read(path, "scenario")[1], str(path))
    points = [({}, queue_overrides(sections, q)) for q in queues] if queues else [({}, {})]
    return run_points(path, points, variants, seed, duration_s, engine, jobs, allow_lor, **kw)


def format_table(points) -> str:
    """sweep.by_point's rows: mean (± 95% CI half-width over the seeds) of connections/s and irq CPU busy."""
    cells = [(p["variant"], str(p["queues"]), str(p["cpus"]), cell(p, "goodput_cps", "{:,.0f}"),
              cell(p, "irq_busy", "{:.1f}%"),
              f"{p['top_site']} ({'; '.join(filter(None, [cell(p, 'top_wait_share', '{:.0%}'), site_split(p)]))})")
             for p in points]
    head = ("variant", "queues", "cpus", "conn/s", "irq CPU busy", "top lock site by wait_total (share of all waiting)")
    widths = [max(len(r[i]) for r in [head, *cells]) for i in range(5)]
    lines = []
    for r in [head, *cells]:
        lines.append("  ".join([r[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(r[1:5], widths[1:])), r[5]]))
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
