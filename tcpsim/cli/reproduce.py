"""``tcpsim reproduce``: the article's configurations against its figures."""
from __future__ import annotations

import json
import time
from contextlib import closing

from ..progress import for_terminal
from . import options


def add_reproduce(sub):
    rp = sub.add_parser("reproduce", help="run the article's configurations and compare with its figures")
    options.common(rp, "the scenarios'")
    rp.add_argument("--jobs", type=options.jobs, default=1, help="the runs in parallel local processes (default: 1)")
    rp.add_argument("--seeds", type=options.seeds, metavar="N|S1,S2,...",
                    help="run every machine with N seeds (--seed or the scenarios' seed and the N-1 after it) or "
                         "the listed seeds; each row shows the mean ± the half-width of its 95%% confidence "
                         "interval and is within tolerance only if every seed was; default: one seed")
    rp.add_argument("--strict", action="store_true",
                    help="exit with status 1 when a judged figure is out of tolerance (default: 0 whenever it ran)")
    options.quiet(rp)


def cmd_reproduce(args, out, err) -> int:
    from dataclasses import asdict

    from ..reproduce import format_rows, reproduce

    options.check_seeds(args)
    t0 = time.perf_counter()
    with closing(for_terminal(err, args.quiet)) as progress:
        rows, runs = reproduce(args.seed, args.duration, args.engine, progress=progress, jobs=args.jobs,
                               seeds=args.seeds)
    wall = round(time.perf_counter() - t0, 2)
    if args.json:
        out.write(json.dumps({"rows": [asdict(r) for r in rows], "wall_s": wall,
                              "runs": {k: v[0] for k, v in runs.items()}}, indent=1) + "\n")
        return 1 if args.strict and not all(r.ok for r in rows if r.ok is not None) else 0
    out.write(format_rows(rows) + "\n")
    judged = [r for r in rows if r.ok is not None]
    out.write(f"\n{sum(r.ok for r in judged)} of {len(judged)} figures within tolerance "
              f"({len(rows) - len(judged)} not judged); {wall} s of wall time\n")
    return 1 if args.strict and not all(r.ok for r in judged) else 0
