"""Engine memory: bytes per TIME-WAIT entry and per live connection, measured with tracemalloc.

Run:  python benchmarks/bench_memory.py [--engines simpy,...]

- TIME-WAIT entry: Figure 3's machine with maxtcptw raised and no prefill, so every connection that finishes
  stays in TIME-WAIT; two run lengths, and the extra memory held at the end divided by the extra entries.
- Live connection: Figure 2's machine under an open loop far past capacity (the ring drops, clients wait for
  their retransmission timers), so connections pile up in flight; the same difference over the extra ones.
Both differences include everything else a longer run keeps (latencies, for one), so they are upper bounds.
"""
import argparse
import gc
import tracemalloc

from tcpsim import scenario
from tcpsim.engines import ENGINES
from tcpsim.simulate import run_model

FIG3 = "scenarios/paper/fig3_4queues.toml"
OPEN = "scenarios/experiments/fig2_open_loop.toml"


def held(path, over, engine, count):
    """(entries counted by ``count`` at the end, bytes still allocated after the run)."""
    gc.collect()
    tracemalloc.start()
    r, e = run_model(scenario.load(path, over), engine)
    gc.collect()
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return count(r, e), current


def per_entry(path, over, engine, count, short, long):
    n1, b1 = held(path, {**over, "run": {"warmup_s": 0.0, "duration_s": short}}, engine, count)
    n2, b2 = held(path, {**over, "run": {"warmup_s": 0.0, "duration_s": long}}, engine, count)
    return (b2 - b1) / (n2 - n1), n2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engines", default=",".join(ENGINES))
    args = ap.parse_args()
    print(f"{'engine':<7} {'bytes per TIME-WAIT entry':>26} {'bytes per live connection':>26}")
    for engine in args.engines.split(","):
        tw, n_tw = per_entry(FIG3, {"kernel": {"maxtcptw": 10_000_000, "timewait_prefill": False}}, engine,
                             lambda r, e: len(e.kernel.timewait), 0.01, 0.03)
        live, n_live = per_entry(OPEN, {"clients": {"rate": 300_000}}, engine,
                                 lambda r, e: r["connections"]["in_flight"], 0.01, 0.03)
        print(f"{engine:<7} {tw:>19,.0f} ({n_tw:,}) {live:>19,.0f} ({n_live:,})")


if __name__ == "__main__":
    main()
