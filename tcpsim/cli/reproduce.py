"""``tcpsim reproduce``: the article's configurations against its figures."""
from __future__ import annotations

import json
import time
from contextlib import closing

from ..progress import for_terminal
from ..reproduce import LOADS
from . import options


def add_reproduce(sub):
    rp = sub.add_parser("reproduce", help="measure the article's machines at their capacity and compare with its "
                                          "figures")
    options.common(rp, "the scenarios'")
    rp.add_argument("--load", choices=LOADS, default="capacity",
                    help="what is judged: each machine at its capacity (the highest open-loop rate that holds "
                         "`tcpsim capacity`'s default rule, as the article measured) or the scenarios' closed "
                         "loops (default: %(default)s; the other column shows the closed loops either way)")
    rp.add_argument("--jobs", type=options.jobs, default=1, help="the machines in parallel local processes "
                                                                 "(default: 1)")
    rp.add_argument("--seeds", type=options.seeds, metavar="N|S1,S2,...",
                    help="run every machine with N seeds (--seed or the scenarios' seed and the N-1 after it) or "
                         "the listed seeds; a capacity holds only if it held for every seed; each row shows the "
                         "mean ± the half-width of its 95%% confidence interval and is within tolerance only if "
                         "every seed was; default: one seed")
    rp.add_argument("--hardware", type=options.hardware_setting, action="append", metavar="KEY=VALUE",
                    help="also measure the four machines with this [hardware] key changed (repeatable; e.g. "
                         "threads_per_core=2: the article's machine with HT on, CPUs 0-1, 2-3, ... one core each) "
                         "and print both tables side by side; --strict judges the machines as shipped")
    rp.add_argument("--strict", action="store_true",
                    help="exit with status 1 when a judged figure is out of tolerance and not a listed known gap "
                         "(default: 0 whenever it ran)")
    options.quiet(rp)


def cmd_reproduce(args, out, err) -> int:
    from dataclasses import asdict

    from ..reproduce import format_capacities, format_known_gaps, format_rows, paper_paths, reproduce

    options.check_seeds(args)
    hardware = options.hardware_settings(args.hardware)
    if hardware:
        paper_paths(seed=args.seed, duration_s=args.duration, hardware=hardware)  # before the first of two runs
    t0 = time.perf_counter()
    runs = [None, hardware] if hardware else [None]
    done = []
    with closing(for_terminal(err, args.quiet, unit="machine")) as progress:
        for hw in runs:
            done.append(reproduce(args.seed, args.duration, args.engine, progress=progress, jobs=args.jobs,
                                  seeds=args.seeds, load=args.load, hardware=hw))
    rows, machines = done[0]
    wall = round(time.perf_counter() - t0, 2)
    if hardware:
        return _side_by_side(args, out, done, hardware, wall)
    missed = [r for r in rows if r.ok is False and not r.known_gap]
    status = 1 if args.strict and missed else 0
    if args.json:
        out.write(json.dumps({"load": args.load, "rows": [asdict(r) for r in rows], "wall_s": wall,
                              "machines": {name: {"capacity_cps": m.capacity_cps, "rule": m.rule,
                                                  "probes": [asdict(p) for p in m.probes],
                                                  "result": m.runs[0][0], "closed": m.closed[0][0]}
                                           for name, m in machines.items()}}, indent=1) + "\n")
        return status
    judged = [r for r in rows if r.ok is not None]
    known = sum(1 for r in judged if r.known_gap)
    parts = [format_rows(rows), format_capacities(machines), format_known_gaps(rows),
             f"{sum(r.ok for r in judged)} of {len(judged)} figures within tolerance ({known} known "
             f"gap{'s' * (known != 1)}, {len(rows) - len(judged)} not judged); {wall} s of wall time"]
    out.write("\n\n".join(p for p in parts if p) + "\n")
    return status


def _side_by_side(args, out, done, hardware, wall) -> int:
    """The machines as shipped and with ``hardware`` changed, one table; --strict judges the first."""
    from dataclasses import asdict

    from ..reproduce import format_capacities_side_by_side, format_side_by_side

    (rows, machines), (other, other_machines) = done
    label = ", ".join(f"{k}={v}" for k, v in hardware.items())
    missed = [r for r in rows if r.ok is False and not r.known_gap]
    status = 1 if args.strict and missed else 0
    if args.json:
        out.write(json.dumps({"load": args.load, "hardware": hardware, "wall_s": wall,
                              "rows": [asdict(r) for r in rows], "rows_with_hardware": [asdict(r) for r in other],
                              "capacity_cps": {n: m.capacity_cps for n, m in machines.items()},
                              "capacity_cps_with_hardware": {n: m.capacity_cps for n, m in other_machines.items()}},
                             indent=1) + "\n")
        return status
    judged = [(a, b) for a, b in zip(rows, other) if a.ok is not None]
    moved = sum(1 for a, b in judged if a.model != b.model)
    parts = [format_side_by_side(rows, other, label), format_capacities_side_by_side(machines, other_machines, label),
             f"as shipped: {sum(a.ok for a, _ in judged)} of {len(judged)} judged figures within tolerance; with "
             f"{label}: {sum(bool(b.ok) for _, b in judged)}; {moved} of them moved; {wall} s of wall time"]
    out.write("\n\n".join(p for p in parts if p) + "\n")
    return status
