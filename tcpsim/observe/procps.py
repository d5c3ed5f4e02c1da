"""Text in the layout of procps-ng ``top -H`` (threads) with every CPU on its own line (``1``), batch mode.

Layout of procps-ng 3.3.10 (``top/top.c``, ``top/top_nls.c``; CentOS/RHEL 7, a Linux 3.10 distribution, ship
3.3.10):

* ``top - HH:MM:SS up N min,  N users,  load average: L, L, L`` (``LOADAV_line``, ``sprint_uptime``); a simulated
  machine has no time of day: the clock shows the time since boot, the run's simulated length;
* ``Threads: %3u total, %3u running, %3u sleeping, %3u stopped, %3u zombie`` (``STATE_line_1_fmt``);
* per CPU ``%Cpu%-3d:`` then eight ``%#5.1f`` shares ``us, sy, ni, id, wa, hi, si, st`` (``STATE_lin2x7_fmt``):
  the model's interrupt time is ``si`` (softirq; the hard interrupt is folded into it unless a result splits an
  ``irq`` share out, shown as ``hi``);
* (the memory lines are left out: the model has no memory), a blank line, then the task header and one row per
  thread, busiest first: ``PID`` (5), ``USER`` (8, left), ``PR`` (3), ``NI`` (3), ``VIRT`` (7), ``RES`` (6), ``SHR``
  (6), ``S``, ``%CPU`` (5), ``%MEM`` (4), ``TIME+`` (9), ``COMMAND`` (left), as ``Fieldstab`` sizes them.

``PR`` is the thread's ``pri`` read as the kernel's ``prio`` (0-139; 120 is a nice-0 task): ``prio - 100`` as
``/proc/PID/stat``'s priority field gives it (20 at nice 0, negative for a real-time task), ``rt`` at -100 (real-time
priority 99). ``S``: ``R`` on a CPU or a run queue, ``D`` asleep on a sleeping lock
(a 3.10 mutex sleeps TASK_UNINTERRUPTIBLE), else ``S``. ``TIME+`` is ``M:SS.hh``.
"""
from __future__ import annotations

from .top import format_time

__all__ = ["HEADER", "format_cpu_line", "format_linux_top", "task_state"]

HEADER = "  PID USER      PR  NI    VIRT    RES    SHR S  %CPU %MEM     TIME+ COMMAND"
#: (label, the result's CPU share it shows; None: always 0.0), in STATE_lin2x7_fmt's order
CPU_FIELDS = (("us", "user"), ("sy", "system"), ("ni", "nice"), ("id", "idle"), ("wa", None), ("hi", "irq"),
              ("si", "interrupt"), ("st", None))


def format_cpu_line(cpu: dict) -> str:
    """``%Cpu0  :  0.0 us,  0.4 sy,  0.0 ni,  3.5 id,  0.0 wa,  0.0 hi, 96.1 si,  0.0 st``."""
    return "%%Cpu%-3d:" % cpu["cpu"] + ",".join("%5.1f %s" % (float(cpu.get(k, 0.0)) if k else 0.0, label)
                                               for label, k in CPU_FIELDS)


def task_state(state: str) -> str:
    """top's S column for the model's state (results.thread_states): R running or runnable, D on a lock, S else."""
    if state.startswith("CPU") or state == "RUN":
        return "R"
    return "D" if state.startswith("*") else "S"


def _uptime(seconds: float, load: float) -> str:
    secs = int(seconds)
    clock = "%02d:%02d:%02d" % (secs // 3600 % 24, secs // 60 % 60, secs % 60)
    hours, minutes = secs // 3600, secs // 60 % 60
    up = "%2d:%02d, " % (hours, minutes) if hours else "%d min, " % minutes
    return f"top - {clock} up {up} 0 users,  load average: {load:.2f}, {load:.2f}, {load:.2f}"


def format_linux_top(cpus: list[dict], threads: list[dict], uptime_s: float) -> str:
    """The header lines, the per-CPU lines, a blank line, the header and the threads with %CPU > 0 by %CPU
    descending (then command). ``threads``: the result's (``pid``, ``pri``, ``state``, ``time_s``, ``wcpu``,
    ``command``); the load average is the window's mean number of threads on a CPU, as FreeBSD's view counts it."""
    states = [task_state(t["state"]) for t in threads]
    load = sum(t["wcpu"] for t in threads) / 100
    lines = [_uptime(uptime_s, load),
             "Threads: %3d total, %3d running, %3d sleeping, %3d stopped, %3d zombie"
             % (len(threads), states.count("R"), len(states) - states.count("R"), 0, 0)]
    lines += [format_cpu_line(c) for c in sorted(cpus, key=lambda c: c["cpu"])]
    lines += ["", HEADER]
    for t in sorted((t for t in threads if t["wcpu"] > 0), key=lambda t: (-t["wcpu"], t["command"])):
        pr = t["pri"] - 100
        pr = "rt" if pr <= -100 else str(pr)
        lines.append("%5d %-8.8s %3s %3d %7d %6d %6d %s %5.1f %4.1f %9s %s" % (
            t["pid"], "root", pr, 0, 0, 0, 0, task_state(t["state"]), t["wcpu"], 0.0, format_time(t["time_s"]),
            t["command"]))
    return "\n".join(lines) + "\n"
