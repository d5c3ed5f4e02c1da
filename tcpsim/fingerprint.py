"""Fingerprints: one short hash per shipped scenario and engine over the ordered trace of every probe event of a
short run, in the manner of OMNeT++'s fingerprint tests. A change anywhere in the model, the costs or an engine
that moves a single event, its time or an argument changes the fingerprint; the tests compare every shipped
scenario's against ``tests/fingerprints.json``. After an intended model change, record them anew:

    python -m tcpsim.fingerprint --update tests/fingerprints.json

and say in the commit why they moved.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from . import scenario
from .engines import ENGINES
from .observe.probes import Probes
from .simulate import run_model

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_DIRS = ("scenarios/paper", "scenarios/experiments", "scenarios/machines", "scenarios/linux")
RUN = {"warmup_s": 0.0005, "duration_s": 0.0015, "seed": 1}  # ~1,500 events: short, yet every path runs


def shipped() -> list[str]:
    """The shipped scenario files, relative to the checkout."""
    return sorted(str(p.relative_to(ROOT)) for d in SCENARIO_DIRS for p in (ROOT / d).glob("*.toml"))


def fingerprint(path, engine: str = "simpy") -> str:
    """sha256 over (probe, time, arguments) of every probe event of a short run, in order; 16 hex digits."""
    digest = hashlib.sha256()

    def record(probe, t_ns, args):
        digest.update(f"{probe}|{t_ns}|{sorted(args.items())!r}\n".encode())

    probes = Probes()
    probes.attach("*", record)
    run_model(scenario.load(ROOT / path, {"run": RUN}), engine, probes)
    return digest.hexdigest()[:16]


def table(engines=ENGINES) -> dict:
    return {path: {engine: fingerprint(path, engine) for engine in engines} for path in shipped()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tcpsim.fingerprint", description=__doc__.split("\n\n")[0])
    ap.add_argument("--update", metavar="FILE", help="write the fingerprints of every shipped scenario to FILE")
    args = ap.parse_args(argv)
    current = table()
    if args.update:
        Path(args.update).write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    for path, by_engine in current.items():
        for engine, value in by_engine.items():
            print(f"{value}  {engine:<6} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
