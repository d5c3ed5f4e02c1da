"""Figures from tcpsim's plain data, each returned as a matplotlib Figure (for notebooks) and saved by ``save``.

- ``scaling(rows)``: connections/s against receive-queue count, one line per variant, with the 95% confidence
  band over the seeds (rows of a sweep or comparison, e.g. ``results_file.read("results.parquet")``);
- ``cpu_bars(result)``: one run's CPUs as stacked user / system / interrupt / idle bars, as top -SHIPz splits them,
  with the time spent spinning on locks hatched;
- ``latency_cdf(result)``: the distribution of one run's connection latencies;
- ``lock_waits(result)``: one run's lock sites by wait_total, as LOCK_PROFILING sorts them;
- ``time_series(result)``: one run's goodput, ring depths, accept queue and TIME-WAIT list over time.

matplotlib is optional (``pip install 'tcpsim[plot]'``) and drawn with the file-only Agg backend (in a Jupyter
kernel, with the notebook's own backend, so that a returned Figure shows inline).
"""
from __future__ import annotations

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


def scaling(rows: list[dict]):
    """Connections/s against queue count: a line per variant (and per value of any other swept key), the mean
    over seeds, with a band for the 95% confidence interval where a point has two seeds or more."""
    missing = {"variant", "queues", "goodput_cps", "seed"} - set(rows[0] if rows else {})
    if missing:
        raise TcpsimError(f"results: no {', '.join(sorted(missing))} column; allowed: the rows of tcpsim sweep or "
                          "compare (-o RESULTS.parquet|.csv)")
    others = [k for k in label_keys(rows) if not k.startswith("hardware.queue")]  # queues are the x axis
    lines: dict[str, list[dict]] = {}
    for p in by_point(rows):
        name = ", ".join([p["variant"], *(f"{k}={p[k]}" for k in others)])
        lines.setdefault(name, []).append(p)
    fig, ax = subplots(figsize=(7, 4.5))
    for name, points in lines.items():
        points.sort(key=lambda p: p["queues"])
        x = [p["queues"] for p in points]
        y = [p["goodput_cps"] for p in points]
        (line,) = ax.plot(x, y, marker="o", label=name)
        if any(p["goodput_cps_ci95"] is not None for p in points):
            hw = [p["goodput_cps_ci95"] or 0.0 for p in points]
            ax.fill_between(x, [m - h for m, h in zip(y, hw)], [m + h for m, h in zip(y, hw)],
                            color=line.get_color(), alpha=0.2, linewidth=0)
    seeds = max(len(p["seeds"]) for ps in lines.values() for p in ps)
    ax.set_xlabel("NIC receive queues")
    ax.set_xticks(sorted({p["queues"] for ps in lines.values() for p in ps}))
    ax.set_ylabel("connections/s")
    ax.set_ylim(bottom=0)
    ax.set_title(f"mean of {seeds} seeds, band: 95% confidence interval" if seeds > 1 else "one seed per point",
                 fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def cpu_bars(result: dict):
    """One bar per CPU of a run (``simulate``'s result), stacked user / system / interrupt / idle in %, the lock
    spinning inside system and interrupt time hatched."""
    cpus = result["cpus"]
    fig, ax = subplots(figsize=(max(5, 0.6 * len(cpus) + 2), 4))
    x = [c["cpu"] for c in cpus]
    bottom = [0.0] * len(cpus)
    for share, color in CPU_SHARES:
        values = [c[share] for c in cpus]
        ax.bar(x, values, bottom=bottom, color=color, label=share)
        bottom = [b + v for b, v in zip(bottom, values)]
    # spinning on locks is system or interrupt time: hatched over the bottom of that part of the bar
    ax.bar(x, [c.get("spin", 0.0) for c in cpus], bottom=[c["user"] for c in cpus], fill=False, hatch="///",
           edgecolor="#333333", linewidth=0, label="of which spin")
    ax.set_xticks(x, [f"CPU {c['cpu']}\n{c['label']}" if c["label"] else f"CPU {c['cpu']}" for c in cpus],
                  fontsize=7)
    ax.set_ylabel("% of the measured window")
    ax.set_ylim(0, 100)
    ax.set_title(f"{result['scenario']} ({result['variant']}): {result['goodput_cps']:,.0f} conn/s", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # beside the bars, not over them
    fig.tight_layout()
    return fig


def lock_waits(result: dict, limit: int = 12):
    """The ``limit`` lock sites of a run with the most wait_total (µs), longest on top."""
    rows = sorted(result["lock_profile"], key=lambda r: -r["wait_total"])[:limit][::-1]
    fig, ax = subplots(figsize=(8, 0.35 * len(rows) + 1.5))
    ax.barh(range(len(rows)), [r["wait_total"] for r in rows], color="#cc6677")
    ax.set_yticks(range(len(rows)), [r["name"] for r in rows], fontsize=8)
    ax.set_xlabel("wait_total (µs)")
    ax.set_title(f"{result['scenario']} ({result['variant']}): lock waiting by site", fontsize=10)
    fig.tight_layout()
    return fig


def time_series(result: dict):
    """A run's time series ([run] series_ms) as four panels sharing the time axis: connections/s completed and
    offered, each receive ring's depth, the accept queues' depth, the TIME-WAIT list; the warm-up is shaded."""
    s = result["series"]
    if not s["t_ms"]:
        raise TcpsimError("the run recorded no time series; allowed: [run] series_ms > 0")
    fig, axes = subplots(nrows=4, ncols=1, sharex=True, figsize=(8, 7))
    t = s["t_ms"]
    axes[0].plot(t, s["goodput_cps"], label="completed")
    axes[0].plot(t, s["offered_cps"], label="offered", alpha=0.6)
    axes[0].set_ylabel("conn/s")
    axes[0].legend(fontsize=7)
    for q in range(len(s["rx_ring"][0])):
        axes[1].plot(t, [depths[q] for depths in s["rx_ring"]], label=f"queue {q}", linewidth=0.8)
    axes[1].set_ylabel("rx ring")
    axes[1].legend(fontsize=7, ncol=4)
    axes[2].plot(t, s["accept_queue"])
    axes[2].set_ylabel("accept queue")
    axes[3].plot(t, s["timewait"])
    axes[3].set_ylabel("TIME-WAIT")
    axes[3].set_xlabel("simulated ms")
    for ax in axes:
        ax.axvspan(0, result["warmup_s"] * 1e3, color="#eeeeee", zorder=0)
        ax.ticklabel_format(axis="y", style="plain", useOffset=False)  # a full TIME-WAIT list reads 27767
    axes[0].set_title(f"{result['scenario']} ({result['variant']}) over time, every {t[0]:g} ms", fontsize=10)
    fig.tight_layout()
    return fig


def latency_cdf(result: dict):
    """The cumulative distribution of a run's connection latencies (connect to the final ACK), in ms."""
    cdf = result["latency_ms"]["cdf"]
    if not cdf:
        raise TcpsimError("the run completed no connection in its window; allowed: a longer --duration")
    fig, ax = subplots(figsize=(6, 4))
    ax.step(cdf, [q / 100 for q in range(len(cdf))], where="post")
    ax.set_xlabel("connection latency (ms)")
    ax.set_ylabel("fraction of connections")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.set_title(f"{result['scenario']} ({result['variant']}): p50 {latency_ms(result['latency_ms']['p50'])} ms, "
                 f"p99 {latency_ms(result['latency_ms']['p99'])} ms", fontsize=10)
    fig.tight_layout()
    return fig
