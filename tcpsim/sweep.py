"""Sweeps: one scenario run over a grid of scenario keys and locking variants, one summary row per run.

``--set SECTION.KEY=VALUES`` names any key of the scenario schema; VALUES is a TOML value or a TOML array of
them (``clients.rate=[50000, 54000]``; for a key that itself takes a list, an array of lists). Several
``--set`` options make the cartesian product. Every point is validated before anything runs, and every run is
independent and deterministic, so ``jobs`` runs them in parallel processes. ``compare`` is the sweep over
receive-queue counts (with the application moved off the interrupt CPUs).
"""
from __future__ import annotations

import itertools
import tomllib
from concurrent.futures import ProcessPoolExecutor
from . import scenario, tomlfile
from .errors import TcpsimError
from .observe.results import busy, threads_named
from .simulate import overrides, run_model
from .witness import refuse


def parse_set(text: str) -> tuple[str, str, list]:
    """``SECTION.KEY=VALUES`` -> (section, key, [values])."""
    name, sep, rhs = text.partition("=")
    section, dot, key = name.strip().partition(".")
    if not sep or not dot:
        raise TcpsimError(f"--set {text!r}: expected SECTION.KEY=VALUES; allowed: e.g. clients.rate=[50000, 54000]")
    keys = scenario.SCHEMA.get(section)
    if keys is None or key not in keys:
        allowed = ", ".join(f"{s}.{k}" for s, ks in scenario.SCHEMA.items() if s != "variant" for k in ks)
        raise TcpsimError(f"--set {name.strip()}: unknown key; allowed: {allowed}")
    try:
        value = tomllib.loads(f"v = {rhs.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        raise TcpsimError(f"--set {name.strip()}={rhs.strip()}: not a TOML value; allowed: a value or an array of "
                          "values, e.g. 50000 or [50000, 54000] (strings quoted)") from None
    takes_list = keys[key].type is list
    if isinstance(value, list) and (not takes_list or (value and all(isinstance(v, list) for v in value))):
        values = value
    else:
        values = [value]
    if not values:
        raise TcpsimError(f"--set {name.strip()}: an empty array sweeps nothing; allowed: at least one value")
    return section, key, values


def grid(sets: list[tuple[str, str, list]]) -> list[tuple[dict, dict]]:
    """The cartesian product of the --set values: [(labels, scenario overrides)]."""
    points = []
    for combo in itertools.product(*(values for _s, _k, values in sets)):
        labels, over = {}, {}
        for (section, key, _values), value in zip(sets, combo):
            labels[f"{section}.{key}"] = value
            over.setdefault(section, {})[key] = value
        points.append((labels, over))
    return points


def summary(result: dict, model) -> dict:
    """What a sweep or a comparison shows of one run: its rate, where the CPUs' time went, the busiest lock site."""
    hw, app = model.hardware, model.app
    qcpus = hw.queue_cpus
    mean = lambda values: round(sum(values) / len(values), 1) if values else None  # noqa: E731
    accept = threads_named(result, "tcp_server{accept}")
    workers = [t["system"] for t in threads_named(result, "tcp_server{worker")]
    total_wait = sum(row["wait_total"] for row in result["lock_profile"])
    top = result["lock_profile"][0] if result["lock_profile"] else None
    return {
        "variant": model.variant, "queues": hw.queues, "goodput_cps": result["goodput_cps"],
        "offered_cps": result["offered_cps"], "drops": sum(result["drops"].values()),
        "p99_ms": result["latency_ms"]["p99"],
        "irq_busy": mean(busy(result, qcpus)),
        "irq_interrupt": mean([result["cpus"][c]["interrupt"] for c in qcpus]),
        "irq_system": mean([result["cpus"][c]["system"] for c in qcpus]),
        "accept_system": accept[0]["system"] if accept else None, "worker_system": mean(workers),
        "top_site": top["name"] if top else "",
        "top_wait_share": round(top["wait_total"] / total_wait, 3) if top and total_wait else 0.0,
        "accept_cpu": app.accept_cpu, "worker_cpus": list(app.worker_cpus),
    }


def _point_overrides(over, variant, seed=None, duration_s=None) -> dict:
    """One run's scenario overrides: the point's keys, then the variant, seed and window."""
    merged = overrides(seed, duration_s)
    for section, values in over.items():
        merged.setdefault(section, {}).update(values)
    if variant is not None:
        merged.setdefault("scenario", {})["variant"] = variant
    return merged


def run_point(args) -> dict:
    path, variant, labels, over, seed, duration, engine, allow_lor = args
    model = scenario.load(path, _point_overrides(over, variant, seed, duration))
    refuse(model, allow_lor)
    result, _ = run_model(model, engine)
    return {**labels, **summary(result, model)}


def run_points(path, points, variants, seed=None, duration_s=None, engine="simpy", jobs=1, allow_lor=False):
    """Run every variant at every point (variant-major); points are (labels, overrides). All are validated first."""
    _, text = tomlfile.read(path, "scenario")  # a missing file is the user's one-line error
    for _labels, over in points:
        for v in variants:
            scenario.parse(text, str(path), _point_overrides(over, v))
    tasks = [(str(path), v, labels, over, seed, duration_s, engine, allow_lor) for v in variants for labels, over in points]
    if jobs > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(run_point, tasks))
    return [run_point(t) for t in tasks]


def sweep(path, sets, variants=None, seed=None, duration_s=None, engine="simpy", jobs=1, allow_lor=False):
    """``sets``: [(section, key, values)] as parse_set returns; ``variants``: names, or None for the file's."""
    return run_points(path, grid(sets), variants or [None], seed, duration_s, engine, jobs, allow_lor)


COLUMNS = (("variant", "variant", "{}"), ("goodput_cps", "conn/s", "{:,.0f}"), ("drops", "drops", "{:,}"),
           ("irq_busy", "irq busy%", "{:.1f}"), ("irq_interrupt", "intr%", "{:.1f}"), ("irq_system", "sys%", "{:.1f}"),
           ("accept_system", "accept sys%", "{:.1f}"), ("worker_system", "workers sys%", "{:.1f}"),
           ("top_site", "top lock site by wait_total", "{}"))


def format_table(rows: list[dict], label_keys: list[str]) -> str:
    cols = [(k, k, "{}") for k in label_keys] + list(COLUMNS)
    cells = [[head for _k, head, _f in cols]]
    for r in rows:
        cells.append(["-" if r.get(k) is None else fmt.format(r[k]) for k, _h, fmt in cols])
    widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
    left = {"variant", "top_site"}
    lines = ["  ".join(c.ljust(w) if k in left else c.rjust(w) for (k, _h, _f), c, w in zip(cols, row, widths)).rstrip()
             for row in cells]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
