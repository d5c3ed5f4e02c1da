"""``tcpsim capacity``: the highest open-loop rate a scenario's machine sustains, by a stated rule, with the
views of `tcpsim run` at that rate."""
from __future__ import annotations

import argparse
import json

from .. import capacity, scenario, witness
from ..observe.results import format_summary
from ..observe.views import text_views
from ..observe.words import words
from ..sweep import seed_list
from . import options


def _ratio(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a share above 0 up to 1 (e.g. 0.99), got {text!r}")
    return value


def add_capacity(sub):
    c = sub.add_parser("capacity", help="the highest open-loop offered rate the machine sustains (by a stated rule, "
                                        "found by search), and the run's views at that rate")
    c.add_argument("scenario", help="scenario TOML file (run as an open loop whatever its [clients] mode)")
    options.common(c)
    c.add_argument("--warmup", type=options.schema_option("run", "warmup_s"),
                   help="warm-up in simulated seconds, 0 for none (default: the scenario's)")
    c.add_argument("--variant", help="locking variant, built-in names joined with + (default: the scenario's)")
    c.add_argument("--seeds", type=options.seeds, metavar="N|S1,S2,...",
                   help="every probe runs N seeds (--seed or the scenario's seed and the N-1 after it) or the "
                        "listed ones, and holds only if every seed met the rule (default: one seed)")
    c.add_argument("--arrivals", choices=("poisson", "paced"),
                   help="the open loop's arrival process (default: the scenario's [clients] arrivals)")
    c.add_argument("--jitter", type=options.schema_option("clients", "jitter"),
                   help="paced arrivals: each gap is the mean gap times 1 +- jitter (default: the scenario's)")
    c.add_argument("--goodput-ratio", type=_ratio, default=capacity.Rule.goodput_ratio,
                   help="rule: completed connections/s at least this share of the offered rate (default: %(default)s)")
    c.add_argument("--ring-drops", type=options.integer(0, None, ">= 0"), default=capacity.Rule.ring_drops,
                   help="rule: receive-ring drops allowed in the window (default: %(default)s)")
    c.add_argument("--retransmissions", type=options.integer(0, None, ">= 0"),
                   default=capacity.Rule.retransmissions,
                   help="rule: client retransmissions allowed in the window (default: %(default)s)")
    c.add_argument("--start", type=options.positive, default=10_000.0,
                   help="the first offered rate tried, connections/s (default: %(default)g)")
    c.add_argument("--resolution", type=_ratio, default=0.005,
                   help="stop when the bracket is at most this share of the capacity (default: %(default)s)")
    c.add_argument("--jobs", type=options.jobs, help="the seeds of a probe in parallel local processes (default: 1)")
    options.allow_lor(c)
    options.lock_rows(c)
    c.add_argument("--no-pmcstat", action="store_true", help="leave out the pmcstat call graphs at the capacity")
    c.add_argument("--no-views", action="store_true",
                   help="print the probes, the capacity and the rule only (no run at the capacity)")
    options.quiet(c)


def cmd_capacity(args, out, err) -> int:
    options.check_seeds(args)
    given = options.load_overrides(args)
    model = scenario.load(args.scenario, given, options.ORIGINS)  # the user's values checked before any run
    witness.refuse(model, args.allow_lor)
    seeds = seed_list(model.run.seed, args.seeds)
    given.get("run", {}).pop("seed", None)  # the search sets each probe's seed

    def on_probe(p):
        if not args.quiet:
            verdict = "holds" if p.held else f"fails: {p.why}"
            err.write(f"tcpsim capacity: {p.rate:,.0f}/s {verdict}\n")
            err.flush()

    rule = capacity.Rule(args.goodput_ratio, args.ring_drops, args.retransmissions)
    cap = capacity.search(args.scenario, seeds, rule, args.arrivals, args.jitter, args.engine, args.start,
                          args.resolution, given, args.jobs or 1, on_probe, views=not args.no_views)
    if args.json:
        doc = cap.to_dict()
        if args.no_pmcstat and doc["at_capacity"]:
            doc["at_capacity"].pop("profile", None)
        out.write(json.dumps(doc, indent=1) + "\n")
        return 0
    views = [capacity.format_probes(cap)]
    if cap.result is not None:
        r = cap.result
        engine = cap.engine_run  # the views in the run's kernel's words (FreeBSD's, or Linux's)
        views += [f"# at the capacity: {cap.rate:,.0f} connections/s offered, seed {seeds[0]}", format_summary(r),
                  *text_views(r, engine, sorted(set(engine.m.hardware.queue_cpus)), args.lock_rows or None,
                              words(engine.m.kernel_name), pmc=not args.no_pmcstat)]
    out.write("\n\n".join(views) + "\n")
    return 0
