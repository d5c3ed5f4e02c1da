"""Engine speed: simulated packets per wall-clock second on the paper's machines.

Run:  python benchmarks/bench_engine.py [--repeat 3] [--duration 0.05]
Prints, per scenario and engine, the median wall time of a run, simulated packets (in + out, whole run
including warm-up) per wall second, and the simulated/real time ratio. Side-by-side ratios between engines
appear once a second engine exists (DESIGN.md: the fast engine should beat real time on one core).
"""
import argparse
import statistics
import time
from pathlib import Path

from tcpsim import scenario
from tcpsim.engines import ENGINES
from tcpsim.simulate import overrides, run_model

PAPER = Path(__file__).resolve().parents[1] / "scenarios" / "paper"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--duration", type=float, default=0.05)
    args = ap.parse_args()
    print(f"{'scenario':<14} {'engine':<7} {'wall s (median)':>16} {'packets/wall s':>15} {'sim/real':>9}")
    for name in ("fig2_1queue", "fig3_4queues"):
        for engine in ENGINES:
            walls, packets, simulated = [], 0, 0.0
            for _ in range(args.repeat):
                model = scenario.load(PAPER / f"{name}.toml", overrides(duration_s=args.duration))
                t0 = time.perf_counter()
                r, _ = run_model(model, engine)
                walls.append(time.perf_counter() - t0)
                packets = r["segments_in"] + r["segments_out"]
                simulated = model.run.warmup_s + model.run.duration_s
            wall = statistics.median(walls)
            print(f"{name:<14} {engine:<7} {wall:>16.3f} {packets / wall:>15,.0f} {simulated / wall:>9.4f}")


if __name__ == "__main__":
    main()
