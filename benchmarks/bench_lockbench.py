"""Lock microbenchmark speed: simulated lock acquisitions per wall-clock second at 48 threads on opteron-48,
the fast engine and the SimPy engine side by side (issue #16 item 6: >= 5 M for the fast engine).

Run:  python benchmarks/bench_lockbench.py [--repeat 3] [--threads 48] [--classes adaptive,ticket,mcs]
                                         [--duration simpy=0.02,fast=1]

Two workloads, because what an acquisition costs the simulator depends on what the lock does:

- ``saturated``: lockbench's default (think 1,000 ns, critical section 200 ns, exponential): 48 threads keep the
  lock busy and most of them spin; every release hands the lock on (the lock code's work per hand-off depends on
  the class: the adaptive and spin locks' race walks every spinner) and the hand-off is an event of its own.
- ``unsaturated``: think 100,000 ns, critical section 200 ns: the lock is mostly free, an acquisition is three
  events (end of think, the lock word's line arriving, end of the critical section).

Per workload, lock class and engine it prints the median over the repeats of: the wall time of the engine's run (building
the model and the engine -- the lowering -- and collecting the result are not counted), simulated acquisitions
(the whole run: no warm-up) per wall second, and with two engines the ratio of the second to the first,
measured side by side in the same invocation (engines alternate within each repeat, so a busy machine slows
them alike).
"""
import argparse
import statistics
import time

from tcpsim import lockbench as lb
from tcpsim.engines import ENGINES, make_engine

WORKLOADS = {"saturated": (1000.0, 200.0), "unsaturated": (100_000.0, 200.0)}
DEFAULT_DURATION = {"simpy": 0.02, "fast": 1.0}
TARGET = 5e6  # issue #16: simulated acquisitions per wall second, fast engine, 48 threads
MIN_REPEAT = 3


def once(engine: str, cls: str, threads: int, think: float, cs: float, duration: float) -> tuple[float, int]:
    """(wall seconds of the engine's run, acquisitions it simulated: one per loop)."""
    task = lb.Task("opteron-48", cls, tuple(range(threads)), lb.Workload(think, cs), 1, duration, 0.0, engine)
    eng = make_engine(lb.model(task), engine)
    t0 = time.perf_counter()
    eng.run()
    wall = time.perf_counter() - t0
    return wall, eng.window_loops


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=MIN_REPEAT, help=f"runs per workload and engine (default {MIN_REPEAT})")
    ap.add_argument("--threads", type=int, default=48, help="bench threads, one per CPU of opteron-48 (default 48)")
    ap.add_argument("--duration", default="", help="simulated seconds per run: SECONDS or ENGINE=SECONDS,... "
                    f"(default {DEFAULT_DURATION})")
    ap.add_argument("--engines", default="simpy,fast", help="the first is the one the others are relative to")
    ap.add_argument("--classes", default="adaptive,ticket,mcs", help="lock classes (default adaptive,ticket,mcs)")
    args = ap.parse_args()
    engines = args.engines.split(",")
    if any(e not in ENGINES for e in engines) or args.repeat < 1 or not 1 <= args.threads <= 48:
        ap.error(f"--engines from {', '.join(ENGINES)}, --repeat >= 1, --threads 1 to 48")
    window = dict(DEFAULT_DURATION)
    for pair in filter(None, args.duration.split(",")):
        engine, _, seconds = pair.rpartition("=")
        for e in ([engine] if engine else engines):
            window[e] = float(seconds)
    print(f"# opteron-48, {args.threads} threads; medians of {args.repeat} runs; windows: "
          + ", ".join(f"{e} {window[e]} s" for e in engines))
    print(f"{'workload':<12} {'class':<9} {'engine':<7} {'window s':>8} {'wall s':>8} {'acquisitions':>13} "
          f"{'acq/wall s':>13} {'vs ' + engines[0]:>10}")
    for name, (think, cs) in WORKLOADS.items():
        for cls in args.classes.split(","):
            runs = {e: [] for e in engines}
            for _ in range(args.repeat):
                for e in engines:
                    runs[e].append(once(e, cls, args.threads, think, cs, window[e]))
            base = None
            for e in engines:
                wall = statistics.median(w for w, _n in runs[e])
                count = statistics.median(n for _w, n in runs[e])
                rate = statistics.median(n / w for w, n in runs[e])
                base = base or rate
                flag = "" if e != "fast" else ("  >= 5 M: met" if rate >= TARGET else "  < 5 M target")
                print(f"{name:<12} {cls:<9} {e:<7} {window[e]:>8g} {wall:>8.3f} {count:>13,.0f} {rate:>13,.0f} "
                      f"{rate / base:>9.1f}x{flag}")


if __name__ == "__main__":
    main()
