"""Text in the layout of FreeBSD ``top -SHIPz`` (system processes, threads, per-CPU lines, no idle threads).

The header lines (``last pid``, load averages, uptime; the count of threads by state), the per-CPU state lines
and the thread table are produced; the caller supplies the numbers.

CPU lines follow ``top/display.c``: each state as ``%4.1f%% name`` joined by ``", "``, a value that rounds to
100.0 printed as ``%4.0f%%`` (``100%``).  Thread rows follow ``top/machine.c``'s SMP thread format::

    "%5d %-10.10s %3d %4s%7s %6s %-6.6s %2d%7s %6.2f%% %s"

which lines up with the header ``  PID USERNAME   PRI NICE   SIZE    RES STATE   C   TIME    WCPU COMMAND``,
except that one extra blank separates C from TIME (see ``_THREAD_FMT``), because TIME carries hundredths.
"""
from __future__ import annotations

__all__ = ["CPU_SHARES", "CPU_STATES", "THREAD_HEADER", "format_cpu_line", "format_header", "format_time",
           "format_thread", "format_top"]

#: CPU state keys in printed order.
CPU_STATES = ("user", "nice", "system", "interrupt", "idle")

#: The states a CPU's time is drawn in (nice is never used here), each with its colour: one palette for the
#: notebook summary (observe/result.py) and the figures (plots.py).
CPU_SHARES = (("user", "#4477aa"), ("system", "#cc6677"), ("interrupt", "#ddcc77"), ("idle", "#dddddd"))

THREAD_HEADER = "  PID USERNAME   PRI NICE   SIZE    RES STATE   C   TIME    WCPU COMMAND"

# FreeBSD prints C and TIME as "%2d%7s", relying on its TIME ("%3ld:%02ld") leaving a leading blank; the
# hundredths of M:SS.hh fill all 7 characters, so a blank separates the two here (TIME, WCPU and COMMAND sit
# one column right of the header).
_THREAD_FMT = "%5d %-10.10s %3d %4s%7s %6s %-6.6s %2d %7s %6.2f%% %s"


def _procstate(state: str) -> str:
    """The procstates bucket top counts a thread's STATE in (machine.c: running, sleeping, waiting, lock)."""
    if state.startswith("CPU") or state == "RUN":
        return "running"
    if state.startswith("*"):
        return "lock"
    return "waiting" if state == "WAIT" else "sleeping"


def format_header(last_pid: int, load: float, uptime_s: float, states: list[str]) -> str:
    """top's first two lines, e.g.::

        last pid:  1003;  load averages:  6.02,  6.02,  6.02  up 0+00:00:00
        12 threads:    7 running, 3 sleeping, 2 waiting

    (``threads``, not ``processes``, because -H lists threads, as FreeBSD's top then says.)"""
    secs = int(uptime_s)
    up = "up %d+%02d:%02d:%02d" % (secs // 86400, secs // 3600 % 24, secs // 60 % 60, secs % 60)
    counts = {}
    for state in states:
        counts[_procstate(state)] = counts.get(_procstate(state), 0) + 1
    parts = ", ".join(f"{counts[k]} {k}" for k in ("running", "sleeping", "waiting", "lock") if counts.get(k))
    return (f"last pid: {last_pid:5d};  load averages: {load:5.2f}, {load:5.2f}, {load:5.2f}  {up}\n"
            f"{len(states)} threads:   {parts}\n")


def _pct(value: float) -> str:
    tenths = round(float(value) * 10)  # top works in integer tenths of a percent
    if tenths >= 1000:
        return "%4.0f%%" % (tenths / 10.0)
    return "%4.1f%%" % (tenths / 10.0)


def format_cpu_line(cpu: dict, width: int = 1) -> str:
    """``CPU 0:  0.0% user,  0.0% nice,  0.4% system, 96.1% interrupt,  3.5% idle [irq core]``.

    ``width`` is the field width of the CPU number (digits of the highest CPU index).
    Missing states count as 0.0.
    """
    states = ", ".join(f"{_pct(cpu.get(name, 0.0))} {name}" for name in CPU_STATES)
    line = "CPU %*d: %s" % (width, cpu["cpu"], states)
    label = cpu.get("label")
    if label:
        line += f" [{label}]"
    return line


def format_time(seconds: float) -> str:
    """CPU time for the TIME column.

    Simulated runs are short, so below ten minutes the time is ``M:SS.hh`` (hundredths, truncated);
    from ten minutes on it falls back to top's own ``MMM:SS``, and from 1000 minutes to hours ``%.1fH``.
    """
    if seconds < 0:
        raise ValueError(f"negative CPU time {seconds}")
    hundredths = int(seconds * 100 + 1e-6)  # truncate, tolerating binary representation error
    minutes, rest = divmod(hundredths, 6000)
    secs, hh = divmod(rest, 100)
    if minutes < 10:
        return f"{minutes}:{secs:02d}.{hh:02d}"
    if minutes < 1000:
        return f"{minutes}:{secs:02d}"
    return "%.1fH" % (minutes / 60.0)


def format_thread(t: dict) -> str:
    """One row of the thread table (no trailing newline)."""
    return _THREAD_FMT % (
        t["pid"],
        t["username"],
        t["pri"],
        str(t["nice"]),
        str(t["size"]),
        str(t["res"]),
        t["state"],
        t["cpu"],
        format_time(t["time_s"]),
        t["wcpu"],
        t["command"],
    )


def format_top(cpus: list[dict], threads: list[dict]) -> str:
    """The per-CPU lines (by CPU number), a blank line, the header, then threads by WCPU descending.

    Threads with equal WCPU are ordered by command (the sort is stable beyond that).
    Every line ends with a newline.
    """
    cpus = sorted(cpus, key=lambda c: c["cpu"])
    width = len(str(max((c["cpu"] for c in cpus), default=0)))
    lines = [format_cpu_line(c, width) for c in cpus]
    lines.append("")
    lines.append(THREAD_HEADER)
    for t in sorted(threads, key=lambda t: (-t["wcpu"], t["command"])):
        lines.append(format_thread(t))
    return "\n".join(lines) + "\n"
