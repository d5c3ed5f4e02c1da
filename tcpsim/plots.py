"""Figures from tcpsim's plain data, each returned as a matplotlib Figure (for notebooks) and saved by ``save``.

- ``scaling(rows)``: connections/s against receive-queue count, one line per variant, with the 95% confidence
  band over the seeds (rows of a sweep or comparison, e.g. ``results_file.read("results.parquet")``);
- ``cpu_bars(result)``: one run's CPUs as stacked user / system / interrupt / idle bars, as top -SHIPz splits them,
  with the time spent spinning on locks hatched;
- ``latency_cdf(result)``: the distribution of one run's connection latencies;
- ``lock_waits(result)``: one run's lock sites by wait_total, as LOCK_PROFILING sorts them;
- ``time_series(result)``: one run's goodput, ring depths, accept queue and TIME-WAIT list over time;
- ``lock_scaling(points)``: the lock microbenchmark's speedup against threads, one line per lock class.

matplotlib is optional (``pip install 'tcpsim[plot]'``) and drawn with the file-only Agg backend (in a Jupyter
kernel, with the notebook's own backend, so that a returned Figure shows inline).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .errors import TcpsimError
from .observe.results import latency_ms
from .observe.top import CPU_SHARES
from .sweep import by_point, label_keys

FORMATS = (".png", ".svg", ".pdf")


def pyplot():
    try:
        import matplotlib
        if "ipykernel" not in sys.modules:  # in Jupyter keep the inline backend, or figures would not show
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise TcpsimError("plots need matplotlib; allowed: pip install 'tcpsim[plot]'") from None
    return plt


def subplots(**kw):
    """``pyplot.subplots(**kw)``, the figure detached from pyplot: a notebook then shows it once, as the cell's
    value, instead of a second time when the inline backend flushes pyplot's open figures."""
    plt = pyplot()
    fig, ax = plt.subplots(**kw)
    plt.close(fig)
    return fig, ax


def check_path(path, option: str = "-o") -> Path:
    """The image's path, if its suffix names a format we write and its directory exists (checked before
    anything runs)."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise TcpsimError(f"{option} {path}: unknown image format {path.suffix or '(no suffix)'!r}; "
                          f"allowed: {', '.join(FORMATS)}")
    if not path.parent.is_dir():  # found now, not after every run of a sensitivity analysis
        raise TcpsimError(f"{option} {path}: directory {str(path.parent)!r} does not exist; allowed: a file in an "
                          "existing directory")
    return path


def save(fig, path, option: str = "-o") -> None:
    """Write ``fig`` to ``path`` (PNG, SVG or PDF by its suffix) and release it."""
    plt = pyplot()
    try:
        fig.savefig(check_path(path, option))
    except (OSError, ValueError) as e:
        raise TcpsimError(f"{option} {path}: cannot write ({e})") from None
    finally:
        plt.close(fig)


# What the y axis of a sweep's chart can show (any number of sweep.NUMBERS), with its unit
Y_LABELS = {"goodput_cps": "connections/s completed", "offered_cps": "connections/s offered",
            "drops": "segments dropped in the window", "p99_ms": "p99 connection latency (ms)",
            "irq_busy": "interrupt CPUs busy (%)", "irq_interrupt": "interrupt CPUs in interrupt time (%)",
            "irq_system": "interrupt CPUs in system time (%)", "que_task": "queue tasks (% of a CPU)",
            "irq_spin": "interrupt CPUs spinning on locks (%)", "app_spin": "application CPUs spinning on locks (%)",
            "accept_system": "accept thread system time (% of a CPU)",
            "worker_system": "workers' system time (% of a CPU each)",
            "top_wait_share": "top lock site's share of waiting",
            "cpu_user": "user time (% of the machine)", "cpu_system": "system time (% of the machine)",
            "cpu_interrupt": "interrupt time, Linux's si (% of the machine)", "cpu_idle": "idle (% of the machine)"}
RATES = ("clients.rate", "offered_cps")  # x keys in connections/s: goodput against them has the y = x line
MEASURED_X = ("offered_cps",)  # an x that is measured, not swept: the mean over the point's seeds


def thousands(ax, axis: str = "y") -> None:
    """Tick labels as plain numbers with thousands separators (no '1e6' offset, no scientific notation)."""
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _pos: f"{v:,.0f}" if abs(v) >= 100 or v == int(v) else f"{v:,.2g}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _power_of_two_axis(ax, values) -> bool:
    """A log2 axis ticked at exactly ``values`` when they are powers of two spanning a factor of 4 or more (queue
    and CPU counts: 1, 2, 4, 8 evenly spaced), else leave the axis linear and say so (False)."""
    from matplotlib.ticker import FixedLocator, NullLocator

    xs = sorted(set(values))
    if not xs or any(v <= 0 or v != int(v) or int(v) & (int(v) - 1) for v in xs) or xs[-1] / xs[0] < 4:
        return False
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(xs))
    ax.xaxis.set_minor_locator(NullLocator())
    thousands(ax, "x")
    return True


def _x_label(key: str) -> str:
    from .scenario import SCHEMA

    if key == "queues":
        return "NIC receive queues"
    if key == "offered_cps":
        return "connections/s offered (measured in the window)"
    section, _, name = key.partition(".")
    spec = SCHEMA.get(section, {}).get(name)
    return f"{key} ({spec.help.split(';')[0].split(' (')[0]})" if spec else key  # the help's first clause


def sweep_keys(rows: list[dict]) -> dict:
    """The keys that tell the points of ``rows`` apart: {key: the distinct values it takes (as JSON)} for the
    swept (--set) keys, queues and variant; a chart puts one on x and draws a line per value of the others."""
    keys = [*label_keys(rows), "queues", "variant"]
    return {k: list(dict.fromkeys(json.dumps(r.get(k)) for r in rows)) for k in keys}


def _numeric(rows, key) -> bool:
    return all(isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool) for r in rows)


def choose_axes(rows: list[dict], x: str | None = None, series: str | None = None) -> tuple[str, list[str]]:
    """(x key, the keys whose combinations are the lines, ``series`` first). Default x: the first numeric swept
    key whose value varies (queue count when none does); default lines: every other key that varies."""
    keys = sweep_keys(rows)
    numeric = [k for k in keys if _numeric(rows, k)] + list(MEASURED_X)
    varies = [k for k, values in keys.items() if len(values) > 1]
    swept_x = next((k for k in varies if k in numeric), "queues")
    if x is None:
        x = swept_x
    elif x not in numeric:
        raise TcpsimError(f"--x {x}: not a numeric key of the results; allowed: {', '.join(numeric)}")
    # hardware.queues and the queues column are the same numbers, and a measured x (offered_cps) stands for the
    # swept key it follows: never a line per value of the x axis
    same_as_x = {x, "queues", "hardware.queues"} if x in ("queues", "hardware.queues") else {x}
    if x in MEASURED_X:
        same_as_x.add(swept_x)
    # the variant leads (colours) by default; the queues column repeats a swept hardware.queues
    others = sorted((k for k in varies if k not in same_as_x and not (k == "queues" and "hardware.queues" in keys)),
                    key=lambda k: k != "variant")
    if series is not None:
        if series not in keys or series in same_as_x:
            allowed = [k for k in keys if k not in same_as_x]
            raise TcpsimError(f"--series {series}: not a key of the results besides the x axis ({x}); allowed: "
                              f"{', '.join(allowed)}")
        others = [series] + [k for k in others if k != series]
    return x, others


def _subtitle(rows, seeds: int) -> str:
    from .sweep import heading_parts

    _code, _scenario, *rest = heading_parts(rows)
    band = f"mean of {seeds} seeds per point, band: 95% confidence interval" if seeds > 1 else "one seed per point"
    return ", ".join(rest) + f"\n{band}; {_code}"


def scaling(rows: list[dict], x: str | None = None, series: str | None = None, y: str = "goodput_cps"):
    """A sweep's or comparison's rows (a results file, or what sweep/compare return) as a chart: ``y`` against
    ``x``, a line per combination of the other keys that vary (colour by ``series``), the mean over seeds with
    a band for the 95% confidence interval where a point has two seeds or more. Defaults: see choose_axes.
    Powers of two (queue and CPU counts) get a log2 axis; a rate on x gets the line where completed = offered."""
    missing = {"variant", "queues", "seed", y} - set(rows[0] if rows else {})
    if missing:
        raise TcpsimError(f"results: no {', '.join(sorted(missing))} column; allowed: the rows of tcpsim sweep or "
                          "compare (-o RESULTS.parquet|.csv)")
    if y not in Y_LABELS:
        raise TcpsimError(f"--y {y}: not a number of the results; allowed: {', '.join(Y_LABELS)}")
    x, line_keys = choose_axes(rows, x, series)
    points = by_point(rows)
    lines: dict[tuple, list[dict]] = {}
    for p in points:
        lines.setdefault(tuple(json.dumps(p.get(k)) for k in line_keys), []).append(p)
    colours = list(dict.fromkeys(key[:1] for key in lines))  # one colour per value of the series key
    styles = list(dict.fromkeys(key[1:] for key in lines))  # and one line style per combination of the rest
    fig, ax = subplots(figsize=(8, 4.8))
    cycle = [c["color"] for c in pyplot().rcParams["axes.prop_cycle"]]
    markers, dashes = "osD^v<>p*h", ["-", "--", ":", "-."]
    for key, pts in lines.items():
        pts.sort(key=lambda p: p[x])
        xs, ys = [p[x] for p in pts], [p[y] for p in pts]
        ci, s = colours.index(key[:1]), styles.index(key[1:])
        label = ", ".join(f"{k}={json.loads(v)}" if k != "variant" else json.loads(v) for k, v in zip(line_keys, key))
        (line,) = ax.plot(xs, ys, marker=markers[s % len(markers)], linestyle=dashes[s % len(dashes)],
                          color=cycle[ci % len(cycle)], label=label or pts[0]["variant"], zorder=3)
        if any(p.get(f"{y}_ci95") is not None for p in pts):
            hw = [p.get(f"{y}_ci95") or 0.0 for p in pts]
            ax.fill_between(xs, [m - h for m, h in zip(ys, hw)], [m + h for m, h in zip(ys, hw)],
                            color=line.get_color(), alpha=0.2, linewidth=0, zorder=2)
    xvalues = [p[x] for p in points]
    log2 = _power_of_two_axis(ax, xvalues)
    if not log2:
        thousands(ax, "x")
    if x in RATES and y in ("goodput_cps", "offered_cps"):  # what a lossless server would do: the livelock's reference
        hi = max(xvalues)
        ax.plot([0, hi], [0, hi], color="#888888", linestyle=(0, (4, 3)), linewidth=1, label="completed = offered",
                zorder=1)
        ax.set_xlim(left=0)
    grew = _cpu_ticks(ax, points, x, log2)
    thousands(ax)
    ax.set_xlabel(_x_label(x) + ("\n(and the machine's CPUs: more where the application had to move off the "
                                 "interrupt CPUs)" if grew else ""))
    ax.set_ylabel(Y_LABELS[y])
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    seeds = max(len(p["seeds"]) for p in points)
    scenario = rows[0].get("scenario", "")
    against = {"queues": "receive queues", "offered_cps": "connections/s offered"}.get(x, x)
    fig.suptitle(f"{scenario + ': ' if scenario else ''}{Y_LABELS[y]} against {against}", fontsize=11)
    ax.set_title(_subtitle(rows, seeds), fontsize=8, color="#444444")
    handles = ax.get_legend_handles_labels()[0]
    if len(handles) > 5:  # beside the chart, not over the lines
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def _cpu_ticks(ax, points, x, log2) -> bool:
    """When the machine's CPU count changes with x (compare grows it to keep the application off the interrupt
    CPUs: 8 queues on 11 CPUs), each tick says how many CPUs that point ran on (and True)."""
    cpus: dict = {}
    for p in points:
        cpus.setdefault(p[x], set()).add(p.get("cpus"))
    if x in MEASURED_X or len({c for cs in cpus.values() for c in cs}) < 2 or any(len(cs) > 1 for cs in cpus.values()):
        return False
    from matplotlib.ticker import NullLocator

    xs = sorted(cpus)
    ax.set_xticks(xs, [f"{v:,}\n{next(iter(cpus[v]))} CPUs" for v in xs])
    if log2:
        ax.xaxis.set_minor_locator(NullLocator())
    return True


def _run_title(fig, result: dict, what: str) -> None:
    """A run's figure title: scenario, variant, engine, seed and window, as ``run`` heads its output."""
    fig.suptitle(f"{result['scenario']} ({result['variant']}): {what}\nengine {result['engine']}, seed {result['seed']}, "
                 f"window {result['duration_s']} s after {result['warmup_s']} s warm-up", fontsize=10)


def cpu_bars(result: dict):
    """One horizontal bar per CPU of a run (``simulate``'s result), stacked user / system / interrupt / idle in
    %, the lock spinning inside system and interrupt time hatched, and beside it every thread that ran there
    with its share (an unbound queue task on each CPU it visited)."""
    from .observe.results import threads_on

    cpus = result["cpus"]
    on = threads_on(result)
    fig, ax = subplots(figsize=(9, 0.42 * len(cpus) + 2.2))
    y = [c["cpu"] for c in cpus]
    left = [0.0] * len(cpus)
    for share, color in CPU_SHARES:
        values = [c[share] for c in cpus]
        ax.barh(y, values, left=left, color=color, label=share, height=0.7)
        left = [b + v for b, v in zip(left, values)]
    # spinning on locks is system or interrupt time: hatched over the start of that part of the bar
    ax.barh(y, [c.get("spin", 0.0) for c in cpus], left=[c["user"] for c in cpus], fill=False, hatch="///",
            edgecolor="#333333", linewidth=0, label="of which spinning on locks", height=0.7)
    ax.set_yticks(y, [f"CPU {c}" for c in y], fontsize=9)
    ax.invert_yaxis()  # CPU 0 on top, as top lists them
    for c in y:
        names = ", ".join(f"{name} {share:.0f}%" for name, share in on.get(c, [])) or "idle"
        ax.text(101.5, c, names, va="center", fontsize=8.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the measured window")
    ax.spines[["top", "right"]].set_visible(False)
    _run_title(fig, result, f"CPU time, {result['goodput_cps']:,.0f} conn/s; beside each bar: its threads")
    ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=5, frameon=False)
    fig.tight_layout()
    fig.subplots_adjust(right=0.7)  # room for the threads beside the bars
    return fig


def lock_waits(result: dict, limit: int = 12):
    """The ``limit`` lock sites of a run with the most wait_total, longest on top, in µs or ms (whichever keeps
    the numbers short) with thousands separators."""
    rows = sorted(result["lock_profile"], key=lambda r: -r["wait_total"])[:limit][::-1]
    waits = [r["wait_total"] for r in rows]  # µs, as LOCK_PROFILING counts them
    scale, unit = (1e3, "ms") if waits and max(waits) >= 10_000 else (1.0, "µs")
    fig, ax = subplots(figsize=(9, 0.32 * len(rows) + 1.9))
    ax.barh(range(len(rows)), [w / scale for w in waits], color="#cc6677")
    ax.set_yticks(range(len(rows)), [r["name"] for r in rows], fontsize=8)
    thousands(ax, "x")
    ax.set_xlabel(f"wait_total ({unit} waited for the lock at this site in the window, all CPUs)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", alpha=0.3)
    _run_title(fig, result, f"the {len(rows)} lock sites with the most waiting")
    fig.tight_layout()
    return fig


def rolling_mean(values: list[float], n: int) -> list[float]:
    """Each value replaced by the mean of it and the n-1 before it (fewer at the start): a 1 ms series read as
    its trend, without shifting it by more than the window."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= n:
            total -= values[i - n]
        out.append(total / min(i + 1, n))
    return out


SMOOTH_MS = 10.0  # the rolling mean of the time-series panels: long against 1 ms samples, short against a window


def time_series(result: dict):
    """A run's time series ([run] series_ms) as four panels sharing the time axis: connections/s completed and
    offered, each receive ring's depth, the accept queues' depth, the TIME-WAIT list; rates and rings as
    rolling means of SMOOTH_MS; every panel from zero (a flat list is drawn flat, not zoomed on its noise);
    the warm-up shaded and labelled."""
    s = result["series"]
    if not s["t_ms"]:
        raise TcpsimError("the run recorded no time series; allowed: [run] series_ms > 0")
    fig, axes = subplots(nrows=4, ncols=1, sharex=True, figsize=(9, 8))
    t = s["t_ms"]
    step = t[1] - t[0] if len(t) > 1 else t[0]
    n = max(1, min(round(SMOOTH_MS / step), len(t) // 10))
    smooth = f" ({n * step:g} ms rolling mean)" if n > 1 else ""
    axes[0].plot(t, rolling_mean(s["offered_cps"], n), label="offered", color="#999999", linestyle="--",
                 linewidth=1.2)
    axes[0].plot(t, rolling_mean(s["goodput_cps"], n), label="completed", color="#4477aa", linewidth=1.8, zorder=3)
    axes[0].set_ylabel("connections/s")
    rings = len(s["rx_ring"][0]) if s["rx_ring"] else 0
    cmap = pyplot().get_cmap("tab10")
    for q in range(rings):
        axes[1].plot(t, rolling_mean([depths[q] for depths in s["rx_ring"]], n), label=f"queue {q}",
                     color=cmap(q % 10), linestyle=["-", "--", ":", "-."][q % 4], linewidth=1.2)
    axes[1].set_ylabel("frames in\nrx ring")
    axes[2].plot(t, s["accept_queue"], color="#228833", label="accept queue")
    axes[2].set_ylabel("connections in\naccept queue")
    axes[3].plot(t, s["timewait"], color="#aa3377", label="TIME-WAIT list")
    axes[3].set_ylabel("connections in\nTIME-WAIT")
    axes[3].set_xlabel("simulated time (ms)")
    warm = result["warmup_s"] * 1e3
    for i, ax in enumerate(axes):
        if warm > 0:
            ax.axvspan(0, warm, color="#eeeeee", zorder=0, label="warm-up (not measured)" if i == 0 else None)
        ax.set_ylim(bottom=0, top=max(1.0, ax.get_ylim()[1] * 1.05))
        thousands(ax)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    axes[1].set_title(f"receive rings{smooth}", fontsize=8, loc="left")
    axes[0].set_title(f"connection rates{smooth}", fontsize=8, loc="left")
    _run_title(fig, result, f"over time, sampled every {step:g} ms")
    fig.tight_layout()
    return fig


def latency_cdf(result: dict):
    """The cumulative distribution of a run's connection latencies (connect to the final ACK), in ms."""
    cdf = result["latency_ms"]["cdf"]
    if not cdf:
        raise TcpsimError("the run completed no connection in its window; allowed: a longer --duration")
    fig, ax = subplots(figsize=(7, 4.5))
    ax.step(cdf, [q / 100 for q in range(len(cdf))], where="post")
    ax.set_xlabel("connection latency (ms)")
    ax.set_ylabel("fraction of connections")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    lat = result["latency_ms"]
    _run_title(fig, result, f"connection latency, p50 {latency_ms(lat['p50'])} ms, p99 {latency_ms(lat['p99'])} ms")
    fig.tight_layout()
    return fig


def lock_scaling(points: list[dict], subtitle: str = ""):
    """The lock microbenchmark's points (``lockbench.by_point``) as lock-scaling papers draw them: speedup over one
    thread against the number of threads (one per core), a line per lock class, the 95% band over the seeds
    where there are two or more, and the line of perfect scaling for reference."""
    if not points or {"class", "threads", "speedup"} - set(points[0]):
        raise TcpsimError("lock_scaling: expected the points of tcpsim.lockbench.by_point (class, threads, speedup)")
    fig, ax = subplots(figsize=(8, 4.8))
    cycle = [c["color"] for c in pyplot().rcParams["axes.prop_cycle"]]
    markers = "osD^v<>p*h"
    classes = list(dict.fromkeys(p["class"] for p in points))
    for i, cls in enumerate(classes):
        pts = sorted((p for p in points if p["class"] == cls and p["speedup"] is not None), key=lambda p: p["threads"])
        xs, ys = [p["threads"] for p in pts], [p["speedup"] for p in pts]
        (line,) = ax.plot(xs, ys, marker=markers[i % len(markers)], color=cycle[i % len(cycle)], label=cls, zorder=3)
        if any(p.get("speedup_ci95") is not None for p in pts):
            hw = [p.get("speedup_ci95") or 0.0 for p in pts]
            ax.fill_between(xs, [m - h for m, h in zip(ys, hw)], [m + h for m, h in zip(ys, hw)],
                            color=line.get_color(), alpha=0.2, linewidth=0, zorder=2)
    threads = sorted({p["threads"] for p in points})
    top = max((p["speedup"] or 0) + (p.get("speedup_ci95") or 0) for p in points)
    ax.plot([1, threads[-1]], [1, threads[-1]], color="#888888", linestyle=(0, (4, 3)), linewidth=1,
            label="perfect scaling", zorder=1)
    ax.set_ylim(0, max(1.0, top) * 1.15)  # the curves, not the reference line, set the scale
    ax.set_xlim(0, threads[-1] + 1)
    ax.set_xticks(threads)
    ax.set_xlabel("threads (one per core)")
    ax.set_ylabel("speedup over one thread (acquisitions/s)")
    ax.grid(alpha=0.3)
    fig.suptitle("Lock scaling: speedup against threads", fontsize=11)
    if subtitle:
        ax.set_title(subtitle, fontsize=7, color="#444444")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig
