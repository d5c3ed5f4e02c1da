"""The article's workload on bigger machines (scenarios/machines/): each machine's capacity (`tcpsim capacity`'s
search and rule) for the baseline and the read-lock variant, as one table with sweep's columns -- connections/s,
where the CPUs' time went, the lock site with the most waiting.

    PYTHONPATH=. python scripts/machines_capacity.py [--duration 1] [--variants baseline,rlock] [--engine fast] [FILE ...]

Regenerates the table quoted in the branch's report (README, "Bigger machines"); each search is ~10-15 probes.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tcpsim import capacity, scenario, sweep
from tcpsim.engines import DEFAULT_ENGINE
from tcpsim.fingerprint import ROOT
from tcpsim.model.topology import cores_per_socket

MACHINES = sorted((ROOT / "scenarios/machines").glob("*.toml"))
COLUMNS = ("variant", "cpus", "goodput_cps", "irq_busy", "irq_interrupt", "irq_system", "irq_spin", "app_spin", "accept_system", "worker_system",
           "top_site")


def shape(model) -> str:
    hw = model.hardware
    return f"{hw.sockets}x{cores_per_socket(hw.cpus, hw.sockets, hw.threads_per_core)}x{hw.threads_per_core}"


def measure(path: Path, variant: str, duration_s: float, engine: str, resolution: float) -> dict:
    given = {"scenario": {"variant": variant}, "run": {"duration_s": duration_s}}
    cap = capacity.search(path, rule=capacity.Rule(), engine=engine, resolution=resolution, given=given,
                          start=40_000.0)
    model = scenario.load(path, capacity.open_loop(cap.rate, cap.arrivals, cap.jitter, 1, given))
    row = sweep.summary(cap.result, model)
    # the capacity itself is the rate that held (goodput at it is within the rule's 1%); the machine as a label
    row.update({"machine.file": path.stem, "machine.shape": shape(model), "goodput_cps": cap.rate,
                "probes": len(cap.probes), "seed": 1})
    return row


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="*", type=Path, help="scenario files (default: every one in scenarios/machines/)")
    p.add_argument("--duration", type=float, default=1.0, help="each probe's measured window, s (default 1, the scenarios')")
    p.add_argument("--variants", default="baseline,rlock")
    p.add_argument("--engine", default=DEFAULT_ENGINE)
    p.add_argument("--resolution", type=float, default=0.01)
    args = p.parse_args(argv)
    rows = []
    t0 = time.perf_counter()
    for path in args.files or MACHINES:
        for variant in args.variants.split(","):
            rows.append(measure(path, variant, args.duration, args.engine, args.resolution))
            print(f"{path.stem} {variant}: {rows[-1]['goodput_cps']:,.0f}/s ({rows[-1]['probes']} probes)",
                  file=sys.stderr, flush=True)
    print(f"capacity ({args.engine} engine, Poisson arrivals, seed 1, {args.duration:g} s windows after the scenario's"
          f" warm-up, resolution {100 * args.resolution:g}%; conn/s is the highest offered rate that held the rule: "
          f"{capacity.Rule().describe()})\n")
    print(sweep.format_table(sweep.by_point(rows), COLUMNS))
    print(f"\nshape: sockets x cores per socket x threads per core; irq: CPUs 0-7 (the 8 queues' interrupt threads); "
          f"{time.perf_counter() - t0:.0f} s of wall time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
