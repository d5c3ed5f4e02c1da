"""Engine speed and memory: simulated packets per wall-clock second on the paper's machines.

Run:  python benchmarks/bench_engine.py [--repeat 3] [--duration 0.05] [--engines simpy,...]
Every run is a fresh process (so its peak RSS is its own); engines alternate within each repeat, so a busy
machine slows them alike. Per scenario and engine it prints the median wall time of a run, simulated packets
(in + out, whole run including warm-up) per wall second, simulated seconds per wall second, the median peak
RSS, and, with more than one engine, each engine's speed relative to the first (the ratio measured side by
side in the same run: DESIGN.md wants the fast engine ahead of real time on one core).
"""
import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from tcpsim.engines import ENGINES

SCENARIOS = ("fig2_1queue", "fig3_4queues", "rlock_4queues")
PAPER = Path(__file__).resolve().parents[1] / "scenarios" / "paper"
ONE_RUN = """
import json, resource, sys, time
from tcpsim import scenario
from tcpsim.simulate import overrides, run_model
model = scenario.load(sys.argv[1], overrides(duration_s=float(sys.argv[3])))
t0 = time.perf_counter()
r, _ = run_model(model, sys.argv[2])
wall = time.perf_counter() - t0
print(json.dumps({"wall": wall, "packets": r["segments_in"] + r["segments_out"],
                  "simulated": model.run.warmup_s + model.run.duration_s,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def one_run(name, engine, duration):
    out = subprocess.run([sys.executable, "-c", ONE_RUN, str(PAPER / f"{name}.toml"), engine, str(duration)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--duration", type=float, default=0.05)
    ap.add_argument("--engines", default=",".join(ENGINES))
    args = ap.parse_args()
    engines = args.engines.split(",")
    print(f"{'scenario':<14} {'engine':<7} {'wall s':>8} {'packets/wall s':>15} {'sim/real':>9} {'peak RSS MiB':>13} "
          f"{'speed vs ' + engines[0]:>16}")
    for name in SCENARIOS:
        runs = {e: [] for e in engines}
        for _ in range(args.repeat):
            for e in engines:
                runs[e].append(one_run(name, e, args.duration))
        first = None
        for e in engines:
            wall = statistics.median(r["wall"] for r in runs[e])
            packets, simulated = runs[e][0]["packets"], runs[e][0]["simulated"]
            rate = packets / wall
            first = first or rate
            rss = statistics.median(r["rss_mib"] for r in runs[e])
            print(f"{name:<14} {e:<7} {wall:>8.3f} {rate:>15,.0f} {simulated / wall:>9.4f} {rss:>13.1f} "
                  f"{rate / first:>15.2f}x")


if __name__ == "__main__":
    main()
