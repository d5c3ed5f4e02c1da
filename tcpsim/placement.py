"""Where a receive-queue count puts the interrupt threads and the application, for compare and queue sweeps.

For a queue count q the NIC's interrupt threads go to CPUs 0..q-1; if that collides with the application's
threads, those move to the CPUs just after the queues (and the machine grows to fit), so the application
never shares a CPU with an interrupt thread, as on the article's test bed.
"""
from __future__ import annotations

# keys with which a sweep point places the queues or the application itself
PLACEMENT_KEYS = (("hardware", "queue_cpus"), ("hardware", "cpus"), ("app", "accept_cpu"), ("app", "worker_cpus"))


def queue_overrides(sections: dict, q: int) -> dict:
    """Scenario overrides that run the scenario (parsed ``sections``) with ``q`` queues placed as above."""
    hw, app = sections["hardware"], sections["app"]
    qcpus = list(range(q))
    accept, workers = app["accept_cpu"], list(app["worker_cpus"])
    if {accept, *workers} & set(qcpus):
        accept, workers = q, list(range(q + 1, q + 1 + len(workers)))
    cpus = max(hw["cpus"], accept + 1, *(w + 1 for w in workers), q)
    return {"hardware": {"queues": q, "queue_cpus": qcpus, "cpus": cpus},
            "app": {"accept_cpu": accept, "worker_cpus": workers}}


def follows_queues(over: dict) -> bool:
    """Whether a sweep point sets the queue count and leaves the placement to us (no placement key of its own)."""
    return "queues" in over.get("hardware", {}) and not any(k in over.get(s, {}) for s, k in PLACEMENT_KEYS)


def place_queues(sections: dict, over: dict) -> dict:
    """A sweep point's overrides with its queue count placed as compare places it (when ``follows_queues``)."""
    if not follows_queues(over):
        return over
    placed = queue_overrides(sections, over["hardware"]["queues"])
    return {s: {**placed.get(s, {}), **over.get(s, {})} for s in {*placed, *over}}


def grown(rows: list[dict], cpus: int) -> str:
    """A warning when some rows ran on a bigger machine than the scenario's ``cpus``, or '' if none did."""
    bigger = sorted({(r["queues"], r["cpus"]) for r in rows if r["cpus"] != cpus})
    if not bigger:
        return ""
    runs = ", ".join(f"{q} queue{'s' * (q > 1)} on {c} CPUs" for q, c in bigger)
    return (f"the machine grew beyond the scenario's {cpus} CPUs to keep the application off the interrupt CPUs: "
            f"{runs} (the cpus column)")


def core_overrides(sections: dict, cores: int, max_queues: int) -> dict:
    """Scenario overrides that run the scenario's application on its first ``cores`` CPUs, one worker per core,
    as a Linux server is usually run: the NIC's queues on CPUs 0..q-1 with q = min(cores, ``max_queues``) (the
    driver's limit: one queue per CPU, IRQ affinity pinned), the accept thread (if the application has one) on
    CPU 0; the machine keeps its size, the CPUs past ``cores`` idle."""
    cpus = sections["hardware"]["cpus"]
    if not 1 <= cores <= cpus:
        raise ValueError(f"{cores} cores on a {cpus}-CPU machine")
    q = min(cores, max_queues)
    return {"hardware": {"queues": q, "queue_cpus": list(range(q))},
            "app": {"accept_cpu": 0, "worker_cpus": list(range(cores))}}
