"""Calibration: fit groups of costs to baseline measurements, write a new costs file and a residual report.

Objective: the sum over targets of (weight x (model - article) / article)^2 -- relative residuals, so a
connection rate and a CPU percentage count alike. Parameters: one multiplicative factor per group of costs
(``[[free]]`` in the targets file), searched from 1.0 within the file's bounds by SciPy's ``least_squares``
(trust-region reflective) with forward differences of 5% steps: a simulation's output is piecewise constant
at the scale of single events, so a large step sees the trend, not the jitter. Every
evaluation runs every target scenario with the same seed and windows, so the whole fit is deterministic.

Which target constrains which group is read off the final Jacobian: a target is listed under each group whose
factor moves its residual by at least a quarter of the largest effect any group has on it.
"""
from __future__ import annotations

import re
import textwrap
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path

from . import capacity, scenario, tomlfile
from .costs import default_costs_path, load_costs
from .errors import TcpsimError
from .observe.callgraph import leaf_share
from .observe.results import busy, threads_named
from .reproduce import PAPER_DIR
from .engines import DEFAULT_ENGINE
from .simulate import run_model

# The shipped files, found from the package (not the current directory): calibrate works from anywhere.
TARGETS = default_costs_path().with_name("targets_baseline.toml")
PRIOR = default_costs_path().with_name("freebsd10_prior.toml")
SETTINGS = {"seed": int, "warmup_s": float, "duration_s": float, "bounds": list, "max_evaluations": int,
            "tolerance": float}
OPTIONAL = {"load": ("closed", ("closed", "capacity"))}  # [calibration] keys with a default: (default, allowed)
TARGET_KEYS = {"name", "scenario", "metric", "value", "weight"}


def load_targets(path) -> dict:
    path = Path(path)
    data, _ = tomlfile.read(path, "targets file")
    unknown = set(data) - {"calibration", "target", "free"}
    if unknown:
        raise TcpsimError(f"{path}: [{sorted(unknown)[0]}]: unknown section; allowed: [calibration], [[target]], [[free]]")
    settings = data.get("calibration", {})
    for key, (default, allowed) in OPTIONAL.items():
        settings.setdefault(key, default)
        if settings[key] not in allowed:
            raise TcpsimError(f"{path}: [calibration] {key}: {settings[key]!r}; allowed: {', '.join(allowed)}")
    for key, value in settings.items():
        if key in OPTIONAL:
            continue
        if key not in SETTINGS:
            raise TcpsimError(f"{path}: [calibration] {key}: unknown key; allowed: {', '.join([*SETTINGS, *OPTIONAL])}")
        if not isinstance(value, SETTINGS[key]) and not (SETTINGS[key] is float and isinstance(value, int)):
            raise TcpsimError(f"{path}: [calibration] {key}: expected {SETTINGS[key].__name__}, got {value!r}")
    missing = set(SETTINGS) - set(settings)
    if missing:
        raise TcpsimError(f"{path}: [calibration] {sorted(missing)[0]}: missing; allowed: {', '.join(SETTINGS)}")
    targets = data.get("target", [])
    if not targets:
        raise TcpsimError(f"{path}: [[target]]: none given; allowed: at least one target")
    for i, t in enumerate(targets, 1):
        if set(t) != TARGET_KEYS:
            raise TcpsimError(f"{path}: [[target]] {i}: keys must be exactly {', '.join(sorted(TARGET_KEYS))}")
        metric(t["metric"], None, where=f"{path}: [[target]] {t['name']}")  # validates the metric name
    free = data.get("free", [])
    if not free:
        raise TcpsimError(f"{path}: [[free]]: none given; allowed: at least one group of costs")
    for g in free:
        if set(g) != {"name", "costs"} or not g["costs"]:
            raise TcpsimError(f"{path}: [[free]] {g.get('name', '?')}: needs name and a non-empty costs list")
    return {"settings": settings, "targets": targets, "free": free, "path": str(path)}


METRICS = ("goodput_cps", "irq_busy", "wlock_share", "thread_system:", "thread_user:")


def metric(name: str, run, where: str = ""):
    """The value of a metric in a finished run (``run`` = (result, engine)); with run None, validate only."""
    kind, _, arg = name.partition(":")
    if not (name in METRICS or (kind + ":" in METRICS and arg)):
        raise TcpsimError(f"{where}: metric {name!r}; allowed: goodput_cps, irq_busy, wlock_share, "
                          "thread_system:PREFIX, thread_user:PREFIX")
    if run is None:
        return None
    r, eng = run
    qcpus = eng.m.hardware.queue_cpus
    if name == "goodput_cps":
        return r["goodput_cps"]
    if name == "irq_busy":
        return sum(busy(r, qcpus)) / len(qcpus)
    if name == "wlock_share":
        return sum(100.0 * leaf_share(eng.samples[c], "__rw_wlock_hard") for c in qcpus) / len(qcpus)
    threads = threads_named(r, arg)
    if not threads:
        raise TcpsimError(f"{where}: metric {name!r}: no thread's command starts with {arg!r}")
    return sum(t["system" if kind == "thread_system" else "user"] for t in threads) / len(threads)


def _scenario_path(name: str, targets_path) -> Path:
    """A target's scenario: a .toml path (relative to the targets file's folder, so that the file means the same
    from any directory) or a name under scenarios/paper/."""
    if name.endswith(".toml"):
        return Path(targets_path).resolve().parent / name
    return PAPER_DIR / f"{name}.toml"


def _evaluate(args):
    """Run one scenario with the given costs -- as it is, or (load "capacity") at its capacity, searched from
    ``start`` -- and return its value for each requested metric."""
    scen, costs, settings, metrics, engine, start = args
    if settings["load"] == "capacity":
        window = {"run": {"warmup_s": settings["warmup_s"], "duration_s": settings["duration_s"]}}
        cap = capacity.search(scen, (settings["seed"],), engine=engine, start=start, given=window, costs=costs)
        if cap.result is None:
            raise TcpsimError(f"{scen}: no offered rate met the capacity rule with costs {costs}")
        run = (cap.result, cap.engine_run)
    else:
        over = {"run": {"seed": settings["seed"], "warmup_s": settings["warmup_s"],
                        "duration_s": settings["duration_s"]}}
        model = scenario.load(scen, over)
        model.costs.update(costs)
        run = run_model(model, engine)
    return [metric(m, run) for m in metrics]


class Fit:
    """The objective: target values for a set of factors, each set simulated once (least_squares asks for its
    starting point twice over, and the report wants the values before and after)."""

    def __init__(self, spec: dict, prior: dict, pool=None, progress=None, engine=DEFAULT_ENGINE):
        self.spec, self.prior, self.pool, self.progress, self.engine = spec, prior, pool, progress, engine
        for g in spec["free"]:
            for c in g["costs"]:
                if c not in prior:
                    raise TcpsimError(f"{spec['path']}: [[free]] {g['name']}: {c!r} is not in the costs file")
        self.scenarios = sorted({t["scenario"] for t in spec["targets"]})
        self.paths = {s: _scenario_path(s, spec["path"]) for s in self.scenarios}
        for t in spec["targets"]:
            if not self.paths[t["scenario"]].is_file():
                raise TcpsimError(f"{spec['path']}: [[target]] {t['name']}: scenario {t['scenario']!r}: no file "
                                  f"{self.paths[t['scenario']]}; allowed: a .toml path (relative to the targets "
                                  f"file) or a name under {PAPER_DIR}")
        self.seen: dict[tuple, list[float]] = {}
        # where a capacity search starts: the scenario's goodput target if it has one (near the answer, and the
        # same for every evaluation, so an evaluation's value depends on its costs alone)
        self.start = {s: next((float(t["value"]) for t in spec["targets"] if t["scenario"] == s and
                               t["metric"] == "goodput_cps"), 10_000.0) for s in self.scenarios}

    def costs(self, factors) -> dict:
        out = dict(self.prior)
        for g, f in zip(self.spec["free"], factors):
            for c in g["costs"]:
                out[c] = round(self.prior[c] * f)
        return out

    @property
    def evaluations(self) -> int:
        return len(self.seen)

    def values(self, factors) -> list[float]:
        key = tuple(float(f) for f in factors)
        if key not in self.seen:
            costs = self.costs(key)
            tasks = [(self.paths[s], costs, self.spec["settings"],
                      [t["metric"] for t in self.spec["targets"] if t["scenario"] == s], self.engine, self.start[s])
                     for s in self.scenarios]
            results = list(self.pool.map(_evaluate, tasks)) if self.pool else [_evaluate(t) for t in tasks]
            by_scenario = {s: iter(v) for s, v in zip(self.scenarios, results)}
            self.seen[key] = [next(by_scenario[t["scenario"]]) for t in self.spec["targets"]]
            if self.progress:  # runs so far; the total is unknown: the fit stops when it converges
                self.progress(len(self.seen) * len(self.scenarios), None)
        return self.seen[key]

    def residuals(self, factors):
        vals = self.values(factors)
        return [t["weight"] * (v - t["value"]) / t["value"] for t, v in zip(self.spec["targets"], vals)]


def calibrate(targets_path=TARGETS, costs_path=PRIOR, jobs: int = 1, progress=None, engine=DEFAULT_ENGINE) -> dict:
    """``progress``: called as progress(runs done, None) after each evaluation (see tcpsim.progress)."""
    try:
        from scipy.optimize import least_squares
    except ImportError:
        raise TcpsimError("calibrate needs SciPy; allowed: pip install 'tcpsim[calibrate]'") from None
    spec = load_targets(targets_path)
    prior, _notes, _sections = load_costs(costs_path)
    lo, hi = spec["settings"]["bounds"]
    n = len(spec["free"])
    tol = spec["settings"]["tolerance"]
    # one process pool for the whole fit (not one per evaluation)
    with (ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else nullcontext()) as pool:
        fit = Fit(spec, prior, pool, progress, engine)
        before = fit.values([1.0] * n)
        sol = least_squares(fit.residuals, [1.0] * n, bounds=([lo] * n, [hi] * n), diff_step=0.05,
                            ftol=tol, xtol=tol, gtol=tol, max_nfev=spec["settings"]["max_evaluations"])
        factors = [float(x) for x in sol.x]
        after = fit.values(factors)
    constrained = {}
    for i, t in enumerate(spec["targets"]):
        row = [abs(sol.jac[i][j]) for j in range(n)]
        top = max(row) if row else 0.0
        constrained[t["name"]] = [spec["free"][j]["name"] for j in range(n) if top and row[j] >= 0.25 * top]
    return {
        "targets": [{**t, "before": b, "after": a, "residual": (a - t["value"]) / t["value"]}
                    for t, b, a in zip(spec["targets"], before, after)],
        "factors": {g["name"]: f for g, f in zip(spec["free"], factors)},
        "constrained_by": constrained,
        "cost": float(sol.cost), "evaluations": fit.evaluations, "status": sol.message,
        "costs": fit.costs(factors), "prior_path": str(costs_path), "targets_path": spec["path"],
        "groups": {g["name"]: g["costs"] for g in spec["free"]},
        "windows": {"fit": {k: spec["settings"][k] for k in ("seed", "warmup_s", "duration_s")},
                    "own": {s: _own_window(p) for s, p in fit.paths.items()}},
    }


def _own_window(path) -> dict:
    """The window a scenario runs with on its own (as ``reproduce`` and ``run`` run it)."""
    run = scenario.parse(Path(path).read_text(), str(path))["run"]
    return {k: run[k] for k in ("seed", "warmup_s", "duration_s")}


# How a metric of the fit is averaged where reproduce's row for the same figure reads one CPU or one thread.
_THREADS = ("thread_system/thread_user are means over every thread the prefix names (reproduce's Fig. 2 rows "
            "read the first one: the same where there is one)")
METRIC_NOTES = {
    "irq_busy": "irq_busy is the mean over the interrupt CPUs (reproduce's Fig. 2/3 busy rows: CPU 0, or the "
                "least busy)",
    "wlock_share": "wlock_share is the mean over the interrupt CPUs' samples (reproduce's Fig. 4 row: the first "
                   "interrupt CPU's)",
    "thread_system": _THREADS, "thread_user": _THREADS,
}


def differences(result: dict) -> list[str]:
    """Why the fit's 'after' column is not what ``tcpsim reproduce`` prints for the same figure."""
    fit = result["windows"]["fit"]
    out = []
    own = {s: w for s, w in result["windows"]["own"].items() if w != fit}
    if own:
        out.append(f"every fit run: seed {fit['seed']}, {fit['warmup_s']:g} s warm-up, {fit['duration_s']:g} s "
                   "window (the targets file's [calibration]); reproduce runs each scenario with its own: "
                   + "; ".join(f"{s} seed {w['seed']}, {w['warmup_s']:g} s + {w['duration_s']:g} s"
                               for s, w in own.items())
                   + "; a shorter window counts fewer events, so its values carry more noise")
    kinds = sorted({t["metric"].partition(":")[0] for t in result["targets"]})
    return out + list(dict.fromkeys(METRIC_NOTES[k] for k in kinds if k in METRIC_NOTES))


LINE = re.compile(r'^(?P<name>[a-z_0-9]+) = \{ ns = (?P<ns>[0-9.]+), note = "(?P<note>[^"]*)" \}$')


def write_costs(result: dict, out_path, command: str) -> None:
    """The prior file with each fitted cost replaced and its note extended; a header says how it was made."""
    group_of = {c: g for g, cs in result["groups"].items() for c in cs}
    lines = Path(result["prior_path"]).read_text().splitlines()
    while lines and lines[0].startswith("#"):  # the prior's own header describes the prior
        lines.pop(0)
    out = [f"# GENERATED by: {command}",
           "# tcpsim costs, every per-step CPU cost and hardware constant with its provenance, used by every",
           f"# scenario: {Path(result['prior_path']).name} (hand-set from the article's baseline Figures 2-5) with the",
           f"# cost groups of {Path(result['targets_path']).name} scaled to fit those baseline figures only.",
           "# Do not edit by hand: edit the prior or the targets and run the command again.",
           "# Factors: " + ", ".join(f"{g} x{f:.3f}" for g, f in result["factors"].items()),
           f"# {REPORT_HEAD}"] + [f"#   {line}".rstrip() for line in format_fit(result).splitlines()]
    for line in lines:
        m = LINE.match(line)
        if m and m["name"] in group_of:
            g = group_of[m["name"]]
            note = f"{m['note']}; calibrated: {g} x{result['factors'][g]:.3f}"
            line = f'{m["name"]} = {{ ns = {result["costs"][m["name"]]}, note = "{note}" }}'
        out.append(line)
    try:
        Path(out_path).write_text("\n".join(out) + "\n")
    except OSError as e:
        raise TcpsimError(f"--out {out_path}: cannot write ({e.strerror})") from None


REPORT_HEAD = "The fit that made it (tcpsim calibrate's report, its notes aside):"


def fit_report(costs_path) -> str:
    """The fit's report as a generated costs file keeps it in its header ('' for a file without one)."""
    lines = Path(costs_path).read_text().splitlines()
    if f"# {REPORT_HEAD}" not in lines:
        return ""
    out = []
    for line in lines[lines.index(f"# {REPORT_HEAD}") + 1:]:
        if not line.startswith("#"):
            break
        out.append(line[4:] if line.startswith("#   ") else "")
    return "\n".join(out)


def format_fit(result: dict) -> str:
    """The fit: evaluations and cost, the factors, each target before and after."""
    lines = [f"calibration: {result['evaluations']} evaluations, cost {result['cost']:.6f} ({result['status']})",
             "", "factors:"]
    lines += [f"  {g:<26} x{f:.3f}" for g, f in result["factors"].items()]
    lines += ["", f"  {'target':<22} {'article':>10} {'before':>10} {'after':>10} {'residual':>9}  constrained by"]
    for t in result["targets"]:
        lines.append(f"  {t['name']:<22} {t['value']:>10,.1f} {t['before']:>10,.1f} {t['after']:>10,.1f} "
                     f"{100 * t['residual']:>+8.1f}%  {', '.join(result['constrained_by'][t['name']]) or '-'}")
    return "\n".join(lines)


def format_report(result: dict) -> str:
    lines = [format_fit(result)]
    notes = differences(result)
    if notes:
        lines += ["", "why 'after' is not what `tcpsim reproduce` prints for the same figure:"]
        lines += [textwrap.fill(n, 110, initial_indent="  - ", subsequent_indent="    ") for n in notes]
    return "\n".join(lines)
