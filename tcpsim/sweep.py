"""Sweeps: one scenario run over a grid of scenario keys and locking variants, one summary row per run.

``--set SECTION.KEY=VALUES`` names any key of the scenario schema; VALUES is a TOML value or a TOML array of
them (``clients.rate=[50000, 54000]``; for a key that itself takes a list, an array of lists). Several
``--set`` options make the cartesian product. Every point is validated before anything runs, and every run is
independent and deterministic, so ``jobs`` runs them in parallel processes. ``compare`` is the sweep over
receive-queue counts; a sweep of ``hardware.queues`` places the queues and the application the same way
(``placement``), unless its points place them with keys of their own.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from collections import Counter
from dataclasses import dataclass

from . import __version__, scenario, tomlfile
from . import kernels as kernels_pkg
from .engines import DEFAULT_ENGINE
from .errors import TcpsimError, did_you_mean
from .execute import run_all
from .observe.results import busy, threads_named
from .placement import core_overrides, place_queues
from .results_file import CORES, ResultsFile, is_label
from .revision import revision
from .simulate import overrides, run_model
from .stats import mean_ci
from .witness import refuse


def parse_set(text: str) -> tuple[str, str, list]:
    """``SECTION.KEY=VALUES`` -> (section, key, [values])."""
    name, sep, rhs = text.partition("=")
    section, dot, key = name.strip().partition(".")
    if not sep or not dot:
        raise TcpsimError(f"--set {text!r}: expected SECTION.KEY=VALUES; allowed: e.g. clients.rate=[50000, 54000]")
    keys = scenario.SCHEMA.get(section)
    if keys is None or key not in keys or section == "variant":
        # the closest few, not all ~70 keys: the full list is in the README's "Scenario files"
        if keys is None or section == "variant":
            known = [f"{s}.{k}" for s, ks in scenario.SCHEMA.items() if s != "variant" for k in ks]
            close = did_you_mean(name.strip(), known, n=3)
            allowed = f"a key of {', '.join(f'[{s}]' for s in scenario.SCHEMA if s != 'variant')}"
        else:  # the section is right: compare the key with its keys alone
            close = did_you_mean(key, keys, n=3, prefix=f"{section}.")
            allowed = f"a key of [{section}]: {', '.join(keys)}"
        raise TcpsimError(f"--set {name.strip()}: unknown key{close}; allowed: {allowed} (every key: README, "
                          "'Scenario files')")
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


KERNEL_KEY = "scenario.kernel"  # the kernel axis of compare and sweep (--kernels): a point's label and override
CORES_KEY = CORES  # sweep's core-count axis (--cores): a point's label (results_file.AXES)


def with_axes(sections: dict, points: list[tuple[dict, dict]], kernels=None, cores=None) -> list[tuple[dict, dict]]:
    """``points`` run on each of ``kernels`` (kernel-major; each overrides the file's [scenario] kernel) at each
    core count of ``cores`` (placement.core_overrides: the application on the first N cores, one worker per core,
    a queue per core up to that kernel's driver's limit; a point's own keys win); None or empty: that axis is the
    file's (``sections``, as parsed)."""
    out = []
    for k in kernels or [None]:
        limit = kernels_pkg.package(k or sections["scenario"]["kernel"]).max_queues
        for n in cores or [None]:
            try:
                placed = core_overrides(sections, n, limit) if n else {}
            except ValueError as e:
                raise TcpsimError(f"--cores {n}: {e}; allowed: 1 to {sections['hardware']['cpus']}") from None
            for labels, over in points:
                merged = {s: {**placed.get(s, {}), **over.get(s, {})} for s in {*placed, *over}}
                if k:
                    merged["scenario"] = {**merged.get("scenario", {}), "kernel": k}
                out.append(({**({KERNEL_KEY: k} if k else {}), **({CORES_KEY: n} if n else {}), **labels}, merged))
    return out


def grid(sets: list[tuple[str, str, list]]) -> list[tuple[dict, dict]]:
    """The cartesian product of the --set values: [(labels, scenario overrides)]."""
    seen = Counter((section, key) for section, key, _values in sets)
    twice = [f"{section}.{key}" for (section, key), n in seen.items() if n > 1]
    if twice:  # the last would win silently
        raise TcpsimError(f"--set {twice[0]}: given more than once; allowed: one --set per key, its values as one "
                          f"array ({twice[0]}=[A, B])")
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
    tasks = [t["wcpu"] for t in threads_named(result, "kernel{ix0 que")]  # where they ran: unbound in 10.0
    total_wait = sum(row["wait_total"] for row in result["lock_profile"])
    split = {k: mean([c[k] for c in result["cpus"]]) for k in ("user", "system", "interrupt", "idle")}
    top = result["lock_profile"][0] if result["lock_profile"] else None
    app_cpus = sorted({app.accept_cpu, *app.worker_cpus} - set(qcpus))
    return {
        "variant": model.variant, "queues": hw.queues, "goodput_cps": result["goodput_cps"],
        "offered_cps": result["offered_cps"], "drops": sum(result["drops"].values()),
        "p99_ms": result["latency_ms"]["p99"],
        "irq_busy": mean(busy(result, qcpus)),
        "irq_interrupt": mean([result["cpus"][c]["interrupt"] for c in qcpus]),
        "irq_system": mean([result["cpus"][c]["system"] for c in qcpus]),
        "que_task": mean(tasks),
        # spinning on a lock, inside the system and interrupt time: what more queues buy when they contend
        "irq_spin": mean([result["cpus"][c]["spin"] for c in qcpus]),
        "app_spin": mean([result["cpus"][c]["spin"] for c in app_cpus]),
        "accept_system": accept[0]["system"] if accept else None, "worker_system": mean(workers),
        # the whole machine's time, as mpstat's "all" line or the mean of top's CPU lines (interrupt: Linux's si)
        "cpu_user": split["user"], "cpu_system": split["system"], "cpu_interrupt": split["interrupt"],
        "cpu_idle": split["idle"],
        "top_site": top["name"] if top else "",
        "top_wait_share": round(top["wait_total"] / total_wait, 3) if top and total_wait else 0.0,
        "cpus": hw.cpus, "accept_cpu": app.accept_cpu, "worker_cpus": list(app.worker_cpus),
        "kernel_name": model.kernel_name,  # the kernel it ran, whether the file or --kernels chose it
    }


def _point_overrides(over, variant, seed=None, duration_s=None) -> dict:
    """One run's scenario overrides: the point's keys, then the variant, seed and window."""
    merged = overrides(seed, duration_s)
    for section, values in over.items():
        merged.setdefault(section, {}).update(values)
    if variant is not None:
        merged.setdefault("scenario", {})["variant"] = variant
    return merged


def seed_list(base: int, seeds) -> list[int]:
    """The seeds to run a point with: ``seeds`` None -> [base]; a count n -> base, base+1, ..., base+n-1;
    a list -> that list (``base`` is --seed or the scenario's own seed)."""
    if seeds is None:
        return [base]
    if isinstance(seeds, int):
        return [base + i for i in range(seeds)]
    return list(seeds)


@dataclass(frozen=True)
class Task:
    """One run of a sweep, complete in itself so that any process or dask worker can run it."""
    text: str  # the scenario file's text (a worker need not see the file; its sha256 names the scenario)
    source: str  # the file's path: for messages, and for a costs file named relative to it
    labels: dict  # the point's --set keys and values
    over: dict  # every override of the run: the point's keys, variant, seed and window
    identity: dict  # what makes this run different from any other: its key in a results file
    provenance: dict  # where it comes from: the scenario's name and path, the code's version and revision
    allow_lor: bool

    def row(self) -> dict:
        """What the run's row will say before it has run: its keys, identity, provenance and run_key (what
        results_file checks an existing file against)."""
        return {**self.labels, **self.identity, **self.provenance, "run_key": run_key(self.identity)}


# A run's identity. The code's revision is not part of it: a finished run of another revision is still the same
# run, kept or refused as the user says (--resume-across-revisions), never silently run twice.
IDENTITY = ("scenario_sha256", "variant", "queues", "seed", "engine", "duration_s", "warmup_s")
PROVENANCE = ("scenario", "scenario_path", "version", "revision")


def run_key(identity: dict) -> str:
    """A run's identity as one canonical string, stored with each row of a results file so a resumed sweep
    recognises its finished runs whatever types a CSV file reads back for the point's keys."""
    return json.dumps(identity, sort_keys=True, separators=(",", ":"))


def plan(path, points, variants, seed=None, seeds=None, duration_s=None, engine=DEFAULT_ENGINE, allow_lor=False):
    """Every run of the sweep, variant-major, then point, then seed; the file and each point are validated
    here, before anything runs, with the scenario file's one-line errors."""
    _, text = tomlfile.read(path, "scenario")  # a missing file is the user's one-line error
    sha = hashlib.sha256(text.encode()).hexdigest()
    file_sections = scenario.parse(text, str(path))
    provenance = {"scenario": file_sections["scenario"]["name"], "scenario_path": str(path), "version": __version__,
                  "revision": revision()}
    tasks = []
    for v in variants:
        for labels, over in points:
            merged = _point_overrides(place_queues(file_sections, over), v, seed, duration_s)
            origins = {("run", "seed"): "--seed", ("run", "duration_s"): "--duration",
                       ("scenario", "variant"): "--variants",  # errors name the option a value came from
                       **{tuple(name.split(".", 1)): f"--set {name}={value!r}" for name, value in labels.items()}}
            if KERNEL_KEY in labels:  # a variant is a kernel's: say which kernel lacks it
                origins[("scenario", "kernel")] = f"--kernels {labels[KERNEL_KEY]}"
                origins[("scenario", "variant")] = f"--variants on kernel {labels[KERNEL_KEY]}"
            sections = scenario.parse(text, str(path), merged, origins)
            for s in seed_list(sections["run"]["seed"], seeds):
                run_over = {**merged, "run": {**merged.get("run", {}), "seed": s}}
                identity = {"scenario_sha256": sha, **labels, "variant": sections["scenario"]["variant"],
                            "queues": sections["hardware"]["queues"], "seed": s, "engine": engine,
                            "duration_s": sections["run"]["duration_s"], "warmup_s": sections["run"]["warmup_s"]}
                tasks.append(Task(text, str(path), labels, run_over, identity, provenance, allow_lor))
    return tasks


def run_point(task: Task) -> dict:
    """Run one task; its row: the point's keys, variant, queues, seed, the summary numbers, then the rest of
    its identity, its provenance and its run_key."""
    if revision() != task.provenance["revision"]:  # a dask worker with other code would give other numbers
        raise TcpsimError(f"--scheduler: a worker runs tcpsim revision {revision()}, this command "
                          f"{task.provenance['revision']}; allowed: the same code on every worker")
    model = scenario.build(scenario.parse(task.text, task.source, task.over), task.text, task.source)
    refuse(model, task.allow_lor)
    result, _ = run_model(model, task.identity["engine"])
    numbers = summary(result, model)
    row = {**task.labels, "variant": numbers.pop("variant"), "queues": numbers.pop("queues"), "seed": result["seed"],
           **numbers}
    row.update({k: task.identity[k] for k in IDENTITY if k not in row})
    row.update(task.provenance)
    row["run_key"] = run_key(task.identity)
    return row


def run_points(path, points, variants, seed=None, duration_s=None, engine=DEFAULT_ENGINE, jobs=1, allow_lor=False, *,
               seeds=None, scheduler=None, output=None, progress=None, across_revisions=False):
    """Run every variant at every point with every seed; points are (labels, overrides). Returns one row per
    run in plan order (variant-major). ``seeds``: None (one run, with ``seed`` or the scenario's), a count
    (``seed`` or the scenario's seed and the ones after it) or a list. ``output``: a results file
    (.parquet or .csv) that gets each run as soon as it finishes; runs it already holds are not run again, and
    the runs of other points of the same scenario it holds stay (a file grows by variants, points and seeds);
    ``across_revisions``: keep and reuse the runs of a file written by another code revision (else refused).
    ``progress``: called as progress(done, total) after each finished run (tcpsim.progress). ``scheduler``: the
    address of a dask.distributed scheduler to run on instead of ``jobs`` local processes."""
    tasks = plan(path, points, variants, seed, seeds, duration_s, engine, allow_lor)
    keys = [run_key(t.identity) for t in tasks]
    saved = ResultsFile(output, [t.row() for t in tasks], across_revisions) if output else None
    rows = dict(saved.rows) if saved else {}
    todo = [i for i, k in enumerate(keys) if k not in rows]
    if progress:
        progress(0, len(todo))
    for n, (i, row) in enumerate(run_all(run_point, [tasks[i] for i in todo], jobs, scheduler), 1):
        rows[keys[todo[i]]] = row
        if saved:
            saved.add(row)
        if progress:
            progress(n, len(todo))
    ordered = [rows[k] for k in keys]
    if saved:
        saved.finish(ordered)
    return ordered


def sweep(path, sets, variants=None, seed=None, duration_s=None, engine=DEFAULT_ENGINE, jobs=1, allow_lor=False,
          kernels=None, cores=None, **kw):
    """``sets``: [(section, key, values)] as parse_set returns; ``variants``: names, or None for the file's;
    ``kernels``: names to run every point on, ``cores``: core counts to run every point at (with_axes), or None
    for the file's. Keywords as run_points (seeds, scheduler, output, progress)."""
    points = grid(sets)
    if kernels or cores:
        sections = scenario.parse(tomlfile.read(path, "scenario")[1], str(path))
        points = with_axes(sections, points, kernels, cores)
    return run_points(path, points, variants or [None], seed, duration_s, engine, jobs, allow_lor, **kw)


def label_keys(rows) -> list[str]:
    """A point's keys among a row's columns: the --set keys, named SECTION.KEY (no other column has a dot), and
    the axes that are not scenario keys (cores)."""
    return [k for k in (rows[0] if rows else {}) if is_label(k)]


NUMBERS = ("goodput_cps", "offered_cps", "drops", "p99_ms", "irq_busy", "irq_interrupt", "irq_system", "que_task",
           "irq_spin", "app_spin", "accept_system", "worker_system", "top_wait_share", "cpu_user", "cpu_system",
           "cpu_interrupt", "cpu_idle")


def by_point(rows) -> list[dict]:
    """One row per point and variant over its seeds: each number's mean and, with two seeds or more, the
    half-width of its 95% confidence interval (``NAME_ci95``); the lock site that led most seeds, and in how
    many of them (``top_site_seeds``)."""
    labels = label_keys(rows)
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(json.dumps([r[k] for k in (*labels, "variant", "queues")]), []).append(r)
    points = []
    for runs in groups.values():
        first = runs[0]
        p = {k: first[k] for k in (*labels, "variant", "queues", "cpus")}
        p["seeds"] = [r["seed"] for r in runs]
        for k in NUMBERS:  # (a file written before a number existed has none for it: None, shown as -)
            p[k], p[f"{k}_ci95"] = mean_ci([r.get(k) for r in runs])
        p["top_site"], p["top_site_seeds"] = Counter(r["top_site"] for r in runs).most_common(1)[0]
        points.append(p)
    return points


def site_split(point: dict) -> str:
    """'top in k/n seeds' when the seeds of a point disagree on the lock site with the most waiting, else ''."""
    k, n = point["top_site_seeds"], len(point["seeds"])
    return "" if k == n else f"top in {k}/{n} seeds"


def cell(point: dict, key: str, fmt: str) -> str:
    """A number of by_point as text: the mean, and '± half-width' when several seeds gave an interval."""
    v = point.get(key)
    if v is None:
        return "-"
    if key == "top_site":  # the site, its share of all waiting, and whether the seeds agree on it
        share = point.get("top_wait_share")  # its mean only: the site itself may differ between seeds
        return f"{v} ({'; '.join(filter(None, [f'{share:.0%}' if share is not None else '', site_split(point)]))})"
    text = fmt.format(v)
    hw = point.get(f"{key}_ci95")
    return text if hw is None else f"{text} ± {fmt.format(hw)}"


# Every column a table of points can show: key -> (heading, format). A table is a choice of them (TABLE, and
# compare.TABLE); the point's --set keys come first.
COLUMNS = {"variant": ("variant", "{}"), "queues": ("queues", "{}"), "cpus": ("cpus", "{}"),
           "goodput_cps": ("conn/s", "{:,.0f}"), "drops": ("drops", "{:,.0f}"),
           "irq_busy": ("irq busy%", "{:.1f}"), "irq_interrupt": ("intr%", "{:.1f}"), "irq_system": ("sys%", "{:.1f}"),
           "que_task": ("que task%", "{:.1f}"), "irq_spin": ("irq spin%", "{:.1f}"), "app_spin": ("app spin%", "{:.1f}"),
           "accept_system": ("accept sys%", "{:.1f}"), "worker_system": ("workers sys%", "{:.1f}"),
           "top_site": ("top lock site by wait_total (share of all waiting)", "{}"),
           "cpu_user": ("usr%", "{:.1f}"), "cpu_system": ("sys%", "{:.1f}"), "cpu_interrupt": ("intr/si%", "{:.1f}"),
           "cpu_idle": ("idle%", "{:.1f}")}
TABLE = ("variant", "cpus", "goodput_cps", "drops", "irq_busy", "irq_interrupt", "irq_system", "que_task", "irq_spin",
         "app_spin", "accept_system", "worker_system", "top_site")
# across kernels: the machine's CPU split (interrupt: Linux's si) in place of FreeBSD's queue task
KERNELS_TABLE = ("variant", "cpus", "goodput_cps", "drops", "cpu_user", "cpu_system", "cpu_interrupt", "cpu_idle",
                 "irq_busy", "irq_spin", "app_spin", "accept_system", "worker_system", "top_site")
_LEFT = {"variant", "top_site", KERNEL_KEY}


def format_table(points: list[dict], columns=None) -> str:
    """by_point's rows as text: one line per point and variant, numbers as mean (± 95% CI half-width); the columns
    (besides the point's keys) TABLE, or KERNELS_TABLE when the points differ by kernel."""
    if columns is None:
        columns = KERNELS_TABLE if any(KERNEL_KEY in p for p in points) else TABLE
    cols = [(k, k, "{}") for k in label_keys(points)] + [(k, *COLUMNS[k]) for k in columns]
    cells = [[head for _k, head, _f in cols]]
    for p in points:
        cells.append([cell(p, k, fmt) for k, _h, fmt in cols])
    widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
    lines = ["  ".join(c.ljust(w) if k in _LEFT else c.rjust(w) for (k, _h, _f), c, w in zip(cols, row, widths)).rstrip()
             for row in cells]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _one_or_each(values: list, each: str) -> str:
    distinct = list(dict.fromkeys(values))
    return str(distinct[0]) if len(distinct) == 1 else each


def heading(rows: list[dict]) -> str:
    """What a table of ``rows`` is of, as ``run`` heads its output: code, scenario, engine, seeds and window."""
    return "  ".join(heading_parts(rows))


def heading_parts(rows: list[dict]) -> list[str]:
    """heading's parts: [code, scenario, engine, seeds, window]; a value the rows differ in is said to vary."""
    if not rows:
        return ["", "", "", "", ""]
    first = rows[0]
    seeds = sorted({r["seed"] for r in rows})
    window = _one_or_each([f"{r['duration_s']} s after {r['warmup_s']} s warm-up" for r in rows], "per point")
    path = first.get("scenario_path")
    return [
        f"tcpsim {_one_or_each([r.get('version') for r in rows], 'versions vary')} "
        f"({', '.join(dict.fromkeys(str(r.get('revision')) for r in rows))})",
        f"scenario {first.get('scenario', '?')}" + (f" ({path})" if path else ""),
        f"engine {_one_or_each([r['engine'] for r in rows], 'per point')}",
        f"seed{'s' * (len(seeds) > 1)} {', '.join(map(str, seeds))}", f"window {window}"]
