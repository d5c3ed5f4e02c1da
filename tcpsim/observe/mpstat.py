"""Text in the layout of sysstat's ``mpstat -P ALL`` (the ``Average:`` block), from a result's CPU shares.

Layout of sysstat 10.1.5 (the version CentOS/RHEL 7, a Linux 3.10 distribution, ship), ``mpstat.c``
``write_stats_core``: a header ``"\\n%-11s  CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest
%gnice   %idle"``, a line ``"%-11s  all"`` for the machine, then ``"%-11s %4d"`` per CPU, each followed by ten
``"  %6.2f"``; ``Average:`` stands where a timestamp stands in the per-interval blocks.  The banner line
(``print_gal_header``: system, release, node name, date, machine, CPU count) is printed without its date: a
simulated run has none.

The model's CPU time is user, system, interrupt and idle. On Linux the interrupt category is softirq time
(NET_RX, ``%soft``); the NIC's hard interrupt handler is short and the model folds it into the softirq's time,
so ``%irq`` is 0.00 unless a result splits it out (a CPU's ``irq`` share). Nothing in the model waits for I/O,
is stolen by a hypervisor or runs a guest: ``%iowait``, ``%steal``, ``%guest``, ``%gnice`` are 0.00.
"""
from __future__ import annotations

__all__ = ["COLUMNS", "format_mpstat", "share"]

#: (header, the result's CPU share it shows; None: always 0.00)
COLUMNS = (("%usr", "user"), ("%nice", "nice"), ("%sys", "system"), ("%iowait", None), ("%irq", "irq"),
           ("%soft", "interrupt"), ("%steal", None), ("%guest", None), ("%gnice", None), ("%idle", "idle"))
_HEAD = "CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle"


def share(cpu: dict, key: str | None) -> float:
    return float(cpu.get(key, 0.0)) if key else 0.0


def _values(values) -> str:
    return "".join("  %6.2f" % v for v in values)


def format_mpstat(cpus: list[dict], release: str, node: str, machine: str = "x86_64") -> str:
    """``mpstat -P ALL``'s banner and ``Average:`` block for ``cpus`` (the result's ``cpus``: each a dict with
    ``cpu`` and its percentages); ``all`` is the mean over the CPUs, as /proc/stat's first line sums them."""
    cpus = sorted(cpus, key=lambda c: c["cpu"])
    label = "Average:"
    lines = [f"Linux {release} ({node}) \t_{machine}_\t({len(cpus)} CPU)", "", "%-11s  %s" % (label, _HEAD)]
    mean = [sum(share(c, key) for c in cpus) / len(cpus) if cpus else 0.0 for _h, key in COLUMNS]
    lines.append("%-11s  all" % label + _values(mean))
    for c in cpus:
        lines.append("%-11s %4d" % (label, c["cpu"]) + _values(share(c, key) for _h, key in COLUMNS))
    return "\n".join(lines) + "\n"
