"""The text views of one run, in its kernel's words (``observe/words.py``): FreeBSD's ``top -SHIPz``, ``vmstat -i``,
LOCK_PROFILING and ``pmcstat -G``, or Linux's ``mpstat -P ALL``, ``top -H``, ``/proc/lock_stat`` and
``perf report -g``. ``tcpsim run`` prints them after the summary, ``tcpsim report`` puts them on its page.

The Linux views are computed from the same run as FreeBSD's: the CPU shares (interrupt time is softirq time),
the threads, the lock profile's nanosecond counters (per class instead of per site) and the sampled stacks.
"""
from __future__ import annotations

from .lockstat import format_lock_stat, lock_stat_rows, site_functions
from .mpstat import format_mpstat
from .perf import format_perf_report
from .procps import format_linux_top
from .results import (format_lock_view, format_profile_view, format_top_view, format_vmstat_view, no_samples)

__all__ = ["format_lock_stat_view", "format_mpstat_view", "format_perf_view", "format_linux_top_view",
           "lock_heading", "text_views"]


def format_mpstat_view(r: dict, w: dict) -> str:
    return "$ mpstat -P ALL   (measured window)\n" + format_mpstat(r["cpus"], w["release"], r["scenario"])


def format_linux_top_view(r: dict, w: dict, hidden=()) -> str:
    """top -H of the threads that are tasks: ``hidden`` names the model's threads that stand for a context
    Linux does not run as a task (softirq on the back of an interrupt: its time shows as si, on no thread)."""
    threads = [t for t in r["threads"] if t["name"] not in hidden]
    return "$ top -H -b -n 1   (1: every CPU; measured window)\n" + format_linux_top(
        r["cpus"], threads, r["warmup_s"] + r["duration_s"])


def format_lock_stat_view(engine, w: dict, limit: int | None = 12) -> str:
    """``/proc/lock_stat`` of the measured window: the first ``limit`` classes (None: all), saying how many more."""
    rows = lock_stat_rows(engine.lockprof.raw(), site_functions(engine.m.paths))
    shown = rows if limit is None else rows[:limit]
    more = (f"({len(rows) - len(shown)} more classes with fewer contentions: --lock-rows {len(rows)} shows all "
            f"{len(rows)})\n" if len(shown) < len(rows) else "")
    return ("$ cat /proc/lock_stat   (measured window; bounces and minimums are not measured: -)\n"
            + format_lock_stat(shown, w.get("lock_stat", "0.3")) + more).rstrip("\n")


def format_perf_view(engine, cpus, w: dict) -> str:
    """perf report's call graphs, one per profiled CPU (``perf record -C n -g``)."""
    event = w.get("perf_event", "cycles")
    period = int(engine.m.costs["pmc_sample_cycles"])
    out = []
    for cpu in cpus:
        samples = engine.samples[cpu]
        out.append(f"# perf record -C {cpu} -g -e {event} -c {period}; perf report --stdio --sort sym -g")
        out.append(format_perf_report(samples, period, event) if samples else no_samples([cpu]))
    return "\n".join(out)


def lock_heading(w: dict) -> str:
    """What the lock view is called in the kernel's words (the HTML page's heading)."""
    return "/proc/lock_stat" if w["views"] == "linux" else "LOCK_PROFILING"


def text_views(r: dict, engine, cpus, lock_rows: int | None, w: dict, pmc: bool = True) -> list[str]:
    """The views after the summary, in the kernel's words; ``pmc``: with the sampled call graphs."""
    if w["views"] == "linux":
        hidden = {th.name for th in engine.threads if th.kind in w.get("not_tasks", ())}
        views = [format_mpstat_view(r, w), format_linux_top_view(r, w, hidden),
                 format_lock_stat_view(engine, w, lock_rows)]
        return views + ([format_perf_view(engine, cpus, w)] if pmc else [])
    views = [format_top_view(r), format_vmstat_view(r), format_lock_view(r, lock_rows)]
    return views + ([format_profile_view(engine, cpus)] if pmc else [])
