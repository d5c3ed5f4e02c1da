"""``tcpsim plot``: a figure of a results file written by sweep or compare."""
from __future__ import annotations

from ..errors import TcpsimError


def add_plot(sub):
    pl = sub.add_parser("plot", help="connections/s against queue count per variant, with 95%% confidence bands, "
                                     "from a results file of sweep or compare")
    pl.add_argument("results", help="results file written by sweep or compare -o (.parquet or .csv)")
    pl.add_argument("-o", "--output", required=True, metavar="FILE.png", help="image to write (.png, .svg, .pdf)")


def cmd_plot(args, out, err) -> int:
    from .. import plots, results_file

    plots.check_path(args.output)
    rows = results_file.read(args.results)
    if not rows:
        raise TcpsimError(f"{args.results}: holds no runs; allowed: a results file of sweep or compare -o")
    plots.save(plots.scaling(rows), args.output)
    out.write(f"wrote {args.output} ({len(rows)} runs)\n")
    return 0
