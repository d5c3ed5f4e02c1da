"""A LOCK_PROFILING(9) accumulator and the text of ``sysctl debug.lock.prof.stats``.

FreeBSD's lock profiler keeps one record per acquisition site, keyed by the ``file:line`` of the lock call
and the lock's ``class:name``, and prints it as ``file:line (class:name)``, e.g. ``tcp_input.c:1013 (rw:tcp)``.
What it measures, per LOCK_PROFILING(9) and ``kern/subr_lock.c``:

* **hold time** runs from the outermost acquisition of the lock to its final release (recursive
  re-acquisitions are not profiled; the engine does not report them here);
* **wait time** runs from the first failed attempt to take the lock until it is obtained; time spent
  spinning and time spent sleeping (turnstile/sleepqueue) both count;
* ``count`` counts every acquisition, contested or not; ``cnt_lock`` counts only the acquisitions that found
  the lock already held (contested); ``cnt_hold`` always prints 0 in FreeBSD 10.x.

Times are kept in integer nanoseconds (deterministic, no float accumulation) and printed in microseconds
truncated (``ns // 1000``).  ``avg`` and ``wait_avg`` are averaged over *all* acquisitions, then truncated:
``total_ns // (count * 1000)``.

Typical use from the engine::

    prof = LockProfile()
    key = prof.acquired("tcp_input.c:1013", "rw:tcp", wait_ns=3_000, contested=True)
    ...
    prof.released(key, hold_ns=1_999)
    print(format_stats(prof.rows()))
"""
from __future__ import annotations

from operator import index as _index

__all__ = ["LockProfile", "COLUMNS", "HEADER", "format_stats", "format_row", "per_connection"]

#: Row keys in printed order (``site`` and ``lock`` are extra keys, not printed as columns).
COLUMNS = ("max", "wait_max", "total", "wait_total", "count", "avg", "wait_avg", "cnt_hold", "cnt_lock", "name")

#: The header ``sysctl debug.lock.prof.stats`` prints (leading newline included, as subr_lock.c does).
HEADER = "\n     max  wait_max       total  wait_total       count    avg wait_avg cnt_hold cnt_lock name\n"

# subr_lock.c: "%8ju %9ju %11ju %11ju %11ju %6ju %6ju %8ju %8ju %s:%d (%s:%s)\n"
_ROW_FMT = "%8d %9d %11d %11d %11d %6d %6d %8d %8d %s\n"

# Indices into a per-key counter list.
_MAX, _WAIT_MAX, _TOTAL, _WAIT_TOTAL, _COUNT, _CNT_LOCK = range(6)


def _nonneg(value, what: str) -> int:
    v = _index(value)  # ints only: floats are refused so that the accumulation stays exact
    if v < 0:
        raise ValueError(f"{what} must be >= 0, got {v}")
    return v


class LockProfile:
    """Per-(site, lock) integer counters, like the kernel's ``struct lock_prof`` records.

    ``acquired`` is called once per profiled (non-recursive) acquisition, when the lock has been obtained,
    with the wait measured from the first failed attempt (0 when it was free); ``released`` is called at the
    final release with the hold time measured from that outermost acquisition.
    """

    __slots__ = ("_stats",)

    def __init__(self) -> None:
        # key (site, lock) -> [max_hold_ns, wait_max_ns, total_ns, wait_total_ns, count, cnt_lock]
        self._stats: dict[tuple[str, str], list[int]] = {}

    def acquired(self, site: str, lock: str, wait_ns: int, contested: bool) -> tuple[str, str]:
        """Record one acquisition at ``site`` (``'file:line'``) of ``lock`` (``'class:name'``).

        Returns the key to pass to :meth:`released`.
        """
        wait_ns = _nonneg(wait_ns, "wait_ns")
        key = (site, lock)
        s = self._stats.get(key)
        if s is None:
            s = self._stats[key] = [0, 0, 0, 0, 0, 0]
        s[_COUNT] += 1
        if contested:
            s[_CNT_LOCK] += 1
        s[_WAIT_TOTAL] += wait_ns
        if wait_ns > s[_WAIT_MAX]:
            s[_WAIT_MAX] = wait_ns
        return key

    def released(self, key: tuple[str, str], hold_ns: int) -> None:
        """Record the hold time of an acquisition previously reported by :meth:`acquired`."""
        hold_ns = _nonneg(hold_ns, "hold_ns")
        s = self._stats[key]  # KeyError: released without acquired
        s[_TOTAL] += hold_ns
        if hold_ns > s[_MAX]:
            s[_MAX] = hold_ns

    def reset(self) -> None:
        """Forget everything (``sysctl debug.lock.prof.reset=1``)."""
        self._stats.clear()

    def __len__(self) -> int:
        return len(self._stats)

    def raw(self) -> dict[tuple[str, str], dict[str, int]]:
        """A copy of the nanosecond counters, keyed by (site, lock)."""
        return {
            key: {
                "max_hold_ns": s[_MAX],
                "wait_max_ns": s[_WAIT_MAX],
                "total_ns": s[_TOTAL],
                "wait_total_ns": s[_WAIT_TOTAL],
                "count": s[_COUNT],
                "cnt_lock": s[_CNT_LOCK],
            }
            for key, s in self._stats.items()
        }

    def rows(self, sort: str = "wait_total") -> list[dict]:
        """One dict per (site, lock) with the printed columns (microseconds, truncated) plus ``site``/``lock``.

        Sorted descending by ``sort`` (any numeric column), ties broken by ``name`` ascending;
        ``sort="name"`` sorts by name ascending.
        """
        if sort not in COLUMNS:
            raise ValueError(f"unknown sort column {sort!r}; expected one of {COLUMNS}")
        out = []
        for (site, lock), s in self._stats.items():
            count = s[_COUNT]
            out.append(
                {
                    "max": s[_MAX] // 1000,
                    "wait_max": s[_WAIT_MAX] // 1000,
                    "total": s[_TOTAL] // 1000,
                    "wait_total": s[_WAIT_TOTAL] // 1000,
                    "count": count,
                    "avg": s[_TOTAL] // (count * 1000) if count else 0,
                    "wait_avg": s[_WAIT_TOTAL] // (count * 1000) if count else 0,
                    "cnt_hold": 0,  # FreeBSD 10.x never increments it
                    "cnt_lock": s[_CNT_LOCK],
                    "name": f"{site} ({lock})",
                    "site": site,
                    "lock": lock,
                }
            )
        if sort == "name":
            out.sort(key=lambda r: r["name"])
        else:
            out.sort(key=lambda r: (-r[sort], r["name"]))
        return out


def format_row(row: dict) -> str:
    """One line of the sysctl output, newline included."""
    return _ROW_FMT % (
        row["max"],
        row["wait_max"],
        row["total"],
        row["wait_total"],
        row["count"],
        row["avg"],
        row["wait_avg"],
        row["cnt_hold"],
        row["cnt_lock"],
        row["name"],
    )


def format_stats(rows: list[dict]) -> str:
    """The text of ``sysctl debug.lock.prof.stats`` (without the ``debug.lock.prof.stats:`` prefix)."""
    return HEADER + "".join(format_row(r) for r in rows)


def per_connection(rows: list[dict], connections: int) -> dict[str, float]:
    """Acquisitions per connection for each row: ``{name: count / connections}``."""
    if connections <= 0:
        raise ValueError(f"connections must be > 0, got {connections}")
    return {r["name"]: r["count"] / connections for r in rows}
