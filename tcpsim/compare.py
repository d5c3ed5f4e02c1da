"""Compare locking variants across receive-queue counts on one scenario.

For a queue count q the NIC's interrupt threads go to CPUs 0..q-1; if that collides with the application's
threads, those move to the CPUs just after the queues (and the machine grows to fit), so the application
never shares a CPU with an interrupt thread, as on the article's test bed. Each run is independent and
deterministic; ``jobs`` runs them in parallel processes.
"""
from __future__ import annotations

from . import scenario, tomlfile
from .sweep import run_points


def queue_overrides(sections: dict, q: int) -> dict:
    hw, app = sections["hardware"], sections["app"]
    qcpus = list(range(q))
    accept, workers = app["accept_cpu"], list(app["worker_cpus"])
    if {accept, *workers} & set(qcpus):
        accept, workers = q, list(range(q + 1, q + 1 + len(workers)))
    cpus = max(hw["cpus"], accept + 1, *(w + 1 for w in workers), q)
    return {"hardware": {"queues": q, "queue_cpus": qcpus, "cpus": cpus},
            "app": {"accept_cpu": accept, "worker_cpus": workers}}


def compare(path, variants, queues=None, seed=None, duration_s=None, engine="simpy", jobs=1, allow_lor=False):
    """Rows of sweep.summary for every variant x queue count (the scenario's own count if ``queues`` is None)."""
    sections = scenario.parse(tomlfile.read(path, "scenario")[1], str(path))
    points = [({}, queue_overrides(sections, q)) for q in queues] if queues else [({}, {})]
    return run_points(path, points, variants, seed, duration_s, engine, jobs, allow_lor)


def format_table(rows) -> str:
    head = f"{'variant':<28} {'queues':>6} {'conn/s':>10} {'irq CPU busy':>13}  top lock site by wait_total (share of all waiting)"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['variant']:<28} {r['queues']:>6} {r['goodput_cps']:>10,.0f} {r['irq_busy']:>12.1f}%  "
                     f"{r['top_site']} ({100 * r['top_wait_share']:.0f}%)")
    return "\n".join(lines)
