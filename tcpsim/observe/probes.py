"""DTrace-style probes: named points in the model a user attaches callbacks to, instead of monkey-patching.

Probe names follow DTrace's providers (``provider:::name``):

=================================  ================================  ============================================================
``tcp:::state-change``             conn, old, new                    a connection changed TCP state
``tcp:::receive``                  conn, segment                     the NIC took a client segment off the wire
``tcp:::send``                     conn, segment                     the server transmitted a segment
``tcp:::drop``                     conn, segment, reason             a segment was dropped (ring full, listen queue)
``lockstat:::rw-acquire``          lock, mode, site, thread, wait    an rwlock was obtained (wait in ns)
``lockstat:::rw-spin``             lock, mode, site, thread, ns      a waiter stopped spinning (ns spun)
``lockstat:::rw-block``            lock, mode, site, thread          a waiter went to sleep on the turnstile
``lockstat:::rw-release``          lock, thread, hold                an outermost hold ended (hold in ns)
``lockstat:::adaptive-*``          (same, for mutexes)
``sched:::on-cpu``                 thread, cpu                       a thread got a CPU
``sched:::off-cpu``                thread, cpu                       a thread left its CPU (it sleeps, or was preempted)
``sched:::preempt``                thread, cpu                       a better-priority thread takes the CPU from this one
``fbt::ixgbe_msix_que:entry``      queue, eitr                       a queue's MSI-X vector fired (the EITR value in force)
``fbt::ixgbe_rxeof:return``        queue, thread, cpu, frames, more  a receive pass ended: frames cleaned; more: it stopped at its limit
``fbt::ixgbe_enable_queue:entry``  queue, thread, cpu                the vector was unmasked (end of an interrupt or task pass)
=================================  ================================  ============================================================

Every callback gets ``(probe, time_ns, args_dict)``. The engine tests one flag before building any arguments,
so a run without probes pays nothing for them.
"""
from __future__ import annotations

from collections import Counter
from fnmatch import fnmatchcase

from ..errors import TcpsimError

PROBES = (
    "tcp:::state-change", "tcp:::receive", "tcp:::send", "tcp:::drop",
    "lockstat:::rw-acquire", "lockstat:::rw-spin", "lockstat:::rw-block", "lockstat:::rw-release",
    "lockstat:::adaptive-acquire", "lockstat:::adaptive-spin", "lockstat:::adaptive-block",
    "lockstat:::adaptive-release",
    "sched:::on-cpu", "sched:::off-cpu", "sched:::preempt",
    "fbt::ixgbe_msix_que:entry", "fbt::ixgbe_rxeof:return", "fbt::ixgbe_enable_queue:entry",
)


class Probes:
    def __init__(self):
        self._handlers: dict[str, list] = {}

    def attach(self, pattern: str, fn) -> None:
        """Call ``fn(probe, time_ns, args)`` at every probe matching ``pattern`` (shell-style, e.g. 'tcp:::*')."""
        names = [p for p in PROBES if fnmatchcase(p, pattern)]
        if not names:
            raise TcpsimError(f"probe {pattern!r} matches no probe; allowed: {', '.join(PROBES)} (or a pattern)")
        for name in names:
            self._handlers.setdefault(name, []).append(fn)

    def __bool__(self) -> bool:
        return bool(self._handlers)

    def enabled(self, name: str) -> bool:
        return name in self._handlers

    def fire(self, name: str, now: int, **args) -> None:
        for fn in self._handlers.get(name, ()):
            fn(name, now, args)


def lock_provider(kind: str) -> str:
    return "rw" if kind == "rw" else "adaptive"


class Aggregation:
    """``@[probe, key] = count()`` over the probes matching a pattern, as ``tcpsim run --probe`` prints it."""

    KEYS = {"tcp": ("segment", "new", "reason"), "lockstat": ("lock", "site"), "sched": ("thread",),
            "fbt": ("queue", "thread")}

    def __init__(self, probes: Probes, pattern: str):
        self.counts = Counter()
        probes.attach(pattern, self._count)

    def _count(self, probe, now, args):
        provider = probe.split(":", 1)[0]
        key = tuple(str(args[k]) for k in self.KEYS[provider] if k in args)
        self.counts[(probe,) + key] += 1

    def format(self) -> str:
        rows = sorted(self.counts.items(), key=lambda kv: (kv[1], kv[0]))
        if not rows:
            return "  (no firings)"
        return "\n".join(f"  {'  '.join(k):<70} {v:>10}" for k, v in rows)
