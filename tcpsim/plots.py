"""Figures from tcpsim's plain data, each returned as a matplotlib Figure (for notebooks) and saved by ``save``.

- ``scaling(rows)``: connections/s against receive-queue count, one line per variant, with the 95% confidence
  band over the seeds (rows of a sweep or comparison, e.g. ``results_file.read("results.parquet")``);
- ``cpu_bars(result)``: one run's CPUs as stacked user / system / interrupt / idle bars, as top -SHIPz splits them;
- ``lock_waits(result)``: one run's lock sites by wait_total, as LOCK_PROFILING sorts them.

matplotlib is optional (``pip install 'tcpsim[plot]'``) and drawn with the file-only Agg backend.
"""
from __future__ import annotations

from pathlib import Path

from .errors import TcpsimError
from .sweep import by_point, label_keys

FORMATS = (".png", ".svg", ".pdf")
CPU_SHARES = (("user", "#4477aa"), ("system", "#cc6677"), ("interrupt", "#ddcc77"), ("idle", "#dddddd"))


def pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise TcpsimError("plots need matplotlib; allowed: pip install 'tcpsim[plot]'") from None
    return plt


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
    plt = pyplot()
    others = [k for k in label_keys(rows) if not k.startswith("hardware.queue")]  # queues are the x axis
    lines: dict[str, list[dict]] = {}
    for p in by_point(rows):
        name = ", ".join([p["variant"], *(f"{k}={p[k]}" for k in others)])
        lines.setdefault(name, []).append(p)
    fig, ax = plt.subplots(figsize=(7, 4.5))
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
    """One bar per CPU of a run (``simulate``'s result), stacked user / system / interrupt / idle in %."""
    plt = pyplot()
    cpus = result["cpus"]
    fig, ax = plt.subplots(figsize=(max(5, 0.6 * len(cpus) + 2), 4))
    x = [c["cpu"] for c in cpus]
    bottom = [0.0] * len(cpus)
    for share, color in CPU_SHARES:
        values = [c[share] for c in cpus]
        ax.bar(x, values, bottom=bottom, color=color, label=share)
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_xticks(x, [f"CPU {c['cpu']}\n{c['label']}" if c["label"] else f"CPU {c['cpu']}" for c in cpus],
                  fontsize=7)
    ax.set_ylabel("% of the measured window")
    ax.set_ylim(0, 100)
    ax.set_title(f"{result['scenario']} ({result['variant']}): {result['goodput_cps']:,.0f} conn/s", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def lock_waits(result: dict, limit: int = 12):
    """The ``limit`` lock sites of a run with the most wait_total (µs), longest on top."""
    plt = pyplot()
    rows = sorted(result["lock_profile"], key=lambda r: -r["wait_total"])[:limit][::-1]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.5))
    ax.barh(range(len(rows)), [r["wait_total"] for r in rows], color="#cc6677")
    ax.set_yticks(range(len(rows)), [r["name"] for r in rows], fontsize=8)
    ax.set_xlabel("wait_total (µs)")
    ax.set_title(f"{result['scenario']} ({result['variant']}): lock waiting by site", fontsize=10)
    fig.tight_layout()
    return fig
