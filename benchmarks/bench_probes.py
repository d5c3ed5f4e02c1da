"""What probes cost the fast engine: none, a Probes object with nothing attached, one rare probe attached, one
frequent probe attached, every probe attached.

Run:  python benchmarks/bench_probes.py [--repeat 3] [--duration 0.5] [--scenario rlock_4queues]
The cases alternate within each repeat (a busy machine slows them alike); per case the median wall time of the
run, simulated packets per wall second, how many times its callback ran, and the speed relative to no probes.
An unattached probe is one flag test in C; an attached one calls Python each time it fires, and only where it
fires (each probe point has its own flag).
"""
import argparse
import statistics
import time
from pathlib import Path

from tcpsim import scenario
from tcpsim.observe.probes import Probes
from tcpsim.simulate import run_model

PAPER = Path(__file__).resolve().parents[1] / "scenarios" / "paper"
CASES = (("no probes", None), ("Probes(), none attached", ()), ("fbt::ixgbe_msix_que:entry", ("fbt::ixgbe_msix_que:entry",)),
         ("lockstat:::rw-acquire", ("lockstat:::rw-acquire",)), ("every probe (*)", ("*",)))


def one_run(path, duration, patterns):
    calls = [0]

    def count(_probe, _t, _args):
        calls[0] += 1
    probes = None
    if patterns is not None:
        probes = Probes()
        for p in patterns:
            probes.attach(p, count)
    model = scenario.load(path, {"run": {"duration_s": duration}})
    t0 = time.perf_counter()
    r, _ = run_model(model, "fast", probes)
    return time.perf_counter() - t0, r["segments_in"] + r["segments_out"], calls[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--duration", type=float, default=0.5)
    ap.add_argument("--scenario", default="rlock_4queues")
    args = ap.parse_args()
    path = PAPER / f"{args.scenario}.toml"
    runs = {name: [] for name, _ in CASES}
    for _ in range(args.repeat):
        for name, patterns in CASES:
            runs[name].append(one_run(path, args.duration, patterns))
    print(f"{args.scenario}, fast engine, {args.duration} s window, median of {args.repeat}")
    print(f"{'probes':<28} {'wall s':>8} {'packets/wall s':>15} {'callbacks':>11} {'speed vs none':>14}")
    base = None
    for name, _ in CASES:
        wall = statistics.median(r[0] for r in runs[name])
        rate = runs[name][0][1] / wall
        base = base or rate
        print(f"{name:<28} {wall:>8.2f} {rate:>15,.0f} {runs[name][0][2]:>11,} {rate / base:>13.2f}x")


if __name__ == "__main__":
    main()
