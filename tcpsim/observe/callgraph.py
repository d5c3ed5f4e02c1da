"""Call-graph text in the layout of ``pmcstat -R sample.pmc -G out`` (hwpmc sampling), plus the same data as dicts.

Input: ``samples`` maps a call stack, ordered outermost frame first and ending with the leaf function where
the sample landed, to a sample count.  Names starting with ``user:`` are user-space functions of the server.

As pmcstat does (``pmcstat_callgraph_print_for_pmcid`` / ``pmcstat_cgnode_print``), the graph is inverted:
one top-level entry per leaf function, sorted by samples descending, then the leaf's callers, their callers,
and so on.  A top-level entry's percentage is of all samples; a caller's is of its parent's samples.  Each
line is::

    <depth spaces><pct>% ' [count] ' padded to 12 chars <depth spaces><function>[ @ <image>]

where ``pct`` is ``100.0`` when the node has all of its parent's samples and ``%05.2f`` otherwise, and the
`` @ image`` suffix is printed, as pmcstat does, only when the image differs from the last one printed (so
the leaf always carries it and kernel callers of a kernel leaf do not).  Each top-level entry is followed by
a blank line.  Depth is the number of caller levels shown below a leaf (``max_depth``).

Unlike pmcstat (whose ``-G`` output has no cut-off), entries below ``threshold`` percent are omitted:
top-level entries below ``threshold`` % of all samples, callers below ``threshold`` % of their parent.
"""
from __future__ import annotations

__all__ = [
    "KERNEL_IMAGE",
    "USER_IMAGE",
    "USER_PREFIX",
    "callgraph_tree",
    "caller_share",
    "format_callgraph",
    "leaf_share",
]

KERNEL_IMAGE = "/boot/kernel/kernel"
USER_IMAGE = "/usr/local/bin/tcp_server"
USER_PREFIX = "user:"


class _Node:
    __slots__ = ("function", "count", "children")

    def __init__(self, function: str) -> None:
        self.function = function
        self.count = 0
        self.children: dict[str, _Node] = {}

    def sorted_children(self) -> list[_Node]:
        return sorted(self.children.values(), key=lambda n: (-n.count, n.function))


def _check(samples: dict) -> None:
    for stack, n in samples.items():
        if not stack:
            raise ValueError("empty call stack in samples")
        if n < 0:
            raise ValueError(f"negative sample count {n} for {stack!r}")


def _build(samples: dict[tuple[str, ...], int], max_depth: int) -> tuple[int, list[_Node]]:
    """Total samples and the inverted trees (one root per leaf), sorted by count descending."""
    _check(samples)
    if max_depth < 0:
        raise ValueError(f"max_depth must be >= 0, got {max_depth}")
    roots: dict[str, _Node] = {}
    total = 0
    for stack, n in samples.items():
        if not n:
            continue
        total += n
        leaf = stack[-1]
        node = roots.get(leaf)
        if node is None:
            node = roots[leaf] = _Node(leaf)
        node.count += n
        # callers, innermost first, up to max_depth levels
        for caller in reversed(stack[max(0, len(stack) - 1 - max_depth) : -1]):
            child = node.children.get(caller)
            if child is None:
                child = node.children[caller] = _Node(caller)
            child.count += n
            node = child
    ordered = sorted(roots.values(), key=lambda r: (-r.count, r.function))
    return total, ordered


def _split(function: str) -> tuple[str, str]:
    if function.startswith(USER_PREFIX):
        return function[len(USER_PREFIX) :], USER_IMAGE
    return function, KERNEL_IMAGE


def _percent_text(count: int, total: int) -> str:
    if count == total:
        return "100.0%"
    return "%05.2f%%" % (100.0 * count / total)


def format_callgraph(
    samples: dict[tuple[str, ...], int],
    title: str = "",
    max_depth: int = 4,
    threshold: float = 0.5,
) -> str:
    """The ``pmcstat -G`` text for ``samples`` (see the module docstring for the layout)."""
    total, roots = _build(samples, max_depth)
    out = ["@ %s [%d samples]\n\n" % (title, total)]
    if not total:
        return "".join(out)
    last_image: list[str | None] = [None]

    def emit(node: _Node, depth: int, parent_count: int) -> None:
        indent = " " * depth
        counter = " [%d] " % node.count
        name, image = _split(node.function)
        line = indent + _percent_text(node.count, parent_count) + " " + counter.ljust(12) + indent + name
        if image != last_image[0]:
            last_image[0] = image
            line += " @ " + image
        out.append(line + "\n")
        for child in node.sorted_children():
            if 100.0 * child.count / node.count < threshold:
                break  # children are sorted: the rest are smaller
            emit(child, depth + 1, node.count)

    for root in roots:
        if 100.0 * root.count / total < threshold:
            break
        last_image[0] = None
        emit(root, 0, total)
        out.append("\n")
    return "".join(out)


def callgraph_tree(samples: dict[tuple[str, ...], int], max_depth: int = 4) -> list[dict]:
    """The inverted call graph as plain data, without any threshold.

    ``[{"function", "samples", "percent", "callers": [...]}]``: top level per leaf function (percent of all
    samples), ``callers`` nested the same way with percent of the parent's samples; sorted by samples
    descending, ties by name.  Function names are as given (``user:`` prefix kept).
    """
    total, roots = _build(samples, max_depth)

    def conv(node: _Node, parent_count: int) -> dict:
        return {
            "function": node.function,
            "samples": node.count,
            "percent": 100.0 * node.count / parent_count,
            "callers": [conv(c, node.count) for c in node.sorted_children()],
        }

    return [conv(r, total) for r in roots]


def leaf_share(samples: dict[tuple[str, ...], int], function: str) -> float:
    """Fraction of all samples whose leaf (innermost frame) is ``function``; 0.0 if there are no samples."""
    _check(samples)
    total = sum(samples.values())
    if not total:
        return 0.0
    return sum(n for stack, n in samples.items() if stack[-1] == function) / total


def caller_share(samples: dict[tuple[str, ...], int], leaf: str, caller: str) -> float:
    """Among samples whose leaf is ``leaf``, the fraction whose immediate caller is ``caller``.

    0.0 if no sample has that leaf.
    """
    _check(samples)
    with_leaf = 0
    with_caller = 0
    for stack, n in samples.items():
        if stack[-1] != leaf:
            continue
        with_leaf += n
        if len(stack) >= 2 and stack[-2] == caller:
            with_caller += n
    return with_caller / with_leaf if with_leaf else 0.0
