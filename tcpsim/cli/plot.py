"""``tcpsim plot``: a chart of one or more results files written by sweep or compare."""
from __future__ import annotations

from .options import counted


def add_plot(sub):
    from ..plots import Y_LABELS

    pl = sub.add_parser("plot", help="a number (default connections/s) against a swept key, a line per variant or "
                                     "other swept key, with 95%% confidence bands, from results files of sweep or "
                                     "compare")
    pl.add_argument("results", nargs="+", help="results files written by sweep or compare -o (.parquet or .csv), "
                                               "of one scenario, engine, window and --set keys")
    pl.add_argument("-o", "--output", required=True, metavar="FILE.png", help="image to write (.png, .svg, .pdf)")
    pl.add_argument("--x", metavar="KEY", help="what goes on the x axis: a swept key (clients.rate), queues, or "
                                               "offered_cps (measured); default: the swept key that varies")
    pl.add_argument("--series", metavar="KEY", help="the key whose values are the lines' colours (default: variant "
                                                    "if it varies, else the first other key that varies; every "
                                                    "other varying key gets its own line style)")
    pl.add_argument("--y", default="goodput_cps", choices=list(Y_LABELS), metavar="NUMBER",
                    help=f"what goes on the y axis (default goodput_cps; choices: {', '.join(Y_LABELS)})")


def cmd_plot(args, out, err) -> int:
    from .. import plots, results_file

    plots.check_path(args.output)
    rows = results_file.read_many(args.results, "results file")  # errors blame the input, not -o
    x, lines = plots.choose_axes(rows, args.x, args.series)
    plots.save(plots.scaling(rows, x, args.series, args.y), args.output)
    files = f" from {len(args.results)} files" if len(args.results) > 1 else ""
    out.write(f"wrote {args.output} ({counted(len(rows), 'run')}{files}; x: {x}; lines: {', '.join(lines) or 'one line'})\n")
    return 0
