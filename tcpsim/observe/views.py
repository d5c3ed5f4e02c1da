"""The text views of one run, in its kernel's words (``observe/words.py``): FreeBSD's ``top -SHIPz``, ``vmstat -i``,
LOCK_PROFILING and ``pmcstat -G``, or Linux's ``mpstat -P ALL``, ``top -H``, ``/proc/interrupts``,
``/proc/lock_stat`` and ``perf report -g``. ``tcpsim run`` prints them after the summary, ``tcpsim report`` puts
them on its page.

The Linux views are computed from the same run as FreeBSD's: the CPU shares (interrupt time is softirq time),
the threads, the lock profile's nanosecond counters (per class instead of per site) and the sampled stacks.
"""
from __future__ import annotations

from .interrupts import format_interrupts
from .lockstat import format_lock_stat, lock_stat_rows, site_functions
from .mpstat import format_mpstat
from .perf import format_perf_report
from .procps import format_linux_top
from .results import (format_lock_view, format_profile_view, format_top_view, format_vmstat_view, no_samples)

__all__ = ["format_lock_stat_view", "format_mpstat_view", "format_perf_view", "format_linux_top_view", "sections",
           "text_views"]


def format_mpstat_view(r: dict, w: dict) -> str:
    return "$ mpstat -P ALL   (measured window)\n" + format_mpstat(r["cpus"], w["release"], r["scenario"]).rstrip("\n")


def format_linux_top_view(r: dict, w: dict, hidden=()) -> str:
    """top -H of the threads that are tasks: ``hidden`` names the model's threads that stand for a context
    Linux does not run as a task (softirq on the back of an interrupt: its time shows as si, on no thread)."""
    threads = [t for t in r["threads"] if t["name"] not in hidden]
    return "$ top -H -b -n 1   (1: every CPU; measured window)\n" + format_linux_top(
        r["cpus"], threads, r["warmup_s"] + r["duration_s"]).rstrip("\n")


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


def sections(r: dict, engine, cpus, lock_rows: int | None, w: dict, pmc: bool = True) -> dict[str, tuple[str, str]]:
    """The views after the summary in the kernel's words, each as (heading, text), keyed ``cpus``, ``interrupts``
    (FreeBSD's vmstat -i), ``locks`` and ``profile`` (the sampled call graphs; left out without ``pmc``); the
    profile's heading is the sampling tool's name."""
    if w["views"] == "linux":
        hidden = {th.name for th in engine.threads if th.kind in w.get("not_tasks", ())}
        hw = engine.m.hardware
        out = {"cpus": ("CPUs (mpstat -P ALL, top -H)",
                        format_mpstat_view(r, w) + "\n\n" + format_linux_top_view(r, w, hidden)),
               "interrupts": ("Interrupts (/proc/interrupts)", "$ cat /proc/interrupts   (measured window; the NIC's "
                              "vectors)\n" + format_interrupts(r["interrupts"], hw.queue_cpus, hw.cpus).rstrip("\n")),
               "locks": ("Lock statistics (/proc/lock_stat)", format_lock_stat_view(engine, w, lock_rows))}
        if pmc:
            out["profile"] = ("perf", format_perf_view(engine, cpus, w))
        return out
    out = {"cpus": ("CPUs (top -SHIPz)", format_top_view(r)),
           "interrupts": ("Interrupts (vmstat -i)", format_vmstat_view(r)),
           "locks": ("Lock profile (LOCK_PROFILING)", format_lock_view(r, lock_rows))}
    if pmc:
        out["profile"] = ("pmcstat", format_profile_view(engine, cpus))
    return out


def text_views(r: dict, engine, cpus, lock_rows: int | None, w: dict, pmc: bool = True) -> list[str]:
    """The texts of sections(), in order: what ``tcpsim run`` prints after the summary."""
    return [text for _heading, text in sections(r, engine, cpus, lock_rows, w, pmc).values()]
