"""Engine speed and memory: simulated packets per wall-clock second on the paper's machines.

Run:  python benchmarks/bench_engine.py [--repeat 3] [--engines simpy,fast] [--duration simpy=0.05,fast=1]

Every run is a fresh process (``measure.py``: its peak RSS is its own); engines alternate within each repeat,
so a busy machine slows them alike. Per scenario and engine it prints the median over the repeats of: the
wall time of a run, simulated packets (in + out, whole run including warm-up) per wall second, simulated
seconds per wall second, the peak RSS (and the part of it the run added to the loaded model), and, with more
than one engine, each engine's packets per wall second relative to the first engine's (the ratio measured
side by side in the same invocation; issue #9 wants the fast engine >= 50x the SimPy engine on
rlock_4queues).

``--duration`` is the measured window per engine (``0.05`` for all, or ``simpy=0.05,fast=1``): the fast engine
needs longer windows to run long enough to time, and packets per wall second stays comparable across window
lengths (the rate is steady after the 20 ms warm-up). Defaults: DEFAULT_DURATION.
"""
import argparse
import statistics
import sys

from measure import PAPER, RunFailed, fresh
from tcpsim.differential import REFERENCE
from tcpsim.engines import ENGINES

SCENARIOS = ("fig2_1queue", "fig3_4queues", "rlock_4queues", "linux/fig3_4queues")  # a name with a folder: under scenarios/
DEFAULT_DURATION = {"simpy": 0.05, "fast": 1.0}  # any other engine: the SimPy engine's
MIN_REPEAT = 3  # medians of fewer runs are not worth quoting


def durations(text: str, engines) -> dict:
    """``--duration``: one number for every engine, or ENGINE=SECONDS pairs (the others keep their default)."""
    out = {e: DEFAULT_DURATION.get(e, DEFAULT_DURATION["simpy"]) for e in engines}
    if not text:
        return out
    try:
        if "=" not in text:
            return dict.fromkeys(engines, float(text))
        for pair in text.split(","):
            engine, _, seconds = pair.partition("=")
            if engine not in out:
                raise SystemExit(f"--duration: {engine!r} is not one of --engines ({','.join(engines)})")
            out[engine] = float(seconds)
    except ValueError:
        raise SystemExit(f"--duration: expected SECONDS or ENGINE=SECONDS,..., got {text!r}") from None
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=MIN_REPEAT,
                    help=f"runs per scenario and engine (default {MIN_REPEAT})")
    ap.add_argument("--duration", default="", help="measured window in simulated seconds: SECONDS, or "
                    f"ENGINE=SECONDS,... (default {DEFAULT_DURATION})")
    # the reference engine first, whatever the registry's order: the ratios are to it
    default = [REFERENCE, *(e for e in ENGINES if e != REFERENCE)]
    ap.add_argument("--engines", default=",".join(default), help="comma-separated, the first is the one the "
                    f"others' speed is relative to (default {','.join(default)})")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"default {','.join(SCENARIOS)}")
    args = ap.parse_args()
    engines = list(dict.fromkeys(args.engines.split(",")))
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        ap.error(f"--engines: {', '.join(unknown)} not registered in tcpsim.engines.ENGINES ({', '.join(ENGINES)})")
    if args.repeat < 1:
        ap.error("--repeat: at least 1")
    window = durations(args.duration, engines)
    print(f"# medians of {args.repeat} runs; windows: " + ", ".join(f"{e} {window[e]} s" for e in engines)
          + ("" if args.repeat >= MIN_REPEAT else f"  (fewer than {MIN_REPEAT} runs: a smoke test, not a measurement)"))
    print(f"{'scenario':<19} {'engine':<7} {'window s':>8} {'wall s':>8} {'packets/wall s':>15} {'sim/real':>9} "
          f"{'peak RSS MiB':>13} {'(run adds)':>10} {'speed vs ' + engines[0]:>16}")
    failed = 0
    for name in args.scenarios.split(","):
        runs = {e: [] for e in engines}
        for _ in range(args.repeat):
            for e in engines:
                try:
                    path = PAPER / f"{name}.toml" if "/" not in name else PAPER.parent / f"{name}.toml"
                    runs[e].append(fresh(path, e, {"run": {"duration_s": window[e]}}))
                except RunFailed as err:
                    print(f"# {err}", file=sys.stderr)
                    failed += 1
        rates = {e: statistics.median(r["packets"] / r["wall"] for r in runs[e]) for e in engines if runs[e]}
        for e in engines:
            if not runs[e]:
                print(f"{name:<19} {e:<7} (every run failed)")
                continue
            med = {k: statistics.median(r[k] for r in runs[e]) for k in ("wall", "rss_peak_mib", "rss_start_mib")}
            simulated = runs[e][0]["simulated"]
            ratio = f"{rates[e] / rates[engines[0]]:>15.2f}x" if engines[0] in rates else f"{'-':>16}"
            print(f"{name:<19} {e:<7} {window[e]:>8g} {med['wall']:>8.3f} {rates[e]:>15,.0f} "
                  f"{simulated / med['wall']:>9.4f} {med['rss_peak_mib']:>13.1f} "
                  f"{med['rss_peak_mib'] - med['rss_start_mib']:>10.1f} {ratio}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
