"""WITNESS(4) for the model: the lock-order graph of a variant, and its lock order reversals.

Like the kernel's WITNESS, nodes are lock *classes* (``rw:tcpinp`` stands for every connection's lock; taking
two of one class is allowed, as the inpcb locks are initialised with RW_DUPOK); an edge A -> B means some
thread acquired B while holding A, and remembers the two sites that first established it. Try-locks do not
establish order (they cannot deadlock), nor do an epoch lock's read sections (they take nothing). A cycle is a lock order reversal. The static graph comes from walking
every path of a variant through every branch; the dynamic graph from the acquisitions a run actually made.
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from .errors import TcpsimError
from . import kernels
from .model.locks import DOCUMENTED_ORDER
from .model.steps import READ, WRITE, Acquire, Release, Stop, TryAcquire, When


@dataclass(frozen=True)
class Edge:
    first: str  # lock class held
    second: str  # lock class acquired while holding it
    first_site: str
    second_site: str
    path: str


def static_edges(paths: dict, locks: dict) -> dict:
    """(first, second) -> Edge that first established the order, walking every branch of every path."""
    return _split(_static(paths, locks))[0]


def upgrades(paths: dict, locks: dict) -> list[Edge]:
    """Write acquisitions of an rwlock the path already holds only for reading: certain self-deadlock."""
    return _split(_static(paths, locks))[1]


def _split(found: dict) -> tuple[dict, list[Edge]]:
    """The walk's findings as (order edges, rwlock upgrades)."""
    edges = {k: e for k, e in found.items() if k[0] != "upgrade"}
    return edges, [e for k, e in sorted(found.items()) if k[0] == "upgrade"]


def _static(paths, locks):
    edges: dict = {}
    for name in sorted(paths):
        _walk(list(paths[name].steps), [], name, locks, edges)
    return edges


def _walk(steps, held, path, locks, edges):
    """held: list of (lock name, class, site, mode) outermost first. Explores try-lock and when branches."""
    for k, step in enumerate(steps):
        rest = steps[k + 1:]
        if isinstance(step, Acquire):
            _take(step, held, path, locks, edges, order=True)
        elif isinstance(step, TryAcquire):
            # success: held without order checks; failure: the fallback runs, then the same rest
            _walk(list(step.on_fail) + rest, list(held), path, locks, edges)
            _take(step, held, path, locks, edges, order=False)
            if step.locked is not None:  # success runs the locked block, then the same rest
                _walk(list(step.locked) + rest, held, path, locks, edges)
                return
        elif isinstance(step, Release):
            for i in range(len(held) - 1, -1, -1):
                if held[i][0] == step.lock:
                    del held[i]
                    break
        elif isinstance(step, When):
            _walk(list(step.steps) + rest, list(held), path, locks, edges)  # taken (once is enough)
        elif isinstance(step, Stop):
            return


EPOCH_READ = "epoch read"  # the mode a held entry records for an epoch lock's read section: no lock, no order


def _take(step, held, path, locks, edges, order):
    cls = locks[step.lock].display
    if locks[step.lock].cls == "epoch" and step.mode == READ:  # a read section takes nothing: it orders nothing
        held.append((step.lock, cls, step.site, EPOCH_READ))
        return
    mine = [h for h in held if h[0] == step.lock and h[3] != EPOCH_READ]
    if mine:  # recursion on the same lock: one hold, no order -- but a read hold cannot become a write
        if step.mode == WRITE and all(h[3] == READ for h in mine):
            edges.setdefault(("upgrade", step.site), Edge(cls, cls, mine[0][2], step.site, path))
        held.append((step.lock, cls, step.site, mine[0][3]))
        return
    if order:
        for lock, hcls, site, mode in held:
            if hcls != cls and mode != EPOCH_READ:
                edges.setdefault((hcls, cls), Edge(hcls, cls, site, step.site, path))
    held.append((step.lock, cls, step.site, step.mode))


def dynamic_edges(order_edges: dict) -> dict:
    """The engine's record ((held, acquired) -> (held site, acquired site, path)) as Edges."""
    return {k: Edge(k[0], k[1], *v) for k, v in order_edges.items()}


def check(model) -> list[list[Edge]]:
    """Static reversals of a built Model's paths."""
    return reversals(static_edges(model.paths, model.locks))


def refuse(model, allow_lor: bool) -> None:
    """What ``tcpsim run`` and ``compare`` check before running: an rwlock upgrade always stops the run, a
    lock order reversal unless ``allow_lor``."""
    edges, ups = _split(_static(model.paths, model.locks))  # one walk for both checks
    where = f"{model.source}: " if model.source else ""
    for e in ups:
        raise TcpsimError(f"{where}variant {model.variant!r}: path {e.path!r} takes {e.second} W at {e.second_site} "
                          f"while holding it R since {e.first_site}: an rwlock cannot be upgraded (self-deadlock)")
    cycles = reversals(edges, kernels.of(model).documented_order)
    if cycles and not allow_lor:
        e = cycles[0][-1]
        raise TcpsimError(f"{where}variant {model.variant!r}: lock order reversal between {e.first} and {e.second} "
                          f"({len(cycles)} cycle(s)); see 'tcpsim witness', or pass --allow-lor to run it anyway")


def graph(edges: dict) -> nx.DiGraph:
    g = nx.DiGraph()
    for (a, b), e in edges.items():
        g.add_edge(a, b, edge=e)
    return g


def reversals(edges: dict, order: tuple = DOCUMENTED_ORDER) -> list[list[Edge]]:
    """Every elementary cycle of the order graph, as the edges that establish it. A 2-cycle is the classic
    'lock order reversal' (two locks taken in both orders); its first edge is the one that follows the
    documented ``order`` (the kernel package's; FreeBSD's ``locks.DOCUMENTED_ORDER``), the second the
    reversal."""
    g = graph(edges)
    out = []
    for cycle in sorted(nx.simple_cycles(g), key=lambda c: (len(c), c)):
        found = [g.edges[a, b]["edge"] for a, b in zip(cycle, cycle[1:] + cycle[:1])]
        if len(found) == 2 and _documented(found[1], order) and not _documented(found[0], order):
            found.reverse()
        out.append(found)
    return out


def _documented(e: Edge, order: tuple) -> bool:
    return e.first in order and e.second in order and order.index(e.first) < order.index(e.second)


def format_reversal(cycle: list[Edge]) -> str:
    lines = ["lock order reversal:"]
    if len(cycle) == 2:
        a, b = cycle
        lines += [f" 1st {b.first} @ {b.first_site} (path {b.path})",
                  f" 2nd {b.second} @ {b.second_site} (path {b.path})",
                  f" lock order {a.first} -> {a.second} established at {a.first_site} -> {a.second_site} "
                  f"(path {a.path})"]
    else:
        for e in cycle:
            lines.append(f" {e.first} -> {e.second} at {e.first_site} -> {e.second_site} (path {e.path})")
    return "\n".join(lines)


def format_graph(edges: dict) -> str:
    rows = [f"  {e.first} -> {e.second}   first at {e.first_site} -> {e.second_site} (path {e.path})"
            for _, e in sorted(edges.items())]
    return "lock order graph:\n" + "\n".join(rows)


def to_dot(edges: dict, cycles: list[list[Edge]] = ()) -> str:
    bad = {(e.first, e.second) for c in cycles for e in c}
    lines = ["digraph witness {", "  rankdir=LR;", "  node [shape=box, fontname=monospace];"]
    for (a, b), e in sorted(edges.items()):
        color = ', color=red, fontcolor=red' if (a, b) in bad else ""
        lines.append(f'  "{a}" -> "{b}" [label="{e.first_site} -> {e.second_site}"{color}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def edges_as_data(edges: dict) -> list[dict]:
    return [{"first": e.first, "second": e.second, "first_site": e.first_site, "second_site": e.second_site,
             "path": e.path} for _, e in sorted(edges.items())]
