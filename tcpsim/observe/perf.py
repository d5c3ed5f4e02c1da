"""Text in the layout of ``perf report --stdio --sort sym -g`` (callee call graphs, fractal, 0.5%), Linux 3.10's perf.

Input as ``callgraph.py``'s: ``samples`` maps a call stack (outermost frame first, the sampled function last;
``user:`` marks a user-space function) to a sample count.

What ``tools/perf`` (3.10.0) prints, and what is kept here:

* ``hists__fprintf_nr_sample_events`` (builtin-report.c): ``# Samples: N[K|M] of event 'cycles'`` (the count
  divided by 1000 while above 1000, as ``convert_unit``), ``# Event count (approx.): TOTAL`` (samples x sampling
  period), ``#``;
* ``hists__fprintf`` (ui/stdio/hist.c): ``# Overhead`` and the ``Symbol`` column header right-aligned to the
  column's width, a line of dots under each, ``#``; then one entry per sampled function, most samples first:
  ``  %6.2f%%`` (after the two-blank separator) and ``  [k] name`` (``[.]`` for user space);
* under each entry its callers as perf's callchain tree (callee order: the sampled function at the root, its
  callers below; the default ``fractal,0.5,callee``, builtin-report.c): the tree is perf's radix tree of chains
  (a node holds the run of frames its chains share and splits where they part or end), children whose samples
  are below 0.5% of their parent's children are dropped (``__sort_chain_graph_rel``), the rest sorted by samples;
  a single root's frames are printed as ``---`` then its frames (the first, the symbol itself, skipped as perf
  skips it when sorting by symbol), then each level as ``callchain__fprintf_graph`` draws it: a ``|`` line, then
  ``--P%--`` (P of the parent's children) before a child's first frame, ``[...]`` for what was dropped, ``|``
  columns for the levels still open.

perf prints every entry; here an entry below ``threshold`` percent of all samples is left out (pmcstat's view
does the same), and the blanks perf pads its graph lines with are trimmed from the ends of lines.
"""
from __future__ import annotations

from math import ceil

from .callgraph import USER_PREFIX

__all__ = ["format_perf_report", "sample_units"]

MARGIN = " " * 12  # callchain__fprintf_left_margin


class _Node:
    """A node of perf's callchain tree: ``frames`` (its val list), own ``hit`` and its children's."""

    __slots__ = ("frames", "hit", "children")

    def __init__(self, frames: list[str]):
        self.frames = frames
        self.hit = 0
        self.children: list[_Node] = []

    @property
    def children_hit(self) -> int:
        return sum(c.cumul for c in self.children)

    @property
    def cumul(self) -> int:
        return self.hit + self.children_hit


def _trie(chains) -> dict:
    """A trie of callee-ordered chains: {frame: [hits ending here, {children}]}."""
    root: dict = {}
    for chain, n in chains:
        level = root
        for i, frame in enumerate(chain):
            node = level.setdefault(frame, [0, {}])
            if i == len(chain) - 1:
                node[0] += n
            level = node[1]
    return root


def _compress(frame: str, entry) -> _Node:
    """perf's node for a trie path: frames run on while a node has no own hits and exactly one child."""
    frames, (hit, children) = [frame], entry
    while not hit and len(children) == 1:
        (frame, (hit, children)), = children.items()
        frames.append(frame)
    node = _Node(frames)
    node.hit = hit
    node.children = [_compress(f, e) for f, e in children.items()]
    return node


def _sorted(node: _Node, min_percent: float) -> list[_Node]:
    """__sort_chain_graph_rel: the children with at least min_percent of the node's children's hits, most first."""
    min_hit = ceil(node.children_hit * min_percent)
    return sorted((c for c in node.children if c.cumul >= min_hit), key=lambda c: (-c.cumul, c.frames[0]))


def _name(frame: str) -> str:
    return frame[len(USER_PREFIX):] if frame.startswith(USER_PREFIX) else frame


def _graph(out: list, node: _Node, total: int, depth: int, mask: int, margin: int, min_percent: float) -> None:
    """__callchain__fprintf_graph (fractal: a child's share is of its parent's children's hits)."""
    pad = MARGIN + " " * margin
    remaining = total
    children = _sorted(node, min_percent)
    new_mask = mask
    for k, child in enumerate(children):
        cumul = child.cumul
        remaining -= cumul
        if k == len(children) - 1 and not remaining:
            new_mask &= ~(1 << (depth - 1))
        out.append(pad + "".join("|          " if mask & (1 << i) else "           " for i in range(depth)))
        for j, frame in enumerate(child.frames):
            out.append(_chain_line(pad, depth, new_mask, j == 0, cumul, total, _name(frame)))
        _graph(out, child, child.children_hit, depth + 1, new_mask | (1 << depth), margin, min_percent)
    if remaining and remaining != total:
        new_mask &= ~(1 << (depth - 1))
        out.append(_chain_line(pad, depth, new_mask, True, remaining, total, "[...]"))


def _chain_line(pad: str, depth: int, mask: int, first: bool, hits: int, total: int, name: str) -> str:
    """ipchain__fprintf_graph: a column per level, the share before a child's first frame."""
    cols = ""
    for i in range(depth):
        cols += "|" if mask & (1 << i) else " "
        cols += "--%2.2f%%-- " % (hits * 100.0 / total) if first and i == depth - 1 else "          "
    return pad + cols + name


def _callers(root: _Node, min_percent: float) -> list[str]:
    """callchain__fprintf_graph for one entry (sorted by symbol: the root's first frame is the symbol itself)."""
    out: list[str] = []
    margin = 0
    total = root.cumul
    for i, frame in enumerate(root.frames):
        if i == 0:
            continue
        if not out:
            out += [MARGIN + "|", MARGIN + "---" + " " + _name(frame)]
            margin = 3
        else:
            out.append(MARGIN + " " * margin + " " + _name(frame))
    _graph(out, root, total, 1, 1, margin, min_percent)
    out.append("")
    return [line.rstrip() for line in out]


def sample_units(n: int) -> str:
    """convert_unit: '12K' for 12,345 samples."""
    for unit in ("", "K", "M", "G"):
        if n <= 1000 or unit == "G":
            return f"{n}{unit}"
        n //= 1000
    return str(n)  # not reached


def format_perf_report(samples: dict[tuple[str, ...], int], period: int, event: str = "cycles",
                       threshold: float = 1.0, min_percent: float = 0.5) -> str:
    """The ``perf report --stdio --sort sym -g`` text for ``samples``; ``period``: events per sample."""
    for stack, n in samples.items():
        if not stack or n < 0:
            raise ValueError(f"bad sample {stack!r}: {n}")
    total = sum(samples.values())
    by_leaf: dict[str, list] = {}
    for stack, n in samples.items():
        if n:
            by_leaf.setdefault(stack[-1], []).append((tuple(reversed(stack)), n))
    entries = []
    for leaf, chains in by_leaf.items():
        (frame, entry), = _trie(chains).items()
        entries.append(_compress(frame, entry))
    entries.sort(key=lambda e: (-e.cumul, e.frames[0]))
    shown = [e for e in entries if total and 100.0 * e.cumul / total >= threshold]
    symbols = [("[.] " if e.frames[0].startswith(USER_PREFIX) else "[k] ") + _name(e.frames[0]) for e in shown]
    width = max([len("Symbol"), *map(len, symbols)])
    out = [f"# Samples: {sample_units(total)} of event '{event}'", f"# Event count (approx.): {total * period}", "#",
           "# Overhead  %*s" % (width, "Symbol"), "# ........  " + "." * width, "#"]
    for e, symbol in zip(shown, symbols):
        out.append("  %7.2f%%  %s" % (100.0 * e.cumul / total, symbol))
        out += _callers(e, min_percent / 100.0)
    return "\n".join(out) + "\n"
