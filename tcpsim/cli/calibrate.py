"""``tcpsim calibrate``: fit the cost groups to the baseline targets and write a costs file and a report."""
from __future__ import annotations

import json
import time
from contextlib import closing

from ..progress import for_terminal
from . import options


def add_calibrate(sub):
    ca = sub.add_parser("calibrate", help="fit cost groups to baseline targets; write a costs file and a report")
    ca.add_argument("--targets", default="tcpsim/data/targets_baseline.toml",
                    help="targets file (default: the article's Figures 2-5, tcpsim/data/targets_baseline.toml)")
    ca.add_argument("--costs", default="tcpsim/data/freebsd10_prior.toml", help="prior costs file to start from")
    ca.add_argument("--out", default="tcpsim/data/freebsd10.toml", help="costs file to write")
    ca.add_argument("--jobs", type=options.jobs, default=1,
                    help="target scenarios run in parallel processes (default: 1)")
    options.engine(ca)
    ca.add_argument("--json", action="store_true", help="print the report as JSON (default: text)")
    options.quiet(ca)


def cmd_calibrate(args, out, err) -> int:
    from ..calibrate import calibrate, format_report, write_costs

    t0 = time.perf_counter()
    with closing(for_terminal(err, args.quiet)) as progress:
        result = calibrate(args.targets, args.costs, args.jobs, progress=progress, engine=args.engine)
    command = f"tcpsim calibrate --targets {args.targets} --costs {args.costs} --out {args.out}"
    write_costs(result, args.out, command)
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    if args.json:
        out.write(json.dumps({k: v for k, v in result.items() if k != "costs"}, indent=1) + "\n")
    else:
        out.write(format_report(result) + f"\n\nwrote {args.out} ({result['wall_s']} s)\n")
    return 0
