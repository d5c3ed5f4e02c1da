"""``tcpsim compare`` and ``tcpsim sweep``: many runs of one scenario (variants x queues, or a grid of scenario
keys), each point over one or more seeds, as a table of means ± confidence intervals, optionally kept in a
results file that later runs resume from."""
from __future__ import annotations

import argparse
import json
import time
from contextlib import closing
from pathlib import Path

from .. import scenario
from ..errors import TcpsimError, did_you_mean
from ..progress import for_terminal
from ..results_file import check_path
from ..rss import RSS_QUEUES
from . import options


def _replications(p):
    """The options sweep and compare share beyond options.common: seeds, parallelism, results file, progress."""
    options.parallel(p, "the scenario's seed")
    p.add_argument("-o", "--output", metavar="RESULTS",
                   help="also write one row per run (point keys, variant, queues, seed, every number, scenario "
                        "name, path and sha256, engine, version, code revision) to this Parquet or CSV file, each "
                        "run as it finishes; rerun with the same file to resume (the runs it holds are not run "
                        "again) or to add variants, points or seeds of the same scenario, engine, window and --set "
                        "keys to it")
    p.add_argument("--resume-across-revisions", action="store_true",
                   help="keep and reuse the runs of an -o file written by another code revision (git describe; "
                        "default: refuse, as the model's numbers may differ)")
    options.quiet(p)


def add_compare(sub):
    c = sub.add_parser("compare", help="variants x queue counts (x kernels) on one scenario: connections/s, interrupt "
                                       "CPU, top lock")
    c.add_argument("scenario")
    c.add_argument("--variants", required=True, help="comma-separated variants, each built-in names joined with +")
    c.add_argument("--queues", type=options.int_list,
                   help="comma-separated receive queue counts (default: the scenario's); interrupt threads go to CPUs "
                        "0..q-1 and the application moves after them where they would collide, growing the "
                        "machine if needed (the cpus column, and a warning)")
    _kernels(c)
    options.common(c)
    _replications(c)
    options.allow_lor(c)


def add_sweep(sub):
    sw = sub.add_parser("sweep", help="a grid of scenario keys (and variants) on one scenario: one summary row per run")
    sw.add_argument("scenario")
    sw.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUES", dest="sets",
                    help="a scenario key and the values to sweep, as TOML: a value or an array "
                         "(clients.rate=[50000, 54000]); repeat for a grid")
    sw.add_argument("--variants", help="comma-separated variants to run at every point (default: the scenario's)")
    _kernels(sw)
    sw.add_argument("--cores", type=options.int_list, metavar="N,N,...",
                    help="comma-separated core counts to run every point at: the application on the first N CPUs, "
                         "one worker per core, the accept thread on CPU 0, a receive queue per core up to the "
                         "kernel's driver's limit, the CPUs past N idle (a cores column)")
    options.common(sw)
    _replications(sw)
    options.allow_lor(sw)


# the keys a --cores count sets (placement.core_overrides)
CORE_KEYS = (("hardware", "queues"), ("hardware", "queue_cpus"), ("app", "accept_cpu"), ("app", "worker_cpus"))


def _kernels(p):
    p.add_argument("--kernels", type=_kernel_names, metavar="KERNELS",
                   help="comma-separated kernels to run every point on (e.g. freebsd10,linux310; default: the "
                        "scenario's [scenario] kernel); each overrides the file's, its own defaults apply and each "
                        "variant must exist for it; the table then shows the CPU split (intr/si%%: FreeBSD's interrupt "
                        "time, Linux's softirq time)")


def _kernel_names(text):
    from ..kernels import MODULES as KERNELS

    names = [k.strip() for k in text.split(",") if k.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected kernel names like {','.join(KERNELS)}")
    for name in names:
        if name not in KERNELS:
            raise argparse.ArgumentTypeError(f"unknown kernel {name!r}{did_you_mean(name, KERNELS)}; allowed: "
                                             f"{', '.join(KERNELS)}")
    if len(set(names)) < len(names):
        raise argparse.ArgumentTypeError(f"{text!r} names a kernel twice; allowed: each once")
    return names


def _variant_names(text):
    names = [v.strip() for v in text.split(",") if v.strip()]
    if not names:
        raise TcpsimError("--variants: expected names like baseline,rlock")
    return names


def _check_replications(args):
    """The up-front checks of the options _replications adds (before the scenario is read)."""
    if args.output:
        check_path(args.output)
    if args.resume_across_revisions and not args.output:
        raise TcpsimError("--resume-across-revisions: resumes an -o results file; allowed: with -o RESULTS")
    options.check_parallel(args)


def _replicated(args, err, run, format_table, out, footnote=""):
    """Run sweep's or compare's ``run(progress)`` with a progress bar; print the table of points (mean ± CI
    over seeds) or JSON of runs and points; warn on stderr when runs had to grow the machine."""
    from ..placement import grown
    from ..results_file import read
    from ..sweep import by_point, heading

    t0 = time.perf_counter()
    with closing(for_terminal(err, args.quiet)) as progress:
        rows = run(progress)
    wall = round(time.perf_counter() - t0, 2)
    warning = grown(rows, scenario.parse(Path(args.scenario).read_text(), args.scenario)["hardware"]["cpus"])
    if warning and not args.quiet:
        err.write(f"tcpsim: warning: {warning}\n")
    points = by_point(rows)
    if args.json:
        out.write(json.dumps({"rows": rows, "points": points, "wall_s": wall}, indent=1) + "\n")
        return 0
    seeds = len(points[0]["seeds"]) if points else 0
    details = ([f"{options.counted(len(points), 'point')} x {seeds} seeds; ± is the 95% confidence interval's "
                "half-width"] if seeds > 1 else [])
    if args.output and progress.total != len(rows):
        details.append(f"{len(rows) - progress.total} already in {args.output}, not run again")
    held = len(read(args.output)) if args.output else len(rows)
    if held > len(rows):  # the file grew: it keeps the runs of earlier sweeps too
        details.append(f"{args.output} holds {held} runs in all")
    details = f" ({'; '.join(details)})" if details else ""
    out.write(heading(rows) + "\n\n" + format_table(points)
              + f"\n\n{options.counted(len(rows), 'run')}{details} in {wall} s of wall time\n")
    if footnote:
        out.write(footnote + "\n")
    return 0


def cmd_compare(args, out, err) -> int:
    from ..compare import compare, format_table

    names = _variant_names(args.variants)
    if args.queues and not all(1 <= q <= RSS_QUEUES for q in args.queues):  # (the kernel's driver: the scenario)
        raise TcpsimError(f"--queues: {args.queues}: each must be 1 to {RSS_QUEUES} (the 82599's RSS queues)")
    _check_replications(args)
    return _replicated(args, err, lambda progress: compare(
        args.scenario, names, args.queues, args.seed, args.duration, args.engine, args.jobs or 1, args.allow_lor,
        args.kernels, seeds=args.seeds, output=args.output, progress=progress, scheduler=args.scheduler,
        across_revisions=args.resume_across_revisions), format_table, out)


def cmd_sweep(args, out, err) -> int:
    from ..placement import follows_queues
    from ..sweep import format_table, parse_set, sweep

    if not args.sets:
        raise TcpsimError("sweep: nothing to sweep; allowed: one or more --set SECTION.KEY=VALUES")
    sets = [parse_set(t) for t in args.sets]
    names = _variant_names(args.variants) if args.variants else None
    if names and any((s, k) == ("scenario", "variant") for s, k, _v in sets):
        raise TcpsimError("--set scenario.variant and --variants both choose variants; allowed: one of them")
    if args.seeds is not None and any((s, k) == ("run", "seed") for s, k, _v in sets):
        raise TcpsimError("--set run.seed and --seeds both choose seeds; allowed: one of them")
    if args.kernels and any((s, k) == ("scenario", "kernel") for s, k, _v in sets):
        raise TcpsimError("--set scenario.kernel and --kernels both choose kernels; allowed: one of them")
    placed = [f"{s}.{k}" for s, k, _v in sets if (s, k) in CORE_KEYS]
    if args.cores and placed:  # the point's key would win over the core count's placement
        raise TcpsimError(f"--set {placed[0]} and --cores both place the application; allowed: one of them")
    _check_replications(args)
    given = {}
    for section, key, values in sets:
        given.setdefault(section, {})[key] = values
    footnote = ("hardware.queues: each queue count puts its interrupt threads on CPUs 0..q-1 and moves the application "
                "to the CPUs after them where they would collide, as compare does" if follows_queues(given) else
                "cores: N cores run the application on CPUs 0..N-1, one worker per core and the accept thread on CPU 0, "
                "with a receive queue per core up to the kernel's driver's limit; the other CPUs idle" if args.cores
                else "")
    return _replicated(args, err, lambda progress: sweep(
        args.scenario, sets, names, args.seed, args.duration, args.engine, args.jobs or 1, args.allow_lor,
        kernels=args.kernels, cores=args.cores, seeds=args.seeds, output=args.output, progress=progress,
        scheduler=args.scheduler, across_revisions=args.resume_across_revisions), format_table, out, footnote)
