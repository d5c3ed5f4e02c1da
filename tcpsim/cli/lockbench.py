"""``tcpsim lockbench``: the lock microbenchmark over thread counts and lock classes on one machine
(``tcpsim/lockbench.py``): a table of acquisitions/s, speedup over one thread, wait per acquisition and spinning,
and optionally the speedup curves as lock-scaling papers draw them."""
from __future__ import annotations

import argparse
import json
import time
from contextlib import closing

from ..errors import TcpsimError
from ..progress import for_terminal
from . import options


def _classes(text):
    names = [c.strip() for c in text.split(",") if c.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected class names like adaptive,ticket, got {text!r}")
    return names


def _mean(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= v < 1e12:  # (nan fails it too)
        raise argparse.ArgumentTypeError(f"must be 0 to 1e12, got {text}")
    return v


def add_lockbench(sub):
    from ..lockbench import DEFAULT_MACHINE, DEFAULT_THREADS, DURATION_S, UNITS, WARMUP_S, Workload
    from ..machines import shipped
    from ..model.bench import MODES
    from ..model.steps import DISTRIBUTIONS

    w = Workload()
    p = sub.add_parser("lockbench", help="lock microbenchmark: N threads loop think -> lock -> critical section -> "
                                         "unlock; acquisitions/s and speedup against threads, per lock class")
    p.add_argument("--machine", default=DEFAULT_MACHINE,
                   help=f"a shipped machine ({', '.join(shipped())}) or a machine file's path (default: "
                        f"{DEFAULT_MACHINE})")
    p.add_argument("--threads", type=options.int_list, metavar="N,N,...",
                   help=f"thread counts to run (default: {','.join(map(str, DEFAULT_THREADS))}, those the machine "
                        "has CPUs for); one thread per CPU, pinned, on CPUs 0..N-1 in CPU-id order unless --cpus says "
                        "otherwise; 1 thread is always run too (speedup divides by it)")
    p.add_argument("--cpus", type=options.cpu_list, metavar="LIST",
                   help="the CPUs threads go on, in order: thread i on the i-th (cpuset's syntax, e.g. 0-11,24-35; "
                        "default: every CPU in id order, which on the shipped machines fills a socket before the next)")
    p.add_argument("--classes", type=_classes, metavar="NAME,...",
                   help="lock classes to compare (tcpsim/model/lockclasses.py; default: every class that can take "
                        "the --mode)")
    p.add_argument("--mode", choices=MODES, default=w.mode,
                   help=f"how each thread takes the lock: W (exclusive: a mutex, or an rwlock's write side) or R "
                        f"(shared: an rwlock's read side) (default: {w.mode})")
    p.add_argument("--think", type=_mean, default=w.think, metavar="MEAN",
                   help=f"mean time between a release and the next acquisition, in --units (default: {w.think:g})")
    p.add_argument("--critical-section", type=_mean, default=w.critical, metavar="MEAN",
                   help=f"mean time the lock is held, in --units (default: {w.critical:g})")
    p.add_argument("--distribution", choices=DISTRIBUTIONS, default=w.dist,
                   help=f"of both times: exponential draws of the mean, or the mean itself (default: {w.dist})")
    p.add_argument("--units", choices=UNITS, default=w.units,
                   help="of --think and --critical-section: ns, or cycles of the machine's clock (its cpu_ghz) "
                        f"(default: {w.units})")
    p.add_argument("--seed", type=options.seed, default=1, help="seed of every random stream (default: 1)")
    p.add_argument("--duration", type=options.schema_option("run", "duration_s"), default=DURATION_S,
                   help=f"measured window in simulated seconds (default: {DURATION_S:g})")
    p.add_argument("--warmup", type=options.schema_option("run", "warmup_s"), default=WARMUP_S,
                   help=f"simulated seconds before the window, not measured (default: {WARMUP_S:g})")
    options.engine(p)
    options.parallel(p, "1")
    p.add_argument("--plot", metavar="FILE", help="also draw speedup against threads, one line per class "
                                                  "(.png, .svg or .pdf; needs tcpsim[plot])")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text (default: text)")
    options.quiet(p)


def cmd_lockbench(args, out, err) -> int:
    from .. import lockbench as lb

    options.check_parallel(args)
    if args.plot:
        from ..plots import check_path

        check_path(args.plot, "--plot")
    if args.threads is not None and not args.threads:
        raise TcpsimError("--threads: expected counts like 1,2,4")
    workload = lb.Workload(args.think, args.critical_section, args.units, args.distribution, args.mode)
    tasks = lb.plan(args.machine, args.threads, args.classes, workload, args.seed, args.seeds, args.duration,
                    args.warmup, args.engine, args.cpus)
    t0 = time.perf_counter()
    with closing(for_terminal(err, args.quiet)) as progress:
        rows = lb.run(tasks, args.jobs or 1, args.scheduler, progress)
    wall = round(time.perf_counter() - t0, 2)
    points = lb.by_point(rows)
    if args.plot:
        from ..plots import lock_scaling, save

        save(lock_scaling(points, lb.heading(tasks)), args.plot, "--plot")
    if args.json:
        out.write(json.dumps({"heading": lb.heading(tasks), "rows": rows, "points": points, "wall_s": wall},
                             indent=1) + "\n")
        return 0
    seeds = len(points[0]["seeds"])
    ci = f"; ± is the 95% confidence interval's half-width over {seeds} seeds" if seeds > 1 else ""
    out.write(f"{lb.heading(tasks)}\n\n{lb.format_table(points)}\n\n"
              f"{options.counted(len(rows), 'run')} in {wall} s of wall time{ci}\n")
    return 0
