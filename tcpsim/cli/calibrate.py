"""``tcpsim calibrate``: fit the cost groups to the baseline targets and write a costs file and a report."""
from __future__ import annotations

import json
import time
from contextlib import closing
from pathlib import Path

from ..costs import default_costs_path
from ..errors import TcpsimError
from ..progress import for_terminal
from . import options


def add_calibrate(sub):
    ca = sub.add_parser("calibrate", help="fit cost groups to baseline targets; write a costs file and a report")
    ca.add_argument("--targets", help="targets file (default: the article's Figures 2-5, the package's "
                                      "data/targets_baseline.toml)")
    ca.add_argument("--costs", help="prior costs file to start from (default: the package's "
                                    "data/freebsd10_prior.toml)")
    where = ca.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", help="costs file to write")
    where.add_argument("--in-place", action="store_true",
                       help="rewrite the shipped costs file, the package's data/freebsd10.toml, that every "
                            "scenario uses by default")
    ca.add_argument("--jobs", type=options.jobs, default=1,
                    help="target scenarios run in parallel processes (default: 1)")
    options.engine(ca)
    ca.add_argument("--json", action="store_true", help="print the report as JSON (default: text)")
    options.quiet(ca)


def _destination(args) -> Path:
    """Where the fitted costs go: --out, which may not be the shipped file, or that file with --in-place."""
    shipped = default_costs_path()
    if args.in_place:
        return shipped
    out = Path(args.out)
    if out.resolve() == shipped.resolve():
        raise TcpsimError(f"--out {args.out}: is the shipped costs file every scenario uses; allowed: another "
                          "file, or --in-place to rewrite it")
    options.output_file(args.out, "--out")
    return out


def cmd_calibrate(args, out, err) -> int:
    from ..calibrate import PRIOR, TARGETS, calibrate, format_report, write_costs

    destination = _destination(args)
    t0 = time.perf_counter()
    with closing(for_terminal(err, args.quiet)) as progress:
        result = calibrate(args.targets or TARGETS, args.costs or PRIOR, args.jobs, progress=progress,
                           engine=args.engine)
    # the command that regenerates the file, as its header says: only what was given (defaults hold anywhere)
    given = [f"--{name} {value}" for name, value in (("targets", args.targets), ("costs", args.costs)) if value]
    command = " ".join(["tcpsim calibrate", *given, "--in-place" if args.in_place else f"--out {args.out}"])
    write_costs(result, destination, command)
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    if args.json:
        out.write(json.dumps({k: v for k, v in result.items() if k != "costs"}, indent=1) + "\n")
    else:
        out.write(format_report(result) + f"\n\nwrote {destination} ({result['wall_s']} s)\n")
    return 0
