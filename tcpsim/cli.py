"""Command line: ``tcpsim run SCENARIO.toml [--seed N] [--duration SECONDS] [--json]``.

``main(argv) -> int`` is a thin layer over the library and never calls ``sys.exit``; a user's mistake
(``TcpsimError``) is one line on stderr and status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from . import __version__, scenario
from .engines import DEFAULT_ENGINE, ENGINES
from .errors import TcpsimError
from .observe.results import format_lock_view, format_profile_view, format_summary, format_top_view
from .simulate import overrides, run_model


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would exit itself; we want main() to return 2
        raise TcpsimError(f"{self.prog}: {message}")


def _positive(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return v


def _seed(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 0 <= v < 2**63:
        raise argparse.ArgumentTypeError(f"must be 0 to 2**63-1, got {text}")
    return v


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="tcpsim", description="Discrete-event model of FreeBSD 10's TCP connection rate on a multi-core server")
    p.add_argument("--version", action="version", version=f"tcpsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    r = sub.add_parser("run", help="run one scenario and print goodput, top -SHIPz, lock profile and pmcstat views")
    r.add_argument("scenario", help="scenario TOML file")
    r.add_argument("--seed", type=_seed, help="seed of every random stream (default: the scenario's)")
    r.add_argument("--duration", type=_positive, help="measured window in simulated seconds (default: the scenario's)")
    r.add_argument("--warmup", type=_positive, help="warm-up in simulated seconds (default: the scenario's)")
    r.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE)
    r.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    r.add_argument("--profile-cpus", help="CPUs whose pmcstat call graph to print (default: the interrupt CPUs)")
    rp = sub.add_parser("reproduce", help="run the article's configurations and compare with its figures")
    rp.add_argument("--seed", type=_seed, help="seed of every random stream (default: the scenarios')")
    rp.add_argument("--duration", type=_positive, help="measured window in simulated seconds (default: the scenarios')")
    rp.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE)
    rp.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    return p


def cmd_reproduce(args, out) -> int:
    from dataclasses import asdict

    from .reproduce import format_rows, reproduce

    t0 = time.perf_counter()
    rows, runs = reproduce(args.seed, args.duration, args.engine)
    wall = round(time.perf_counter() - t0, 2)
    if args.json:
        out.write(json.dumps({"rows": [asdict(r) for r in rows], "wall_s": wall,
                              "runs": {k: v[0] for k, v in runs.items()}}, indent=1) + "\n")
        return 0
    out.write(format_rows(rows) + "\n")
    judged = [r for r in rows if r.ok is not None]
    out.write(f"\n{sum(r.ok for r in judged)} of {len(judged)} figures within tolerance "
              f"({len(rows) - len(judged)} pending); simulated in {wall} s\n")
    return 0


def cmd_run(args, out) -> int:
    model = scenario.load(args.scenario, overrides(args.seed, args.duration, args.warmup))
    t0 = time.perf_counter()
    result, engine = run_model(model, args.engine)
    result["wall_s"] = round(time.perf_counter() - t0, 3)
    if args.json:
        out.write(json.dumps(result, indent=1) + "\n")
        return 0
    if args.profile_cpus:
        try:
            cpus = [int(c) for c in args.profile_cpus.split(",")]
        except ValueError:
            raise TcpsimError(f"--profile-cpus: expected CPU numbers like 0,1, got {args.profile_cpus!r}") from None
        bad = [c for c in cpus if not 0 <= c < model.hardware.cpus]
        if bad:
            raise TcpsimError(f"--profile-cpus: CPU {bad[0]} does not exist; allowed: 0 to {model.hardware.cpus - 1}")
    else:
        cpus = sorted(set(model.hardware.queue_cpus))
    out.write("\n\n".join([
        format_summary(result) + f"   (simulated in {result['wall_s']} s)",
        format_top_view(result),
        format_lock_view(result),
        format_profile_view(engine, cpus),
    ]) + "\n")
    return 0


def main(argv=None, out=None, err=None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
        if args.command == "run":
            return cmd_run(args, out)
        if args.command == "reproduce":
            return cmd_reproduce(args, out)
    except TcpsimError as e:
        err.write(f"tcpsim: error: {e}\n")
        return 2
    except KeyboardInterrupt:
        err.write("tcpsim: interrupted\n")
        return 130
    return 2


def console_main():
    sys.exit(main())


if __name__ == "__main__":
    console_main()
