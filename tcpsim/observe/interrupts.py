"""Text in the layout of Linux's ``/proc/interrupts`` for the NIC's queue vectors, from a result's ``interrupts``.

Layout of 3.10.0's ``show_interrupts`` (kernel/irq/proc.c): a header of ``CPU%-8d`` per online CPU after
``prec + 8`` blanks, then per vector ``%*d: `` (its number, ``prec`` wide), ``%10u `` per CPU, the chip ``
%8s`` (``PCI-MSI``, arch/x86/kernel/apic/io_apic.c:3097), ``-%-8s`` (the handler's flow, ``edge``) and ``  %s``
the action's name (ixgbe's ``eth0-TxRx-N``). ``prec`` is 3 here (the kernel widens it when nr_irqs reaches 1000).
Counts are the measured window's, not since boot; a queue's vector is pinned (IRQ affinity), so all of its
interrupts are on its queue's CPU. The vector number and name come from the interrupt thread's name
(``irq/64-eth0-TxRx-0``, as Linux names a threaded handler; FreeBSD's ``irq263: ix0:que 0`` reads the same way).
"""
from __future__ import annotations

import re

__all__ = ["format_interrupts"]

_NAME = re.compile(r"^irq/?(?P<irq>\d+)[-:]\s*(?P<action>.+)$")
PREC = 3


def format_interrupts(vectors: list[dict], queue_cpus, cpus: int) -> str:
    """``vectors``: the result's ``interrupts`` (queue, name, total); ``queue_cpus``: each queue's CPU."""
    lines = [" " * (PREC + 8) + "".join("CPU%-8d" % c for c in range(cpus))]
    for v in vectors:
        m = _NAME.match(v["name"])
        irq, action = (int(m["irq"]), m["action"]) if m else (v["queue"], v["name"])
        counts = [v["total"] if c == queue_cpus[v["queue"]] else 0 for c in range(cpus)]
        lines.append("%*d: " % (PREC, irq) + "".join("%10u " % n for n in counts) + " %8s" % "PCI-MSI"
                     + "-%-8s" % "edge" + "  %s" % action)
    return "\n".join(line.rstrip() for line in lines) + "\n"
