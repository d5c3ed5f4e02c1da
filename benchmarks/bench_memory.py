"""Engine memory: bytes per TIME-WAIT entry and per live connection, for each engine.

Run:  python benchmarks/bench_memory.py [--engines simpy,fast] [--method auto|tracemalloc|rss]

Two loads, each run at several lengths; the extra memory over the extra entries is the cost of one:

- TIME-WAIT entry: rlock_4queues (~150,000 connections/s) with maxtcptw raised and no prefill, so every
  connection that finishes stays in TIME-WAIT (2MSL is 60 s: none expires);
- live connection: Figure 2's machine under an open loop far past capacity (300,000/s against ~56,000/s: the
  ring drops, clients wait for their retransmission timers), so connections pile up in flight.

Two ways to weigh memory:

- ``tracemalloc`` (in this process): the Python allocations still held after the run. Exact for the SimPy
  engine, whose state is Python objects; blind to memory an engine keeps in C arrays.
- ``rss`` (a fresh process per run, ``measure.py``): the process's peak RSS, which sees everything, with a
  least-squares slope over the run lengths (an array that doubles, or the allocator taking memory in steps,
  makes any one pair of points misleading; the points are printed). Needs far more entries than tracemalloc
  for the same precision, so longer windows.

``auto`` (the default): tracemalloc for the SimPy engine, rss for the others. Both differences include
everything else a longer run keeps (latencies, the time series), so they are upper bounds.

Measured on the SimPy engine (2-core development machine, ~30 s each): tracemalloc 712 bytes per TIME-WAIT
entry and 1,108 per live connection; rss 778 and 1,209 (the allocator's overhead on top). The methods agree,
which is the check of the rss method. A TIME-WAIT entry is its Connection (152 bytes), the LockState of its
inpcb lock (152, with two dicts and two lists: 240) and its expiry int; ``--points`` shows the points.
The fast engine, rss: 98 bytes per TIME-WAIT entry, 114 per live connection (its connection record, inpcb
lock included, is 80 bytes; the rest is what the run keeps per connection, latencies included).
"""
import argparse
import gc
import sys
import tracemalloc

from measure import ROOT, RunFailed, counts, fresh, slope
from tcpsim import scenario
from tcpsim.engines import ENGINES
from tcpsim.simulate import run_model

LOADS = {
    "timewait": (ROOT / "scenarios/paper/rlock_4queues.toml",
                 {"kernel": {"maxtcptw": 10_000_000, "timewait_prefill": False}}),
    "live": (ROOT / "scenarios/experiments/fig2_open_loop.toml", {"clients": {"rate": 300_000}}),
}
# What each load counts at the end of a run (measure.py's keys).
COUNTS = {"timewait": "timewait", "live": "in_flight"}
# Measured windows (simulated seconds, no warm-up) per method and engine: enough entries to dwarf the noise.
# tracemalloc on SimPy: a few thousand entries; rss: tens of thousands on SimPy (~30 s of wall time), hundreds
# of thousands on an engine 50x faster.
WINDOWS = {"tracemalloc": (0.01, 0.02, 0.03), ("rss", "simpy"): (0.05, 0.1, 0.15), "rss": (0.5, 1.0, 1.5)}


def _windows(method, engine):
    return WINDOWS.get((method, engine), WINDOWS[method])


def _run(load, window):
    path, over = LOADS[load]
    return path, {**over, "run": {"warmup_s": 0.0, "duration_s": window}}


def held(load, window, engine) -> tuple[int, int]:
    """tracemalloc: (entries at the end, bytes still allocated after the run), in this process."""
    path, over = _run(load, window)
    gc.collect()
    tracemalloc.start()
    r, _e = run_model(scenario.load(path, over), engine)
    gc.collect()
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return counts(r)[COUNTS[load]], current


def peak(load, window, engine) -> tuple[int, int]:
    """rss: (entries at the end, peak RSS in bytes) of a fresh process."""
    path, over = _run(load, window)
    m = fresh(path, engine, over)
    return m[COUNTS[load]], int(m["rss_peak_mib"] * 1024 * 1024)


def per_entry(method, load, engine) -> tuple[float, list]:
    """Bytes per entry (the slope over the windows) and the points (entries, bytes)."""
    weigh = held if method == "tracemalloc" else peak
    if method == "tracemalloc":
        # a first run imports what the engine imports lazily (networkx, ...) and fills caches: traced, that
        # memory would count in the shortest run only and shrink the difference
        held(load, _windows(method, engine)[0] / 4, engine)
    points = [weigh(load, w, engine) for w in _windows(method, engine)]
    return slope([p[0] for p in points], [p[1] for p in points]), points


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engines", default=",".join(ENGINES), help=f"registered: {', '.join(ENGINES)}")
    ap.add_argument("--method", choices=("auto", "tracemalloc", "rss"), default="auto")
    ap.add_argument("--points", action="store_true", help="print every (entries, bytes) point as well")
    args = ap.parse_args()
    engines = args.engines.split(",")
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        ap.error(f"--engines: {', '.join(unknown)} not registered in tcpsim.engines.ENGINES ({', '.join(ENGINES)})")
    print(f"{'engine':<7} {'method':<12} {'bytes per TIME-WAIT entry':>28} {'bytes per live connection':>28}")
    failed = 0
    for engine in engines:
        method = args.method if args.method != "auto" else ("tracemalloc" if engine == "simpy" else "rss")
        cells, detail = [], []
        for load in LOADS:
            try:
                value, points = per_entry(method, load, engine)
                cells.append(f"{value:>17,.0f} ({points[-1][0]:>8,})")
                detail.append(f"  {load}: " + ", ".join(f"{n:,} -> {b / 2**20:,.1f} MiB" for n, b in points))
            except RunFailed as err:
                cells.append(f"{'failed':>28}")
                print(f"# {err}", file=sys.stderr)
                failed += 1
        print(f"{engine:<7} {method:<12} {cells[0]:>28} {cells[1]:>28}", flush=True)
        if args.points:
            print("\n".join(detail))
    if "fast" in engines:  # what the rss slope should come to: the C record of a connection (lock included)
        from tcpsim import _fast
        sizes = _fast.Core.sizes()
        print(f"fast engine records: connection (a TIME-WAIT entry, its inpcb lock included) {sizes['connection']} "
              f"bytes, lock {sizes['lock']}, event {sizes['event']}, thread {sizes['thread']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
