"""``tcpsim witness``: the lock-order graph of a variant and its reversals, as FreeBSD's WITNESS reports them."""
from __future__ import annotations

import json
from pathlib import Path

from .. import kernels, scenario, witness
from ..errors import TcpsimError


def add_witness(sub):
    w = sub.add_parser("witness", help="lock-order graph and reversals of a variant (or of a scenario's variant)",
                       epilog="exit status: 0 no reversal; 1 a lock order reversal or an rwlock upgrade was found; "
                              "2 a usage error")
    w.add_argument("variant", help="built-in variant(s) joined with +, or a scenario TOML file")
    w.add_argument("--kernel", default=kernels.DEFAULT_KERNEL, choices=tuple(kernels.MODULES),
                   help="the kernel whose built-in variants these are (a scenario file names its own)")
    w.add_argument("--dot", help="also write the graph as Graphviz DOT to this file")
    w.add_argument("--json", action="store_true", help="print the graph and reversals as JSON (default: text)")


def cmd_witness(args, out, err) -> int:
    from ..model import variants

    if args.variant.endswith(".toml"):
        model = scenario.load(args.variant)
        paths, locks, name, kernel = model.paths, model.locks, model.variant, model.kernel_name
    else:
        kernel = args.kernel
        try:
            paths, locks = variants.build(args.variant, kernel=kernel)
        except variants.PatchError as e:
            raise TcpsimError(f"witness {args.variant}: {e}") from None
        name = args.variant
    edges = witness.static_edges(paths, locks)
    cycles = witness.reversals(edges, kernels.package(kernel).documented_order)
    upgrades = witness.upgrades(paths, locks)
    status = 1 if cycles or upgrades else 0  # as a check in a script: 1 when the variant would deadlock
    if args.dot:
        try:
            Path(args.dot).write_text(witness.to_dot(edges, cycles))
        except OSError as e:
            raise TcpsimError(f"--dot {args.dot}: cannot write ({e.strerror})") from None
    if args.json:
        out.write(json.dumps({"variant": name, "edges": witness.edges_as_data(edges),
                              "reversals": [witness.edges_as_data({(e.first, e.second): e for e in c})
                                            for c in cycles]}, indent=1) + "\n")
        return status
    out.write(f"WITNESS: variant {name}\n{witness.format_graph(edges)}\n\n")
    for e in upgrades:
        out.write(f"rwlock upgrade (self-deadlock): {e.first} R @ {e.first_site}, then W @ {e.second_site} "
                  f"(path {e.path})\n")
    if cycles:
        out.write("\n\n".join(witness.format_reversal(c) for c in cycles) + "\n")
    else:
        out.write("no lock order reversals\n")
    return status
