"""Compare locking variants across receive-queue counts on one scenario.

For a queue count q the NIC's interrupt threads go to CPUs 0..q-1; if that collides with the application's
threads, those move to the CPUs just after the queues (and the machine grows to fit), so the application
never shares a CPU with an interrupt thread, as on the article's test bed. Each run is independent and
deterministic; ``jobs`` runs them in parallel processes.
"""
from __future__ import annotations

from . import scenario, tomlfile
from .sweep import cell, run_points


def queue_overrides(sections: dict, q: int) -> dict:
    hw, app = sections["hardware"], sections["app"]
    qcpus = list(range(q))
    accept, workers = app["accept_cpu"], list(app["worker_cpus"])
    if {accept, *workers} & set(qcpus):
        accept, workers = q, list(range(q + 1, q + 1 + len(workers)))
    cpus = max(hw["cpus"], accept + 1, *(w + 1 for w in workers), q)
    return {"hardware": {"queues": q, "queue_cpus": qcpus, "cpus": cpus},
            "app": {"accept_cpu": accept, "worker_cpus": workers}}


def compare(path, variants, queues=None, seed=None, duration_s=None, engine="simpy", jobs=1, allow_lor=False,
            **kw):
    """Rows of sweep.run_point for every variant x queue count (the scenario's own count if ``queues`` is
    None) x seed. Keywords as sweep.run_points (seeds, scheduler, output, progress)."""
    sections = scenario.parse(tomlfile.read(path, "scenario")[1], str(path))
    points = [({}, queue_overrides(sections, q)) for q in queues] if queues else [({}, {})]
    return run_points(path, points, variants, seed, duration_s, engine, jobs, allow_lor, **kw)


def format_table(points) -> str:
    """sweep.by_point's rows: mean (± 95% CI half-width over the seeds) of connections/s and irq CPU busy."""
    cells = [(p["variant"], str(p["queues"]), cell(p, "goodput_cps", "{:,.0f}"), cell(p, "irq_busy", "{:.1f}%"),
              f"{cell(p, 'top_site', '{}')} ({cell(p, 'top_wait_share', '{:.0%}')})") for p in points]
    head = ("variant", "queues", "conn/s", "irq CPU busy", "top lock site by wait_total (share of all waiting)")
    widths = [max(len(r[i]) for r in [head, *cells]) for i in range(4)]
    lines = []
    for r in [head, *cells]:
        lines.append(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}  {r[4]}")
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
