"""Linux's connection rate against cores on the 24-core two-socket machine (scenarios/linux/xeon24.toml): for
each configuration and core count, the capacity (`tcpsim capacity`'s search and rule), where the used cores'
time went and the lock with the most waiting -- issue #17's 24-core curves.

    PYTHONPATH=. python scripts/linux_cores.py [--cores 1,4,8,12,16,20,24] [--configs linux310,linux310+reuseport,linux44]
                                               [--duration 0.2] [--engine fast] [FILE]

A configuration is a kernel, optionally +variant. The application runs on the first N cores, one worker per
core, a NIC queue per core up to the driver's 16 (placement.core_overrides).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tcpsim import capacity, kernels, scenario, tomlfile
from tcpsim.engines import DEFAULT_ENGINE
from tcpsim.fingerprint import ROOT
from tcpsim.placement import core_overrides

SCENARIO = ROOT / "scenarios/linux/xeon24.toml"
CONFIGS = ("linux310", "linux310+reuseport", "linux44")
CORES = (1, 4, 8, 12, 16, 20, 24)


def overrides(path: Path, config: str, cores: int, duration_s: float) -> dict:
    kernel, _, variant = config.partition("+")
    sections = scenario.parse(tomlfile.read(path, "scenario")[1], str(path), {"scenario": {"kernel": kernel}})
    placed = core_overrides(sections, cores, kernels.package(kernel).max_queues)
    return {**placed, "scenario": {"kernel": kernel, "variant": variant or "baseline"}, "run": {"duration_s": duration_s}}


def split(result: dict, cpus: list[int]) -> dict:
    """Mean share of the used cores' time: user, system, interrupt (Linux: si), spinning (inside those), idle."""
    mean = lambda key: round(sum(result["cpus"][c][key] for c in cpus) / len(cpus), 1)  # noqa: E731
    return {k: mean(k) for k in ("user", "system", "interrupt", "spin", "idle")}


def measure(path: Path, config: str, cores: int, duration_s: float, engine: str, start: float) -> dict:
    given = overrides(path, config, cores, duration_s)
    cap = capacity.search(path, rule=capacity.Rule(), engine=engine, resolution=0.02, given=given, start=start)
    r = cap.result
    top = r["lock_profile"][0] if r["lock_profile"] else None
    waits = sum(row["wait_total"] for row in r["lock_profile"])
    return {"config": config, "cores": cores, "conn_s": cap.rate, "probes": len(cap.probes),
            **split(r, list(range(cores))),
            "top_lock": top["name"] if top else "", "top_share": round(top["wait_total"] / waits, 2) if waits else 0.0}


def table(rows: list[dict]) -> str:
    head = f"{'config':<20}{'cores':>6}{'conn/s':>10}{'usr':>6}{'sys':>6}{'si':>6}{'spin':>6}{'idle':>6}  top lock (share of waiting)"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['config']:<20}{r['cores']:>6}{r['conn_s']:>10,.0f}{r['user']:>6}{r['system']:>6}"
                     f"{r['interrupt']:>6}{r['spin']:>6}{r['idle']:>6}  {r['top_lock']} ({r['top_share']:.2f})")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("file", nargs="?", type=Path, default=SCENARIO)
    p.add_argument("--cores", default=",".join(map(str, CORES)))
    p.add_argument("--configs", default=",".join(CONFIGS))
    p.add_argument("--duration", type=float, default=0.2, help="each probe's measured window, s (default 0.2)")
    p.add_argument("--engine", default=DEFAULT_ENGINE)
    args = p.parse_args(argv)
    rows, t0 = [], time.perf_counter()
    for config in args.configs.split(","):
        start = 10_000.0
        for n in map(int, args.cores.split(",")):
            rows.append(measure(args.file, config, n, args.duration, args.engine, start))
            start = rows[-1]["conn_s"]  # the next core count's search starts from this one's capacity
            print(f"{config} {n} cores: {rows[-1]['conn_s']:,.0f}/s ({rows[-1]['probes']} probes, "
                  f"{time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    print(f"capacity ({args.engine} engine, {args.file.name}, Poisson arrivals, seed 1, {args.duration:g} s windows; "
          f"the highest offered rate that held: {capacity.Rule().describe()}; CPU shares: mean % of the used cores)\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
