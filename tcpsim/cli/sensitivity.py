"""``tcpsim sensitivity``: goodput's change when each CPU cost moves by ±delta, as a table and a tornado plot."""
from __future__ import annotations

import json
from contextlib import closing

from ..errors import TcpsimError
from ..progress import for_terminal
from . import options


def add_sensitivity(sub):
    se = sub.add_parser("sensitivity", help="goodput change for +-20%% of each CPU cost, as a table and a tornado plot")
    se.add_argument("scenario")
    se.add_argument("--params", help="comma-separated cost names (default: every CPU cost of the costs file)")
    se.add_argument("--delta", type=options.positive, default=0.2, help="relative change of each cost (default 0.2)")
    se.add_argument("--plot", help="write a tornado plot to this file (.png, .svg, .pdf)")
    se.add_argument("--jobs", type=options.jobs, default=1, help="runs in parallel local processes (default: 1)")
    options.common(se)
    options.quiet(se)


def cmd_sensitivity(args, out, err) -> int:
    from ..plots import check_path
    from ..sensitivity import format_table, sensitivity, tornado

    if args.delta >= 1:
        raise TcpsimError(f"--delta: {args.delta}: must be between 0 and 1")
    if args.plot:
        check_path(args.plot, "--plot")
    params = [p.strip() for p in args.params.split(",") if p.strip()] if args.params else None
    with closing(for_terminal(err, args.quiet)) as progress:
        result = sensitivity(args.scenario, params, args.delta, args.seed, args.duration, args.engine, args.jobs,
                             progress=progress)
    if args.plot:
        tornado(result, args.plot)
    out.write(json.dumps(result, indent=1) + "\n" if args.json else format_table(result) + "\n")
    return 0
