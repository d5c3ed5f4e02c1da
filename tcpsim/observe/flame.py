"""Flame graphs of the pmcstat samples: folded stacks, speedscope JSON and a picture.

Input, as for ``observe.callgraph``: per CPU, a dict mapping a call stack (outermost frame first, ending with
the leaf where the sample landed) to a sample count; one sample per 65,536 unhalted cycles, as ``pmcstat -S
unhalted-cycles`` samples.

- ``folded(samples_by_cpu)``: the text ``flamegraph.pl`` and ``inferno-flamegraph`` read, one
  ``frame;frame;frame count`` line per distinct stack;
- ``speedscope(samples_by_cpu)``: a file in speedscope's documented format
  (https://www.speedscope.app/file-format-schema.json), one ``sampled`` profile per CPU;
- ``flame_figure(samples)``: a flame graph drawn with matplotlib rectangles, for reports and notebooks.

No maintained PyPI package draws a flame graph from folded stacks into a matplotlib figure or a PNG: the
flame-graph packages there are profilers of Python code (flameprof, pyflame, yapflame), terminal viewers
(flameshow), wrappers of the Perl script (pyflamegraph, unmaintained since 2015) or unrelated. The folded and
speedscope outputs feed the standard tools; the picture is a few rectangles in matplotlib, which tcpsim
already uses for its plots.

User-space frames keep the ``user:`` prefix the engine gives them (``user:tcp_server_handle_request``), so the
kernel/user boundary stays visible in every output.
"""
from __future__ import annotations

import zlib

from .. import __version__

SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json"


def _cpu_frame(cpu: int) -> str:
    return f"CPU {cpu}"


def folded(samples_by_cpu: dict[int, dict[tuple[str, ...], int]]) -> str:
    """Folded stacks of several CPUs in one text.

    CPUs are *prefixed*, not merged: every stack starts with a frame ``CPU n`` naming the CPU it was sampled
    on, so flamegraph.pl draws one tower per CPU side by side and the widths still add up to all samples.
    (To merge the CPUs into one tower, strip the first frame: ``sed 's/^CPU [0-9]*;//'``; flamegraph.pl adds
    up identical stacks.) Lines are sorted, as stackcollapse scripts sort them, so the text is deterministic.
    """
    lines = []
    for cpu, samples in sorted(samples_by_cpu.items()):
        for stack, n in samples.items():
            if n:
                lines.append(";".join((_cpu_frame(cpu),) + tuple(stack)) + f" {n}")
    lines.sort()
    return "".join(line + "\n" for line in lines)


def speedscope(samples_by_cpu: dict[int, dict[tuple[str, ...], int]], name: str = "tcpsim") -> dict:
    """A speedscope file (as a dict, ``json.dump`` it) with one sampled profile per CPU.

    Frames are shared between the profiles; each distinct stack is one sample weighted by its count, in unit
    ``none`` (a weight counts pmcstat samples, not time). Stacks are in a fixed order (heaviest first, then
    by name), so the file is deterministic.
    """
    frames: dict[str, int] = {}
    profiles = []
    for cpu, samples in sorted(samples_by_cpu.items()):
        stacks = sorted(((s, n) for s, n in samples.items() if n), key=lambda sn: (-sn[1], sn[0]))
        total = sum(n for _, n in stacks)
        profiles.append({
            "type": "sampled", "name": _cpu_frame(cpu), "unit": "none", "startValue": 0, "endValue": total,
            "samples": [[frames.setdefault(f, len(frames)) for f in s] for s, _ in stacks],
            "weights": [n for _, n in stacks],
        })
    return {
        "$schema": SPEEDSCOPE_SCHEMA,
        "shared": {"frames": [{"name": f} for f in frames]},
        "profiles": profiles,
        "name": name,
        "activeProfileIndex": 0,
        "exporter": f"tcpsim {__version__}",
    }


def _color(name: str) -> tuple[float, float, float]:
    """flamegraph.pl's warm palette (red to yellow), chosen by a hash of the name so colours are stable;
    lock slow paths in blue so spinning stands out, user-space frames in green."""
    h = (zlib.crc32(name.encode()) & 0xFFFF) / 0xFFFF
    if name.startswith("__rw_") or name.startswith("__mtx_") or name.startswith("_rw_") or "turnstile" in name:
        return (0.35, 0.55 + 0.2 * h, 0.9)
    if name.startswith("user:"):
        return (0.4 + 0.2 * h, 0.75, 0.35)
    return (0.9 + 0.1 * h, 0.35 + 0.5 * h, 0.1 + 0.15 * h)


def _layout(samples: dict[tuple[str, ...], int]):
    """Rectangles (depth, x0, width, name) of the merged tree: children sorted by name as flamegraph.pl does."""
    tree: dict = {}
    for stack, n in samples.items():
        node = tree
        for f in stack:
            entry = node.setdefault(f, [0, {}])
            entry[0] += n
            node = entry[1]
    rects = []

    def walk(node, depth, x):
        for name in sorted(node):
            count, children = node[name]
            if count:
                rects.append((depth, x, count, name))
                walk(children, depth + 1, x)
                x += count

    walk(tree, 0, 0)
    return rects


def flame_figure(samples: dict[tuple[str, ...], int], title: str = "", min_label: float = 0.04, dpi: int = 80):
    """A flame graph of one set of samples (root at the bottom, width = share of samples) as a matplotlib Figure.

    Frames narrower than ``min_label`` of the width are drawn but not labelled.
    """
    from matplotlib.patches import Rectangle

    from ..plots import subplots

    rects = _layout({s: n for s, n in samples.items() if n})
    total = sum(n for n in samples.values())
    depth = 1 + max((d for d, *_ in rects), default=0)
    fig, ax = subplots(figsize=(11, 0.28 * depth + 0.9), dpi=dpi)
    for d, x, w, name in rects:
        ax.add_patch(Rectangle((x, d), w, 0.95, facecolor=_color(name), edgecolor="white", linewidth=0.4))
        if total and w / total >= min_label:
            label = name if len(name) * 0.0065 * total < w else name[: max(1, int(w / total / 0.0065) - 2)] + ".."
            ax.text(x + 0.004 * total, d + 0.45, label, va="center", ha="left", fontsize=7, clip_on=True)
    ax.set_xlim(0, max(total, 1))
    ax.set_ylim(0, depth)
    ax.set_yticks([])
    ax.set_xlabel(f"pmcstat samples ({total:,} in all; width = share)")
    ax.set_title(title, fontsize=10)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig
