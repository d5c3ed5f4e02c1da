"""Compare locking variants across receive-queue counts on one scenario.

For a queue count q the NIC's interrupt threads go to CPUs 0..q-1; if that collides with the application's
threads, those move to the CPUs just after the queues (and the machine grows to fit), so the application
never shares a CPU with an interrupt thread, as on the article's test bed. Each run is independent and
deterministic; ``jobs`` runs them in parallel processes.
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import scenario
from .observe.results import busy
from .simulate import overrides, run_model
from .witness import refuse


def queue_overrides(sections: dict, q: int) -> dict:
    hw, app = sections["hardware"], sections["app"]
    qcpus = list(range(q))
    accept, workers = app["accept_cpu"], list(app["worker_cpus"])
    if {accept, *workers} & set(qcpus):
        accept, workers = q, list(range(q + 1, q + 1 + len(workers)))
    cpus = max(hw["cpus"], accept + 1, *(w + 1 for w in workers), q)
    return {"hardware": {"queues": q, "queue_cpus": qcpus, "cpus": cpus},
            "app": {"accept_cpu": accept, "worker_cpus": workers}}


def _one(args):
    path, variant, q, seed, duration, engine, allow_lor = args
    over = overrides(seed, duration)
    over.setdefault("scenario", {})["variant"] = variant
    text = Path(path).read_text()
    if q is not None:
        sections = scenario.parse(text, str(path))
        for section, values in queue_overrides(sections, q).items():
            over.setdefault(section, {}).update(values)
    model = scenario.load(path, over)
    refuse(model, allow_lor)
    r, _ = run_model(model, engine)
    qcpus = model.hardware.queue_cpus
    irq = sum(busy(r, qcpus)) / len(qcpus)
    total_wait = sum(row["wait_total"] for row in r["lock_profile"])
    top = r["lock_profile"][0] if r["lock_profile"] else None
    return {
        "variant": variant, "queues": model.hardware.queues, "goodput_cps": r["goodput_cps"],
        "irq_busy": round(irq, 1),
        "top_site": top["name"] if top else "",
        "top_wait_share": round(top["wait_total"] / total_wait, 3) if top and total_wait else 0.0,
        "accept_cpu": model.app.accept_cpu, "worker_cpus": list(model.app.worker_cpus),
    }


def compare(path, variants, queues=None, seed=None, duration_s=None, engine="simpy", jobs=1, allow_lor=False):
    tasks = [(str(path), v, q, seed, duration_s, engine, allow_lor) for v in variants for q in (queues or [None])]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(_one, tasks))
    return [_one(t) for t in tasks]


def format_table(rows) -> str:
    head = f"{'variant':<28} {'queues':>6} {'conn/s':>10} {'irq CPU busy':>13}  top lock site by wait_total (share of all waiting)"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['variant']:<28} {r['queues']:>6} {r['goodput_cps']:>10,.0f} {r['irq_busy']:>12.1f}%  "
                     f"{r['top_site']} ({100 * r['top_wait_share']:.0f}%)")
    return "\n".join(lines)
