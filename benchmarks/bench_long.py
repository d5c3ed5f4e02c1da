"""A long run: 60 simulated seconds of rlock_4queues with every TIME-WAIT entry living its full 2MSL.

Run:  python benchmarks/bench_long.py [--engine fast] [--duration 60] [--msl 30]

The TIME-WAIT list is not capped (maxtcptw at its maximum, 10,000,000, and no prefill), so nothing is
recycled early: at ~150,000 connections/s and 2MSL = 60 s (``[kernel] msl_s`` = 30, FreeBSD's default)
nothing expires within 60 s either, and the list ends at ~9 million entries -- the memory test issue #9
sets the fast engine (60 simulated seconds under 2 GiB, <= 150 bytes per TIME-WAIT entry). It prints the
wall time, the peak RSS (and before the run), connections completed, TIME-WAIT entries at the end and bytes
per entry: what the run added to the peak RSS over the entries, an upper bound (the latencies and the time
series grow with the run too).

Measured with the fast engine (2-core development machine): 65.8 s wall (1,308,657 packets per wall s), peak
RSS 913 MiB, 9.57 M connections, 9.55 M TIME-WAIT entries at the end, 96 bytes per entry.

Practical only on the fast engine: the SimPy engine simulates ~0.02 s per wall second here (an hour or more
for 60 s) and keeps every entry as Python objects (several GiB); ``--duration 0.5`` tries it.
"""
import argparse
import json
import sys

from measure import PAPER, RunFailed, fresh
from tcpsim.engines import ENGINES

MAXTCPTW = 10_000_000  # the schema's maximum: above the ~9 million entries of 60 s at 150,000/s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", default="fast" if "fast" in ENGINES else ENGINES[0],
                    help=f"registered: {', '.join(ENGINES)} (default: fast when registered)")
    ap.add_argument("--duration", type=float, default=60.0, help="simulated seconds (default 60, no warm-up)")
    ap.add_argument("--msl", type=float, default=30.0, help="[kernel] msl_s; TIME-WAIT lasts 2 MSL (default 30)")
    ap.add_argument("--json", action="store_true", help="print the measurements as one JSON object")
    args = ap.parse_args()
    if args.engine not in ENGINES:
        ap.error(f"--engine: {args.engine!r} is not registered in tcpsim.engines.ENGINES ({', '.join(ENGINES)})")
    over = {"kernel": {"maxtcptw": MAXTCPTW, "timewait_prefill": False, "msl_s": args.msl},
            # the TIME-WAIT count comes from the time series' last sample, which lags the end by at most one
            # interval: 100 ms (~0.2 % of a 60 s list), a hundredth of a shorter run
            "run": {"warmup_s": 0.0, "duration_s": args.duration, "series_ms": min(100.0, args.duration * 10)}}
    if args.engine == "simpy" and args.duration > 1:
        print(f"# the SimPy engine: {args.duration:g} simulated s will take hours and GiBs (try --duration 0.5)",
              file=sys.stderr)
    try:
        m = fresh(PAPER / "rlock_4queues.toml", args.engine, over)
    except RunFailed as err:
        print(err, file=sys.stderr)
        return 1
    added = (m["rss_peak_mib"] - m["rss_start_mib"]) * 2**20
    m["bytes_per_timewait_entry"] = added / m["timewait"] if m["timewait"] else None
    if args.json:
        print(json.dumps({"engine": args.engine, "duration_s": args.duration, "msl_s": args.msl, **m}))
        return 0
    print(f"engine {args.engine}, rlock_4queues, {args.duration:g} simulated s, 2MSL {2 * args.msl:g} s, "
          f"maxtcptw {MAXTCPTW:,}")
    print(f"wall time                 {m['wall']:,.1f} s  ({args.duration / m['wall']:.3f} simulated s per wall s, "
          f"{m['packets'] / m['wall']:,.0f} packets per wall s)")
    print(f"peak RSS                  {m['rss_peak_mib']:,.1f} MiB  (before the run {m['rss_start_mib']:,.1f} MiB)")
    print(f"connections completed     {m['completed']:,}  (in flight at the end {m['in_flight']:,})")
    print(f"TIME-WAIT entries at end  {m['timewait']:,}")
    per = m["bytes_per_timewait_entry"]
    print(f"bytes per entry           {per:,.0f}  (RSS the run added / entries: an upper bound)" if per else
          "bytes per entry           - (no TIME-WAIT entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
