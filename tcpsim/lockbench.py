"""``tcpsim lockbench``: the lock microbenchmark (``model/bench.py``) swept over thread counts and lock classes on
one machine, as lock-scaling papers measure: acquisitions per second, speedup over one thread, wait per
acquisition, share of the CPUs spent spinning.

Every run is independent and deterministic (its seed is part of its task), so runs go through the sweeps'
executor (``execute.run_all``: local processes or a dask cluster) and seeds (``sweep.seed_list``), and each
number is the mean over seeds with its 95% confidence interval (``stats.mean_ci``).

A column of the table is one entry of ``COLUMNS``: its heading, its format and how a run computes it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from . import __version__, machines, scenario
from .engines import DEFAULT_ENGINE
from .errors import TcpsimError
from .execute import run_all
from .model import bench
from .model.steps import DISTRIBUTIONS, WRITE
from .revision import revision
from .simulate import run_model
from .stats import mean_ci
from .sweep import seed_list

DEFAULT_THREADS = (1, 2, 4, 8, 12, 16, 24, 32, 40, 48)  # capped by the machine's CPUs
DEFAULT_MACHINE = "opteron-48"
UNITS = ("ns", "cycles")
DURATION_S, WARMUP_S = 0.005, 0.001  # a window of thousands of hand-offs even at the slowest point


@dataclass(frozen=True)
class Workload:
    """What each bench thread does, in the user's terms (``units``: ns or cycles of the machine's clock)."""

    think: float = 1000.0
    critical: float = 200.0
    units: str = "ns"
    dist: str = "exponential"  # of both the think and the critical-section times
    mode: str = WRITE

    def ns(self, machine) -> tuple[int, int]:
        """(think, critical section) means in whole ns on ``machine``."""
        scale = 1.0 if self.units == "ns" else 1.0 / machine.costs["cpu_ghz"]
        return round(self.think * scale), round(self.critical * scale)


@dataclass(frozen=True)
class Task:
    """One run, complete in itself so that any process or dask worker can run it."""

    machine: str  # a shipped machine's name or a machine file's path
    cls: str
    cpus: tuple  # one thread per CPU
    workload: Workload
    seed: int
    duration_s: float
    warmup_s: float
    engine: str


def base_model(machine: machines.Machine, seed: int, duration_s: float, warmup_s: float):
    """The kernel's declarations and costs on ``machine`` (a scenario with ``[hardware] machine``), with the run
    window; the bench replaces its threads and clients (``bench.bench_model``)."""
    text = (f'[scenario]\nname = {json.dumps("lockbench " + machine.name)}\n'
            f'[hardware]\nmachine = {json.dumps(machine.path)}\n'
            f'[app]\naccept_cpu = 0\nworker_cpus = [0]\n'  # (not used: the bench has no application threads)
            f'[run]\nduration_s = {duration_s!r}\nwarmup_s = {warmup_s!r}\nseed = {seed}\nseries_ms = 0\n')
    return scenario.build(scenario.parse(text, f"lockbench --machine {machine.name}"), text)


def model(task: Task):
    """The Model of one run."""
    machine = machines.load(task.machine)
    w = task.workload
    spec = bench.BenchSpec(task.cpus, task.cls, bench.kind_for(task.cls, w.mode), w.mode, w.dist, w.dist)
    think_ns, cs_ns = w.ns(machine)
    return bench.bench_model(base_model(machine, task.seed, task.duration_s, task.warmup_s), spec, think_ns, cs_ns)


# --- what a run measures -------------------------------------------------------------------------------------
def _profile(engine) -> dict:
    """The bench lock's row of the lock profile (ns counters, observe/lockprof.py), in the measured window."""
    rows = [v for (site, _lock), v in engine.lockprof.raw().items() if site == bench.SITE]
    return rows[0] if rows else {"count": 0, "wait_total_ns": 0, "cnt_lock": 0}


def _acq_per_s(result, engine, task):
    """Loops begun in the window: one acquisition each (also where the class takes nothing: an epoch read)."""
    return engine.window_loops / task.duration_s


def _wait_ns(result, engine, task):
    p = _profile(engine)
    return p["wait_total_ns"] / p["count"] if p["count"] else None


def _spin(result, engine, task):
    """Percent of the bench CPUs' time spent spinning on the lock (top's spin share, averaged over them)."""
    return sum(result["cpus"][c]["spin"] for c in task.cpus) / len(task.cpus)


def _lines_per_handoff(result, engine, task):
    """Cache-line transfers per hand-off to a waiting CPU (the lock code's count, result["lock_traffic"])."""
    t = result["lock_traffic"].get(engine.m.locks[bench.LOCK].display)
    return t["per_handoff"] if t and t["handoffs"] else None


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    fmt: str
    measure: object = None  # (result, engine, task) -> number; None: derived from other runs (speedup)


# The table's columns after class and threads, in order. Adding one is one line here.
COLUMNS = (
    Column("acq_per_s", "acquisitions/s", "{:,.0f}", _acq_per_s),
    Column("speedup", "speedup", "{:.2f}"),
    Column("wait_ns", "wait/acq ns", "{:,.0f}", _wait_ns),
    Column("spin", "spin %", "{:.1f}", _spin),
    Column("lines_per_handoff", "lines/hand-off", "{:.2f}", _lines_per_handoff),
)
NUMBERS = tuple(c.key for c in COLUMNS)


def run_point(task: Task) -> dict:
    """Run one task; its row: class, threads, seed and every measured column."""
    result, engine = run_model(model(task), task.engine)
    row = {"class": task.cls, "threads": len(task.cpus), "seed": task.seed}
    for c in COLUMNS:
        if c.measure is not None:
            row[c.key] = c.measure(result, engine, task)
    return row


# --- the sweep ---------------------------------------------------------------------------------------------------
def check(machine: machines.Machine, threads, classes, workload: Workload, cpus=None) -> tuple:
    """The sweep's inputs checked before anything runs (one-line errors naming the option); returns the CPU order
    threads are placed in (``cpus``, or 0..N-1)."""
    if workload.units not in UNITS:
        raise TcpsimError(f"--units {workload.units}: unknown unit; allowed: {', '.join(UNITS)}")
    if workload.dist not in DISTRIBUTIONS:
        raise TcpsimError(f"--distribution {workload.dist}: unknown distribution; allowed: {', '.join(DISTRIBUTIONS)}")
    for option, v in (("--think", workload.think), ("--critical-section", workload.critical)):
        if not (v >= 0 and v < 1e12):  # also refuses nan
            raise TcpsimError(f"{option} {v}: out of range; allowed: 0 to 1e12 {workload.units}")
    think_ns, cs_ns = workload.ns(machine)
    if think_ns + cs_ns == 0:
        raise TcpsimError(f"--think {workload.think} and --critical-section {workload.critical}: both round to 0 ns, "
                          "so a thread would loop without time passing; allowed: a mean of at least 1 ns for one")
    for cls in classes:
        bench.kind_for(cls, workload.mode)
    order = tuple(range(machine.cpus)) if cpus is None else tuple(cpus)
    if len(set(order)) != len(order) or not all(0 <= c < machine.cpus for c in order):
        raise TcpsimError(f"--cpus {','.join(map(str, order))}: allowed: distinct CPUs 0 to {machine.cpus - 1} "
                          f"(machine {machine.name})")
    bad = [n for n in threads if not 1 <= n <= len(order)]
    if bad:
        raise TcpsimError(f"--threads {bad[0]}: machine {machine.name} has {machine.cpus} CPUs"
                          + (f" and --cpus lists {len(order)}" if cpus is not None else "")
                          + f"; allowed: 1 to {len(order)} threads")
    return order


def plan(machine_name: str, threads=None, classes=None, workload: Workload = Workload(), seed: int = 1, seeds=None,
         duration_s: float = DURATION_S, warmup_s: float = WARMUP_S, engine: str = DEFAULT_ENGINE,
         cpus=None) -> list[Task]:
    """Every run, class-major, then thread count, then seed. The 1-thread run of each class is always made:
    it is what speedup divides by."""
    machine = machines.load(machine_name)
    if threads is None:
        threads = [n for n in DEFAULT_THREADS if n <= (machine.cpus if cpus is None else len(cpus))]
    if classes is None:
        classes = bench.classes_for(workload.mode)
    order = check(machine, threads, classes, workload, cpus)
    counts = sorted({1, *threads})
    return [Task(machine_name, cls, order[:n], workload, s, duration_s, warmup_s, engine)
            for cls in classes for n in counts for s in seed_list(seed, seeds)]


def speedups(rows: list[dict]) -> None:
    """Each row's speedup: its acquisitions/s over the 1-thread run of the same class and seed."""
    one = {(r["class"], r["seed"]): r["acq_per_s"] for r in rows if r["threads"] == 1}
    for r in rows:
        base = one.get((r["class"], r["seed"]))
        r["speedup"] = r["acq_per_s"] / base if base else None


def run(tasks: list[Task], jobs: int = 1, scheduler=None, progress=None) -> list[dict]:
    """Run every task (in ``jobs`` processes or on a dask ``scheduler``); the rows in plan order, with speedups."""
    rows = [None] * len(tasks)
    if progress:
        progress(0, len(tasks))
    for n, (i, row) in enumerate(run_all(run_point, tasks, jobs, scheduler), 1):
        rows[i] = row
        if progress:
            progress(n, len(tasks))
    speedups(rows)
    return rows


def by_point(rows: list[dict]) -> list[dict]:
    """One row per class and thread count over its seeds: each number's mean and, with two seeds or more, the
    half-width of its 95% confidence interval (``NAME_ci95``)."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["class"], r["threads"]), []).append(r)
    points = []
    for (cls, n), runs in groups.items():
        p = {"class": cls, "threads": n, "seeds": [r["seed"] for r in runs]}
        for k in NUMBERS:
            p[k], p[f"{k}_ci95"] = mean_ci([r[k] for r in runs])
        points.append(p)
    return points


def _cell(point, key, fmt) -> str:
    v = point.get(key)
    if v is None:
        return "-"
    hw = point.get(f"{key}_ci95")
    return fmt.format(v) if hw is None else f"{fmt.format(v)} ± {fmt.format(hw)}"


def format_table(points: list[dict]) -> str:
    """by_point's rows as text: class, threads, then COLUMNS (mean ± 95% CI half-width with several seeds)."""
    cells = [["class", "threads", *(c.heading for c in COLUMNS)]]
    for p in points:
        cells.append([p["class"], str(p["threads"]), *(_cell(p, c.key, c.fmt) for c in COLUMNS)])
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
             for row in cells]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def heading(tasks: list[Task]) -> str:
    """What the table is of: code, machine and its latencies, workload, engine, seeds and window."""
    t = tasks[0]
    m = machines.load(t.machine)
    w = t.workload
    think_ns, cs_ns = w.ns(m)
    unit = "" if w.units == "ns" else f" ({w.think:g} and {w.critical:g} cycles at {m.costs['cpu_ghz']:g} GHz)"
    seeds = sorted({x.seed for x in tasks})
    return "\n".join([
        f"tcpsim {__version__} ({revision()})  lockbench  machine {m.name}: {m.description}",
        f"line transfers: same socket {m.costs['lock_line_transfer']} ns, other socket "
        f"{m.costs['line_transfer_other_socket']} ns, same core {m.costs['line_transfer_same_core']} ns",
        f"think {think_ns} ns, critical section {cs_ns} ns{unit}, {w.dist}; mode {w.mode}; threads on CPUs "
        f"{_cpu_ranges(max(tasks, key=lambda x: len(x.cpus)).cpus)} in that order",
        f"engine {t.engine}  seed{'s' * (len(seeds) > 1)} {', '.join(map(str, seeds))}  window {t.duration_s} s "
        f"after {t.warmup_s} s warm-up",
    ])


def _cpu_ranges(cpus) -> str:
    """0-11,24 (cpuset's syntax) for a list of CPU ids."""
    out, start = [], None
    for i, c in enumerate(cpus):
        if start is None:
            start = c
        if i + 1 == len(cpus) or cpus[i + 1] != c + 1:
            out.append(str(start) if start == c else f"{start}-{c}")
            start = None
    return ",".join(out)
