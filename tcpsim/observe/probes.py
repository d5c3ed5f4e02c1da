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
``fbt::ixgbe_deferred_mq_start:entry``  queue, thread, cpu          the queue's task drains the transmit ring a sender
                                                                    found locked (ixgbe_mq_start's deferred start)
=================================  ================================  ============================================================

A kernel names these in its own words (``observe/words.py``): on Linux ``tcp:::receive`` is ``net:netif_receive_skb``,
``lockstat:::rw-spin`` is ``lock:lock_contended`` and so on; ``names(kernel_probes)`` is the vocabulary a run's
``--probe`` clauses use.

Every callback gets ``(probe, time_ns, args_dict)``. The engine tests one flag before building any arguments,
so a run without probes pays nothing for them.
"""
from __future__ import annotations

from fnmatch import fnmatchcase

from ..errors import TcpsimError
from ..model.tcp import CLIENT_SEGMENTS, SERVER_SEGMENTS, STATES

# Every probe and the arguments it fires with (the table above), in the order the table lists them.
PROBE_ARGS = {
    "tcp:::state-change": ("conn", "old", "new"), "tcp:::receive": ("conn", "segment"),
    "tcp:::send": ("conn", "segment"), "tcp:::drop": ("conn", "segment", "reason"),
    **{f"lockstat:::{kind}-{name}": args for kind in ("rw", "adaptive") for name, args in (
        ("acquire", ("lock", "mode", "site", "thread", "wait")), ("spin", ("lock", "mode", "site", "thread", "ns")),
        ("block", ("lock", "mode", "site", "thread")), ("release", ("lock", "thread", "hold")))},
    "sched:::on-cpu": ("thread", "cpu"), "sched:::off-cpu": ("thread", "cpu"), "sched:::preempt": ("thread", "cpu"),
    "fbt::ixgbe_msix_que:entry": ("queue", "eitr"), "fbt::ixgbe_rxeof:return": ("queue", "thread", "cpu", "frames", "more"),
    "fbt::ixgbe_enable_queue:entry": ("queue", "thread", "cpu"),
    "fbt::ixgbe_deferred_mq_start:entry": ("queue", "thread", "cpu"),
}
PROBES = tuple(PROBE_ARGS)
#: The arguments that are numbers (nanoseconds, counts, ids); the others are names.
NUMERIC_ARGS = frozenset({"conn", "wait", "ns", "hold", "cpu", "queue", "eitr", "frames", "more"})
#: The names some arguments can only take: a predicate comparing one with anything else would never hold.
NAME_VALUES = {"old": STATES, "new": STATES, "segment": CLIENT_SEGMENTS + SERVER_SEGMENTS}


def names(kernel_probes: dict | None = None) -> dict[str, tuple[str, ...]]:
    """A kernel's probe vocabulary: each name it uses -> the model's probes that name stands for (Linux's
    ``lock:lock_acquired`` is both rwlock and mutex acquisitions). ``kernel_probes``: the kernel's words' ``probes``
    (model probe -> its name, or a tuple of names where one model event is several of the kernel's); None:
    FreeBSD's, the model's own names."""
    if kernel_probes is None:
        return {p: (p,) for p in PROBES}
    out: dict[str, list[str]] = {}
    for p in PROBES:
        given = kernel_probes.get(p, p)
        for name in (given,) if isinstance(given, str) else given:
            out.setdefault(name, []).append(p)
    return {name: tuple(ps) for name, ps in out.items()}


def matching(pattern: str, vocabulary: dict | None = None) -> list[str]:
    """The model's probes a shell-style pattern names (e.g. 'lockstat:::*-block') in ``vocabulary`` (names();
    None: every probe by the model's name); a pattern naming none is an error."""
    known = vocabulary if vocabulary is not None else {p: (p,) for p in PROBES}
    found = list(shown(pattern, known))
    if not found:
        raise TcpsimError(f"probe {pattern!r} matches no probe; allowed: {', '.join(known)} (or a pattern)")
    return found


def shown(pattern: str, vocabulary: dict) -> dict[str, str]:
    """Each model probe ``pattern`` names in ``vocabulary`` -> the name it is shown by (the first matching one,
    where one event has several names)."""
    out: dict[str, str] = {}
    for name, ps in vocabulary.items():
        if fnmatchcase(name, pattern):
            for p in ps:
                out.setdefault(p, name)
    return out


class Probes:
    def __init__(self):
        self._handlers: dict[str, list] = {}

    def attach(self, pattern: str, fn) -> None:
        """Call ``fn(probe, time_ns, args)`` at every probe matching ``pattern`` (shell-style, e.g. 'tcp:::*')."""
        for name in matching(pattern):
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
