"""Text in the layout of Linux's ``/proc/lock_stat`` (CONFIG_LOCK_STAT), from the model's lock profile.

The layout is the kernel's own (``kernel/lockdep_proc.c``; 3.10.0: ``seq_header`` and ``seq_stats``, lines
526-548 and 426-524; 4.4.1: ``kernel/locking/lockdep_proc.c``, which adds the two averages):

* ``lock_stat version 0.3`` (3.10) or ``0.4`` (4.4), a rule of ``40 + 1 + 10 * (14 + 1)`` dashes (0.4: 12 columns),
  the header ``%40s`` then ``%14s`` per column, the rule again and a blank line;
* one row per lock *class* (lockdep names a class by its initialisation site, docs/linux-facts.md section 8; the
  model's lock display is that name): ``%40s:`` the name, then ``%14lu `` con-bounces, contentions,
  waittime-min/max/total[/avg], `` %14lu `` acq-bounces, acquisitions, holdtime-min/max/total[/avg];
* under a class that was contended, its contention points: ``%40s %14lu %29s %pS`` -- the class name, how many
  contentions came from that call site, the call site's address and its symbol -- after a rule of dashes under
  the name, then a blank line and a rule of dots;
* classes sorted by contentions, most first (``lock_stat_cmp``).

Times are the kernel's: nanoseconds printed as microseconds with two decimals, rounded (``snprint_time``: ``nr +
5``, then ``%lld.%02d`` of ``/1000`` and ``rem/10``).

What the model measures and what it does not. Every profiled acquisition is counted (acquisitions), contended
ones separately (contentions), with the wait and hold totals and maxima (``LockProfile.raw()``, in ns). The model
keeps no minimum and does not count bounces (an acquisition on another CPU than the lock's previous one): those
columns print ``-``. Lockdep keeps the first four call sites that contended in the order they first did and drops
the rest; here the four sites with the most contentions are shown, most first. The model's site is a
``file:line``, shown where the kernel prints the call site's address; the symbol is the function that takes the
lock at that site (the innermost frame of its path). lockdep also lists *contending* points (where the holder
took the lock when a waiter found it held); the model does not record the holder's site, so they are left out,
and a class with both read and write holds is one row here, not the kernel's ``-W``/``-R`` pair.
"""
from __future__ import annotations

from ..model.steps import Acquire, TryAcquire, walk

__all__ = ["VERSIONS", "format_lock_stat", "lock_stat_rows", "site_functions"]

# Column headers per lock_stat version (3.10: 0.3; 4.4: 0.4, with the averages).
VERSIONS = {
    "0.3": ("con-bounces", "contentions", "waittime-min", "waittime-max", "waittime-total", "acq-bounces",
            "acquisitions", "holdtime-min", "holdtime-max", "holdtime-total"),
    "0.4": ("con-bounces", "contentions", "waittime-min", "waittime-max", "waittime-total", "waittime-avg",
            "acq-bounces", "acquisitions", "holdtime-min", "holdtime-max", "holdtime-total", "holdtime-avg"),
}
POINTS = 4  # LOCKSTAT_POINTS (include/linux/lockdep.h:60)
_NOT_MEASURED = "-"


def _time(ns: int | None) -> str:
    """seq_time: `` %14s`` of snprint_time (µs, two decimals, rounded half up); None: not measured."""
    if ns is None:
        return " %14s" % _NOT_MEASURED
    whole, rem = divmod(ns + 5, 1000)
    return " %14s" % f"{whole}.{rem // 10:02d}"


def site_functions(paths: dict) -> dict[str, str]:
    """Each lock site of ``paths`` -> the function that takes the lock there (the innermost frame of its step's
    stack: what the kernel's ``%pS`` of the call site names). A site in several paths: the first path's, by name."""
    out: dict[str, str] = {}
    for name in sorted(paths):
        path = paths[name]
        for step in walk(path.steps):
            if isinstance(step, (Acquire, TryAcquire)):
                frames = path.base + step.frames
                if frames:
                    out.setdefault(step.site, frames[-1])
    return out


def lock_stat_rows(raw: dict, functions: dict | None = None) -> list[dict]:
    """One dict per lock class from ``LockProfile.raw()`` ({(site, lock): ns counters}), most contended first:
    ``class``, ``contentions``, ``acquisitions``, ``wait_max_ns``, ``wait_total_ns``, ``hold_max_ns``,
    ``hold_total_ns`` and ``points`` ([(site, function, contentions)], up to four, most first). ``functions``
    maps a site to the function that takes the lock there (shown as the kernel's %pS symbol)."""
    classes: dict[str, dict] = {}
    for (site, lock), s in raw.items():
        c = classes.setdefault(lock, {"class": lock, "contentions": 0, "acquisitions": 0, "wait_max_ns": 0,
                                      "wait_total_ns": 0, "hold_max_ns": 0, "hold_total_ns": 0, "points": []})
        c["contentions"] += s["cnt_lock"]
        c["acquisitions"] += s["count"]
        c["wait_total_ns"] += s["wait_total_ns"]
        c["hold_total_ns"] += s["total_ns"]
        c["wait_max_ns"] = max(c["wait_max_ns"], s["wait_max_ns"])
        c["hold_max_ns"] = max(c["hold_max_ns"], s["max_hold_ns"])
        if s["cnt_lock"]:
            c["points"].append((site, (functions or {}).get(site, ""), s["cnt_lock"]))
    for c in classes.values():
        c["points"] = sorted(c["points"], key=lambda p: (-p[2], p[0]))[:POINTS]
    # lock_stat_cmp: most contentions first (the kernel's sort() leaves ties in no set order: by name here)
    return sorted(classes.values(), key=lambda c: (-c["contentions"], c["class"]))


def _rule(char: str, columns: int) -> str:
    return char * (40 + 1 + columns * (14 + 1))


def _row(c: dict, version: str) -> str:
    """seq_stats's write row: name, contention columns, then acquisition columns."""
    name = c["class"][:37]  # snprintf(name, 38, ...): at most 37 characters
    avg = version == "0.4"
    wait_avg = c["wait_total_ns"] // c["contentions"] if c["contentions"] else 0
    hold_avg = c["hold_total_ns"] // c["acquisitions"] if c["acquisitions"] else 0
    line = "%40s:" % name + "%14s " % _NOT_MEASURED + "%14d" % c["contentions"]
    line += _time(None) + _time(c["wait_max_ns"]) + _time(c["wait_total_ns"]) + (_time(wait_avg) if avg else "")
    line += " %14s " % _NOT_MEASURED + "%14d" % c["acquisitions"]
    line += _time(None) + _time(c["hold_max_ns"]) + _time(c["hold_total_ns"]) + (_time(hold_avg) if avg else "")
    return line


def format_lock_stat(rows: list[dict], version: str = "0.3") -> str:
    """The text of ``cat /proc/lock_stat`` for lock_stat_rows's ``rows`` (every line ends with a newline)."""
    if version not in VERSIONS:
        raise ValueError(f"lock_stat version {version!r}; expected one of {', '.join(VERSIONS)}")
    heads = VERSIONS[version]
    out = [f"lock_stat version {version}", _rule("-", len(heads)),
           "%40s" % "class name" + "".join(" %14s" % h for h in heads), _rule("-", len(heads)), ""]
    for c in rows:
        out.append(_row(c, version))
        if not c["points"]:
            continue
        name = c["class"][:37]
        out.append(" " * (40 - len(name)) + "-" * len(name))
        for site, function, n in c["points"]:
            out.append(("%40s %14d %29s %s" % (name, n, f"[<{site}>]", function)).rstrip())
        out += ["", _rule(".", len(heads)), ""]
    return "\n".join(out) + "\n"
