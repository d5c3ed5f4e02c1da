"""Command line: ``tcpsim run | report | reproduce | witness | compare | sweep | plot | sensitivity | calibrate``.

``main(argv) -> int`` is a thin layer over the library and never calls ``sys.exit``; a user's mistake
(``TcpsimError``) is one line on stderr and status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import closing
from pathlib import Path

from . import __version__, scenario, witness
from .engines import DEFAULT_ENGINE, ENGINES
from .errors import REPORT_TO, TcpsimError
from .observe.clauses import Clause
from .observe.probes import Probes
from .observe.results import (format_lock_view, format_profile_view, format_summary, format_top_view,
                              format_vmstat_view)
from .progress import for_terminal
from .results_file import check_path
from .simulate import overrides, run_model


class UsageError(TcpsimError):
    """A mistake on the command line, printed as argparse would: ``tcpsim run: error: argument ...``."""

    def __init__(self, prog, message):
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would exit itself; main() returns 2 instead
        raise UsageError(self.prog, message)


def _positive(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return v


def _integer(lo, hi, allowed):
    """An argparse type: an integer with lo <= v < hi (hi None: no upper bound)."""
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if v < lo or (hi is not None and v >= hi):
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text}")
        return v
    return parse


def _schema_option(section, key):
    """An argparse type for an option that overrides a scenario key: the value is checked against the
    schema's entry (``scenario.SCHEMA``, the one home of its type and range) before anything is read."""
    spec = scenario.SCHEMA[section][key]
    kind = "an integer" if spec.type is int else "a number"

    def parse(text):
        try:
            v = spec.type(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {kind}: {text!r}") from None
        if not spec.lo <= v <= spec.hi:
            bounds = f"{spec.lo} to {spec.hi}" if spec.type is int else f"{spec.lo:g} to {spec.hi:g}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {text}")
        return v
    return parse


_seed = _schema_option("run", "seed")
_jobs = _integer(1, None, ">= 1")


def _seeds(text):
    """--seeds: a count N (the first seed and the N-1 after it) or a comma list of seeds (1,5,9)."""
    parts = text.split(",")
    try:
        values = [_seed(x) for x in parts]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a count like 3 or seeds like 1,5,9 (each 0 to 2**63-1), "
                                         f"got {text!r}") from None
    if len(parts) == 1:
        if values[0] < 1:
            raise argparse.ArgumentTypeError(f"a count of seeds must be >= 1, got {text}")
        return values[0]
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"a seed is listed twice in {text!r}; allowed: distinct seeds")
    return values


def _int_list(text):
    try:
        values = [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 1,2,4, got {text!r}") from None
    return values


def _engine(p):
    p.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE,
                   help=f"simulation engine (default: {DEFAULT_ENGINE}, event for event the same run as simpy, the "
                        f"reference; choices: {', '.join(ENGINES)})")


def _common(p, what="the scenario's"):
    p.add_argument("--seed", type=_seed, help=f"seed of every random stream (default: {what})")
    p.add_argument("--duration", type=_schema_option("run", "duration_s"),
                   help=f"measured window in simulated seconds (default: {what})")
    _engine(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text (default: text)")


def _allow_lor(p):
    p.add_argument("--allow-lor", action="store_true",
                   help="run a variant even if WITNESS finds a lock order reversal (default: refuse it, exit 2)")


def _lock_rows(p):
    p.add_argument("--lock-rows", type=_integer(0, None, ">= 0"), default=12, metavar="N",
                   help="lock profile rows to show, by wait_total (default 12; 0: all)")


def _quiet(p):
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar and no warnings on stderr (the bar is drawn only when stderr is a terminal)")


def _replications(p):
    """The options sweep and compare share beyond _common: seeds, parallelism, results file, progress."""
    p.add_argument("--seeds", type=_seeds, metavar="N|S1,S2,...",
                   help="run every point with N seeds (--seed or the scenario's seed and the N-1 after it) or "
                        "with the listed seeds; the table shows each number's mean ± the half-width of its 95%% "
                        "confidence interval (Student t over the seeds); default: one seed")
    p.add_argument("--jobs", type=_jobs, help="runs in parallel local processes (default: 1)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a dask.distributed cluster: the address its 'dask scheduler' prints, e.g. "
                        "tcp://10.0.0.5:8786 (same numbers as a local run; needs tcpsim[dask] here and on the workers)")
    p.add_argument("-o", "--output", metavar="RESULTS",
                   help="also write one row per run (point keys, variant, queues, seed, every number, scenario "
                        "sha256, engine, version) to this Parquet or CSV file, each run as it finishes; rerun "
                        "with the same file to resume: the runs it holds are not run again")
    _quiet(p)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="tcpsim", description="Discrete-event model of FreeBSD 10's TCP connection rate on a multi-core server")
    p.add_argument("--version", action="version", version=f"tcpsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="run one scenario and print goodput, top -SHIPz, lock profile and pmcstat views")
    r.add_argument("scenario", help="scenario TOML file")
    _common(r)
    r.add_argument("--warmup", type=_schema_option("run", "warmup_s"),
                   help="warm-up in simulated seconds, 0 for none (default: the scenario's)")
    r.add_argument("--variant", help="locking variant, built-in names joined with + (default: the scenario's)")
    _allow_lor(r)
    r.add_argument("--profile-cpus", type=_int_list, help="CPUs whose pmcstat call graph to print (default: the interrupt CPUs)")
    r.add_argument("--probe", action="append", default=[], metavar="CLAUSE",
                   help="a DTrace-like clause 'PROBE [/PREDICATE/] [{ @[KEYS] = FUNC(VAR) }]' whose aggregation is "
                        "printed at the end, FUNC one of count, sum, avg, min, max, quantize, lquantize (e.g. "
                        "'tcp:::state-change /new == TIME_WAIT/ { @ = quantize(lifetime) }'); a bare PROBE pattern "
                        "counts firings by probe and lock/site/segment (repeatable; e.g. 'lockstat:::rw-spin')")
    _lock_rows(r)
    r.add_argument("--check", action="store_true",
                   help="test the invariants (connections, frames, CPU time, locks, lock profile) after every "
                        "event, not only at the end of the run (slow; default: at the end)")
    r.add_argument("--no-pmcstat", action="store_true",
                   help="leave out the pmcstat call graphs (text) and the sampled profile ('profile' in --json)")
    r.add_argument("--folded", metavar="FILE", help="also write the pmcstat samples of the --profile-cpus as folded "
                   "stacks (flamegraph.pl input; each stack starts with a 'CPU n' frame)")
    r.add_argument("--speedscope", metavar="FILE", help="also write the pmcstat samples of the --profile-cpus as a "
                   "speedscope JSON file (one sampled profile per CPU)")

    rep = sub.add_parser("report", help="run one scenario and write one self-contained HTML page: summary, top, "
                                        "vmstat -i, lock profile, pmcstat, CPU and lock plots, flame graphs")
    rep.add_argument("scenario", help="scenario TOML file")
    rep.add_argument("-o", "--output", required=True, metavar="FILE.html", help="HTML file to write")
    rep.add_argument("--seed", type=_seed, help="seed of every random stream (default: the scenario's)")
    rep.add_argument("--duration", type=_positive, help="measured window in simulated seconds (default: the scenario's)")
    rep.add_argument("--warmup", type=_positive, help="warm-up in simulated seconds (default: the scenario's)")
    rep.add_argument("--variant", help="locking variant, built-in names joined with + (default: the scenario's)")
    _engine(rep)
    rep.add_argument("--profile-cpus", type=_int_list,
                     help="CPUs whose call graph and flame graph to show (default: the interrupt CPUs)")
    _lock_rows(rep)
    _allow_lor(rep)

    rp = sub.add_parser("reproduce", help="run the article's configurations and compare with its figures")
    _common(rp, "the scenarios'")
    rp.add_argument("--jobs", type=_jobs, default=1, help="the runs in parallel local processes (default: 1)")
    rp.add_argument("--seeds", type=_seeds, metavar="N|S1,S2,...",
                    help="run every machine with N seeds (--seed or the scenarios' seed and the N-1 after it) or "
                         "the listed seeds; each row shows the mean ± the half-width of its 95%% confidence "
                         "interval and is within tolerance only if every seed was; default: one seed")
    rp.add_argument("--strict", action="store_true",
                    help="exit with status 1 when a judged figure is out of tolerance (default: 0 whenever it ran)")
    _quiet(rp)

    w = sub.add_parser("witness", help="lock-order graph and reversals of a variant (or of a scenario's variant)",
                       epilog="exit status: 0 no reversal; 1 a lock order reversal or an rwlock upgrade was found; "
                              "2 a usage error")
    w.add_argument("variant", help="built-in variant(s) joined with +, or a scenario TOML file")
    w.add_argument("--dot", help="also write the graph as Graphviz DOT to this file")
    w.add_argument("--json", action="store_true", help="print the graph and reversals as JSON (default: text)")

    c = sub.add_parser("compare", help="variants x queue counts on one scenario: connections/s, interrupt CPU, top lock")
    c.add_argument("scenario")
    c.add_argument("--variants", required=True, help="comma-separated variants, each built-in names joined with +")
    c.add_argument("--queues", type=_int_list,
                   help="comma-separated receive queue counts (default: the scenario's); interrupt threads go to CPUs "
                        "0..q-1 and the application moves after them where they would collide, growing the "
                        "machine if needed (the cpus column, and a warning)")
    _common(c)
    _replications(c)
    _allow_lor(c)

    sw = sub.add_parser("sweep", help="a grid of scenario keys (and variants) on one scenario: one summary row per run")
    sw.add_argument("scenario")
    sw.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUES", dest="sets",
                    help="a scenario key and the values to sweep, as TOML: a value or an array "
                         "(clients.rate=[50000, 54000]); repeat for a grid")
    sw.add_argument("--variants", help="comma-separated variants to run at every point (default: the scenario's)")
    _common(sw)
    _replications(sw)
    _allow_lor(sw)

    se = sub.add_parser("sensitivity", help="goodput change for +-20%% of each CPU cost, as a table and a tornado plot")
    se.add_argument("scenario")
    se.add_argument("--params", help="comma-separated cost names (default: every CPU cost of the costs file)")
    se.add_argument("--delta", type=_positive, default=0.2, help="relative change of each cost (default 0.2)")
    se.add_argument("--plot", help="write a tornado plot to this file (.png, .svg, .pdf)")
    se.add_argument("--jobs", type=_jobs, default=1, help="runs in parallel local processes (default: 1)")
    _common(se)
    _quiet(se)

    pl = sub.add_parser("plot", help="connections/s against queue count per variant, with 95%% confidence bands, "
                                     "from a results file of sweep or compare")
    pl.add_argument("results", help="results file written by sweep or compare -o (.parquet or .csv)")
    pl.add_argument("-o", "--output", required=True, metavar="FILE.png", help="image to write (.png, .svg, .pdf)")

    ca = sub.add_parser("calibrate", help="fit cost groups to baseline targets; write a costs file and a report")
    ca.add_argument("--targets", default="tcpsim/data/targets_baseline.toml",
                    help="targets file (default: the article's Figures 2-5, tcpsim/data/targets_baseline.toml)")
    ca.add_argument("--costs", default="tcpsim/data/freebsd10_prior.toml", help="prior costs file to start from")
    ca.add_argument("--out", default="tcpsim/data/freebsd10.toml", help="costs file to write")
    ca.add_argument("--jobs", type=_jobs, default=1, help="target scenarios run in parallel processes (default: 1)")
    _engine(ca)
    ca.add_argument("--json", action="store_true", help="print the report as JSON (default: text)")
    _quiet(ca)
    return p


# The options that override a scenario key: errors about such a value name the option, not the file.
ORIGINS = {("run", "seed"): "--seed", ("run", "duration_s"): "--duration", ("run", "warmup_s"): "--warmup",
           ("scenario", "variant"): "--variant"}


def _load(args):
    over = overrides(args.seed, args.duration, getattr(args, "warmup", None))
    if getattr(args, "variant", None) is not None:
        over.setdefault("scenario", {})["variant"] = args.variant
    return scenario.load(args.scenario, over, ORIGINS)


def _profile_cpus(args, model) -> list[int]:
    """--profile-cpus, checked against the machine; default: the interrupt CPUs."""
    cpus = args.profile_cpus or sorted(set(model.hardware.queue_cpus))
    bad = [c for c in cpus if not 0 <= c < model.hardware.cpus]
    if bad:
        raise TcpsimError(f"--profile-cpus: CPU {bad[0]} does not exist; allowed: 0 to {model.hardware.cpus - 1}")
    return cpus


def _output_file(path, option):
    """Refuse, before anything runs, an output file whose folder does not exist."""
    if path is not None and not Path(path).resolve().parent.is_dir():
        raise TcpsimError(f"{option} {path}: folder {Path(path).parent} does not exist; allowed: a file in an "
                          "existing folder")


def _write_text(path, text, option):
    try:
        Path(path).write_text(text)
    except OSError as e:
        raise TcpsimError(f"{option} {path}: cannot write ({e.strerror})") from None


def _write_flame(args, engine, cpus):
    """--folded and --speedscope: the samples of the profiled CPUs."""
    from .observe.flame import folded, speedscope

    samples = {c: engine.samples[c] for c in cpus}
    if args.folded:
        _write_text(args.folded, folded(samples), "--folded")
    if args.speedscope:
        name = f"{engine.m.name} ({engine.m.variant})"
        _write_text(args.speedscope, json.dumps(speedscope(samples, name), separators=(",", ":")) + "\n",
                    "--speedscope")


def cmd_run(args, out, err) -> int:
    if args.no_pmcstat:
        given = [o for o, v in (("--profile-cpus", args.profile_cpus), ("--folded", args.folded),
                                ("--speedscope", args.speedscope)) if v]
        if given:
            raise TcpsimError(f"--no-pmcstat and {given[0]}: {given[0]} needs the pmcstat samples; allowed: one of them")
    model = _load(args)
    witness.refuse(model, args.allow_lor)
    cpus = _profile_cpus(args, model)
    _output_file(args.folded, "--folded")
    _output_file(args.speedscope, "--speedscope")
    clauses = [Clause(text) for text in args.probe]  # every clause checked before the run
    probes = Probes()
    for clause in clauses:
        clause.attach(probes)
    t0 = time.perf_counter()
    result, engine = run_model(model, args.engine, probes, check=args.check)
    result["wall_s"] = round(time.perf_counter() - t0, 3)
    _write_flame(args, engine, cpus)
    if clauses:  # whole run, warm-up included, as dtrace aggregates from the moment it attaches
        result["probes"] = {c.text: c.aggregation.data() for c in clauses}
    if args.no_pmcstat:
        del result["profile"]
    if args.json:
        out.write(json.dumps(result, indent=1) + "\n")
        return 0
    views = [format_summary(result) + f"   ({result['wall_s']} s of wall time)", format_top_view(result),
             format_vmstat_view(result), format_lock_view(result, args.lock_rows or None)]
    if not args.no_pmcstat:
        views.append(format_profile_view(engine, cpus))
    views += [f"# dtrace -n '{c.describe()}'  (whole run)\n{c.aggregation.format()}" for c in clauses]
    out.write("\n\n".join(views) + "\n")
    return 0


def cmd_report(args, out, err) -> int:
    from .report import render

    model = _load(args)
    witness.refuse(model, args.allow_lor)
    cpus = _profile_cpus(args, model)
    _output_file(args.output, "-o")
    result, engine = run_model(model, args.engine)
    rerun = (f"to rerun: tcpsim report {args.scenario} --seed {result['seed']} --duration {result['duration_s']} "
             f"--warmup {result['warmup_s']} --variant {result['variant']} --engine {args.engine} "
             f"--profile-cpus {','.join(map(str, cpus))}")
    page = render(result, engine, cpus, args.lock_rows or None, command=rerun)
    _write_text(args.output, page, "-o")
    out.write(f"wrote {args.output} ({len(page.encode()) // 1024} KiB): {result['goodput_cps']:,.0f} connections/s\n")
    return 0


def cmd_reproduce(args, out, err) -> int:
    from dataclasses import asdict

    from .reproduce import format_rows, reproduce

    _check_seeds(args)
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


def cmd_witness(args, out, err) -> int:
    from .model import variants

    if args.variant.endswith(".toml"):
        model = scenario.load(args.variant)
        paths, locks, name = model.paths, model.locks, model.variant
    else:
        try:
            paths, locks = variants.build(args.variant)
        except variants.PatchError as e:
            raise TcpsimError(f"witness {args.variant}: {e}") from None
        name = args.variant
    edges = witness.static_edges(paths, locks)
    cycles = witness.reversals(edges)
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


def _variant_names(text):
    names = [v.strip() for v in text.split(",") if v.strip()]
    if not names:
        raise TcpsimError("--variants: expected names like baseline,rlock")
    return names


def _check_replications(args):
    """The up-front checks of the options _replications adds (before the scenario is read)."""
    if args.output:
        check_path(args.output)
    if args.scheduler and args.jobs is not None:
        raise TcpsimError("--jobs and --scheduler: both choose where runs go; allowed: one of them (with "
                          "--scheduler the cluster's workers run in parallel)")
    _check_seeds(args)


def _check_seeds(args):
    if isinstance(args.seeds, list) and args.seed is not None:
        raise TcpsimError("--seed and --seeds S1,S2,... both choose seeds; allowed: one of them, or --seed S "
                          "--seeds N for S, S+1, ..., S+N-1")


def _replicated(args, err, run, format_table, out, footnote=""):
    """Run sweep's or compare's ``run(progress)`` with a progress bar; print the table of points (mean ± CI
    over seeds) or JSON of runs and points; warn on stderr when runs had to grow the machine."""
    from .placement import grown
    from .sweep import by_point

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
    details = [f"{len(points)} points x {seeds} seeds; ± is the 95% confidence interval's half-width"] if seeds > 1 else []
    if args.output and progress.total != len(rows):
        details.append(f"{len(rows) - progress.total} already in {args.output}, not run again")
    details = f" ({'; '.join(details)})" if details else ""
    out.write(format_table(points) + f"\n\n{len(rows)} runs{details} in {wall} s of wall time\n")
    if footnote:
        out.write(footnote + "\n")
    return 0


def cmd_compare(args, out, err) -> int:
    from .compare import compare, format_table

    names = _variant_names(args.variants)
    if args.queues and not all(1 <= q <= 8 for q in args.queues):
        raise TcpsimError(f"--queues: {args.queues}: each must be 1 to 8 (ixgbe's RSS queues)")
    _check_replications(args)
    return _replicated(args, err, lambda progress: compare(
        args.scenario, names, args.queues, args.seed, args.duration, args.engine, args.jobs or 1, args.allow_lor,
        seeds=args.seeds, output=args.output, progress=progress, scheduler=args.scheduler), format_table, out)


def cmd_sweep(args, out, err) -> int:
    from .placement import follows_queues
    from .sweep import format_table, parse_set, sweep

    if not args.sets:
        raise TcpsimError("sweep: nothing to sweep; allowed: one or more --set SECTION.KEY=VALUES")
    sets = [parse_set(t) for t in args.sets]
    names = _variant_names(args.variants) if args.variants else None
    if names and any((s, k) == ("scenario", "variant") for s, k, _v in sets):
        raise TcpsimError("--set scenario.variant and --variants both choose variants; allowed: one of them")
    if args.seeds is not None and any((s, k) == ("run", "seed") for s, k, _v in sets):
        raise TcpsimError("--set run.seed and --seeds both choose seeds; allowed: one of them")
    _check_replications(args)
    given = {}
    for section, key, values in sets:
        given.setdefault(section, {})[key] = values
    footnote = ("hardware.queues: each queue count puts its interrupt threads on CPUs 0..q-1 and moves the application "
                "to the CPUs after them where they would collide, as compare does" if follows_queues(given) else "")
    return _replicated(args, err, lambda progress: sweep(
        args.scenario, sets, names, args.seed, args.duration, args.engine, args.jobs or 1, args.allow_lor,
        seeds=args.seeds, output=args.output, progress=progress, scheduler=args.scheduler), format_table, out,
        footnote)


def cmd_plot(args, out, err) -> int:
    from . import plots, results_file

    plots.check_path(args.output)
    rows = results_file.read(args.results)
    if not rows:
        raise TcpsimError(f"{args.results}: holds no runs; allowed: a results file of sweep or compare -o")
    plots.save(plots.scaling(rows), args.output)
    out.write(f"wrote {args.output} ({len(rows)} runs)\n")
    return 0


def cmd_sensitivity(args, out, err) -> int:
    from .plots import check_path
    from .sensitivity import format_table, sensitivity, tornado

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


def cmd_calibrate(args, out, err) -> int:
    from .calibrate import calibrate, format_report, write_costs

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


COMMANDS = {"calibrate": cmd_calibrate, "run": cmd_run, "report": cmd_report, "reproduce": cmd_reproduce, "witness": cmd_witness, "compare": cmd_compare,
            "sweep": cmd_sweep, "sensitivity": cmd_sensitivity, "plot": cmd_plot}


def main(argv=None, out=None, err=None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args, out, err)
    except TcpsimError as e:
        err.write(f"{getattr(e, 'prog', 'tcpsim')}: error: {_one_line(e)}\n")
        return 2
    except KeyboardInterrupt:
        err.write("tcpsim: interrupted\n")
        return 130
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as command-line tools do
        _silence_stdout()
        return 141
    except Exception as e:  # a bug, not the user's mistake: one line, where to report it, status 1
        if os.environ.get("TCPSIM_DEBUG"):
            raise
        err.write(f"tcpsim: internal error: {type(e).__name__}: {_one_line(e)} (tcpsim {__version__}; "
                  f"{REPORT_TO}; TCPSIM_DEBUG=1 shows the traceback)\n")
        return 1


def _one_line(e) -> str:
    return " ".join(str(e).split())


def _silence_stdout():
    """Point stdout at /dev/null, so that flushing it at exit does not fail again on a closed pipe."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (tests pass a StringIO)
        pass


def console_main():
    status = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        status = status or 141
    sys.exit(status)


if __name__ == "__main__":
    console_main()
