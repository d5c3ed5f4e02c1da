"""``tcpsim run`` and ``tcpsim report``: one scenario, one run, its views as text (or JSON) or as an HTML page."""
from __future__ import annotations

import json
import time
from contextlib import closing
from pathlib import Path

from .. import witness
from ..errors import TcpsimError
from ..observe.clauses import Clause
from ..observe.probes import Probes, names
from ..progress import for_terminal
from ..observe.results import format_summary, no_samples
from ..observe.views import text_views
from ..observe.words import words
from ..simulate import run_model
from . import options


def add_run(sub):
    r = sub.add_parser("run", help="run one scenario and print goodput, top -SHIPz, lock profile and pmcstat views "
                                   "(a Linux kernel's: mpstat, top -H, /proc/interrupts, /proc/lock_stat, perf report)")
    r.add_argument("scenario", help="scenario TOML file")
    options.common(r)
    r.add_argument("--warmup", type=options.schema_option("run", "warmup_s"),
                   help="warm-up in simulated seconds, 0 for none (default: the scenario's)")
    r.add_argument("--variant", help="locking variant, built-in names joined with + (default: the scenario's)")
    options.allow_lor(r)
    r.add_argument("--profile-cpus", type=options.cpu_list, metavar="CPUS",
                   help="CPUs whose pmcstat call graph to print, as cpuset writes them: 0,2 or 0-3 (default: the "
                        "interrupt CPUs)")
    r.add_argument("--probe", action="append", default=[], metavar="CLAUSE",
                   help="a DTrace-like clause 'PROBE [/PREDICATE/] [{ @[KEYS] = FUNC(VAR) }]' whose aggregation is "
                        "printed at the end, FUNC one of count, sum, avg, min, max, quantize, lquantize (e.g. "
                        "'tcp:::state-change /new == TIME_WAIT/ { @ = quantize(lifetime) }'); a bare PROBE pattern "
                        "counts firings by probe and lock/site/segment (repeatable; e.g. 'lockstat:::rw-spin'; a "
                        "Linux kernel's run names them as Linux does, e.g. 'lock:lock_contended')")
    options.lock_rows(r)
    r.add_argument("--check", action="store_true",
                   help="test the invariants (connections, frames, CPU time, locks, lock profile) after every "
                        "event, not only at the end of the run (slow; default: at the end)")
    r.add_argument("--no-pmcstat", action="store_true",
                   help="leave out the pmcstat call graphs (text) and the sampled profile ('profile' in --json)")
    r.add_argument("--folded", metavar="FILE", help="also write the pmcstat samples of the --profile-cpus as folded "
                   "stacks (flamegraph.pl input; each stack starts with a 'CPU n' frame)")
    r.add_argument("--speedscope", metavar="FILE", help="also write the pmcstat samples of the --profile-cpus as a "
                   "speedscope JSON file (one sampled profile per CPU)")


def add_report(sub):
    rep = sub.add_parser("report", help="run one scenario and write one self-contained HTML page: summary, top, "
                                        "vmstat -i, lock profile, pmcstat, CPU and lock plots, flame graphs")
    rep.add_argument("scenario", help="scenario TOML file")
    rep.add_argument("-o", "--output", required=True, metavar="FILE.html", help="HTML file to write")
    rep.add_argument("--seed", type=options.seed, help="seed of every random stream (default: the scenario's)")
    rep.add_argument("--duration", type=options.positive,
                     help="measured window in simulated seconds (default: the scenario's)")
    rep.add_argument("--warmup", type=options.positive, help="warm-up in simulated seconds (default: the scenario's)")
    rep.add_argument("--variant", help="locking variant, built-in names joined with + (default: the scenario's)")
    options.engine(rep)
    rep.add_argument("--profile-cpus", type=options.cpu_list, metavar="CPUS",
                     help="CPUs whose call graph and flame graph to show, as cpuset writes them: 0,2 or 0-3 "
                          "(default: the interrupt CPUs)")
    options.lock_rows(rep)
    options.allow_lor(rep)


def _profile_cpus(args, model) -> list[int]:
    """--profile-cpus, checked against the machine; default: the interrupt CPUs."""
    cpus = args.profile_cpus or sorted(set(model.hardware.queue_cpus))
    bad = [c for c in cpus if not 0 <= c < model.hardware.cpus]
    if bad:
        raise TcpsimError(f"--profile-cpus: CPU {bad[0]} does not exist; allowed: 0 to {model.hardware.cpus - 1}")
    return cpus


def _write_flame(args, engine, cpus, err):
    """--folded and --speedscope: the samples of the profiled CPUs (a warning names those that have none)."""
    from ..observe.flame import folded, speedscope

    samples = {c: engine.samples[c] for c in cpus}
    idle = [c for c in cpus if not samples[c]]
    for option, path in (("--folded", args.folded), ("--speedscope", args.speedscope)):
        if path and idle:
            what = "the file holds no stacks" if len(idle) == len(cpus) else "it holds the other CPUs' stacks"
            err.write(f"tcpsim: warning: {option} {path}: {no_samples(idle)}; {what}\n")
    if args.folded:
        options.write_text(args.folded, folded(samples), "--folded")
    if args.speedscope:
        name = f"{engine.m.name} ({engine.m.variant})"
        options.write_text(args.speedscope, json.dumps(speedscope(samples, name), separators=(",", ":")) + "\n",
                           "--speedscope")


def cmd_run(args, out, err) -> int:
    if args.no_pmcstat:
        given = [o for o, v in (("--profile-cpus", args.profile_cpus), ("--folded", args.folded),
                                ("--speedscope", args.speedscope)) if v]
        if given:
            raise TcpsimError(f"--no-pmcstat and {given[0]}: {given[0]} needs the pmcstat samples; allowed: one of them")
    model = options.load(args)
    witness.refuse(model, args.allow_lor)
    cpus = _profile_cpus(args, model)
    options.output_file(args.folded, "--folded")
    options.output_file(args.speedscope, "--speedscope")
    w = words(model.kernel_name)  # the views and the probe names speak the kernel's language
    vocabulary = names(w["probes"]) if "probes" in w else None
    clauses = [Clause(text, vocabulary) for text in args.probe]  # every clause checked before the run
    probes = Probes()
    for clause in clauses:
        clause.attach(probes)
    t0 = time.perf_counter()
    # --check is slow (every invariant after every event): a bar of simulated µs on a terminal shows it moving
    with closing(for_terminal(err, False, unit="µs")) as progress:
        result, engine = run_model(model, args.engine, probes, check=args.check,
                                   progress=progress if args.check else None)
    result["wall_s"] = round(time.perf_counter() - t0, 3)
    _write_flame(args, engine, cpus, err)
    if clauses:  # whole run, warm-up included, as dtrace aggregates from the moment it attaches
        result["probes"] = {c.text: c.aggregation.data() for c in clauses}
    if args.no_pmcstat:
        del result["profile"]
    if args.json:
        out.write(json.dumps(result, indent=1) + "\n")
        return 0
    views = [format_summary(result) + f"   ({result['wall_s']} s of wall time)",
             *text_views(result, engine, cpus, args.lock_rows or None, w, pmc=not args.no_pmcstat)]
    tracer = "dtrace -n" if w["views"] == "freebsd" else "trace"  # Linux: perf/bpftrace users write the same clause
    views += [f"# {tracer} '{c.describe()}'  (whole run)\n{c.aggregation.format()}" for c in clauses]
    out.write("\n\n".join(views) + "\n")
    return 0


def cmd_report(args, out, err) -> int:
    from ..report import render, shareable

    if Path(args.output).suffix.lower() not in (".html", ".htm"):
        raise TcpsimError(f"-o {args.output}: a report is one HTML page; allowed: a .html file")
    model = options.load(args)
    witness.refuse(model, args.allow_lor)
    cpus = _profile_cpus(args, model)
    options.output_file(args.output, "-o")
    result, engine = run_model(model, args.engine)
    rerun = (f"to rerun: tcpsim report {shareable(args.scenario)} --seed {result['seed']} --duration {result['duration_s']} "
             f"--warmup {result['warmup_s']} --variant {result['variant']} --engine {args.engine} "
             f"--profile-cpus {','.join(map(str, cpus))}")
    page = render(result, engine, cpus, args.lock_rows or None, command=rerun, words=words(model.kernel_name))
    options.write_text(args.output, page, "-o")
    out.write(f"wrote {args.output} ({len(page.encode()) // 1024} KiB): {result['goodput_cps']:,.0f} connections/s\n")
    return 0
