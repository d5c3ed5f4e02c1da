"""Deadlock detection: a wait-for graph of the running engine (thread -> lock it waits for -> thread holding
it), searched for a cycle with networkx, and a watchdog process that stops a run caught in one.

WITNESS (``witness.py``) refuses a lock order reversal before a run, but ``--allow-lor`` runs it anyway; if
the reversal then deadlocks, the threads in the cycle never move again while simulated time goes on and the
run would report a goodput that means nothing. The watchdog looks every ``every_ns`` of simulated time: when
nothing moved since its last look (no segment in or out, no connection started or ended, no lock bench thread
began a loop) and the same cycle
is in the graph both times, it stops the run with the cycle: threads, locks and the sites of the waits and
of the holds. Ciw's deadlock detector works the same way (a networkx wait-for graph).

Written against the engine's lock and thread state (``engines.simpy_engine``): an engine starts
``watchdog(self)`` as one more process of its run.
"""
from __future__ import annotations

import networkx as nx

from .errors import TcpsimError
from .invariants import lock_states

EVERY_NS = 1_000_000  # 1 ms of simulated time between looks: a few hundred connections at the modelled rates


class DeadlockError(TcpsimError):
    """The run stopped in a deadlock; ``cycle`` is [(thread, lock, wait site, holder, hold site), ...]."""

    def __init__(self, message, cycle=()):
        super().__init__(message, list(cycle))  # SimPy re-raises a process's exception as type(e)(*e.args)
        self.cycle = list(cycle)

    def __str__(self):
        return self.args[0]


def wait_for_graph(e) -> nx.DiGraph:
    """Nodes: thread names and lock objects (``("lock", id)``, labelled by display); edges: a waiting thread ->
    the lock (with the site it asked at), the lock -> each thread holding it (with the site it took it at)."""
    g = nx.DiGraph()
    for lock in lock_states(e):
        node = ("lock", id(lock))
        holders = [lock.owner] if lock.owner is not None else sorted(lock.readers, key=lambda t: t.name)
        waiters = [*lock.spinners, *lock.sleepers]
        if not waiters or not holders:
            continue
        g.add_node(node, label=lock.display)
        for w in waiters:
            g.add_edge(w.thread.name, node, site=w.site)
        for th in holders:
            g.add_edge(node, th.name, site=th.sites.get(lock, "?"))
    return g


def find(e) -> list[tuple]:
    """The first wait-for cycle (deterministic order), as [(thread, lock, wait site, holder, hold site)]."""
    g = wait_for_graph(e)
    cycles = sorted((c for c in nx.simple_cycles(g) if len(c) >= 2), key=lambda c: (len(c), str(c)))
    if not cycles:
        return []
    cycle = cycles[0]
    start = min(range(len(cycle)), key=lambda i: (isinstance(cycle[i], tuple), str(cycle[i])))
    cycle = cycle[start:] + cycle[:start]  # begin at a thread, the same one every time
    out = []
    for i in range(0, len(cycle), 2):
        th, lock, holder = cycle[i], cycle[i + 1], cycle[(i + 2) % len(cycle)]
        out.append((th, g.nodes[lock]["label"], g.edges[th, lock]["site"], holder, g.edges[lock, holder]["site"]))
    return out


def describe(cycle) -> str:
    return "; ".join(f"{th} waits for {lock} at {site}, held by {holder} since {held}"
                     for th, lock, site, holder, held in cycle)


def _progress(e):
    return e.segments_in, e.segments_out, e.started, e.completed, e.failed, e.bench_loops


class Watch:
    """The watchdog's rule, for any engine: at each look, when nothing moved since the previous look and the
    same wait-for cycle is in the graph both times, the run is deadlocked. ``prepare``: called before the graph
    is searched (an engine whose state must be exported first)."""

    def __init__(self, e, prepare=None):
        self.prepare = prepare
        self.last, self.seen = _progress(e), []

    def look(self, e, now_ns):
        """Raise DeadlockError, or remember what this look saw."""
        now = _progress(e)
        cycle = []
        if now == self.last:
            if self.prepare:
                self.prepare()
            cycle = find(e)
        if cycle and cycle == self.seen:
            where = f"{e.m.source}: " if e.m.source else ""
            raise DeadlockError(f"{where}variant {e.m.variant!r}: deadlock at {now_ns / 1e6:.3f} ms simulated: "
                                f"{describe(cycle)} (see 'tcpsim witness' for the lock order reversal)", cycle)
        self.last, self.seen = now, cycle


def watchdog(e, every_ns: int = EVERY_NS):
    """A SimPy process: look every ``every_ns`` (Watch)."""
    watch = Watch(e)
    while True:
        yield e.env.timeout(every_ns)
        watch.look(e, e.env.now)
