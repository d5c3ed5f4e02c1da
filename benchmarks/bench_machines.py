"""The fast engine on bigger machines: simulated packets per wall second on the 48-CPU scenarios against the
article's 8-CPU machines, the baseline and the read-lock variant, side by side.

Run:  python benchmarks/bench_machines.py [--repeat 3] [--duration 1]

Every run is a fresh process (``measure.py``); within each repeat the scenarios alternate, so a busy machine
slows them alike. Each machine runs its own closed loop (the paper's 128 clients, the machines' 256) for the
window after its 20 ms warm-up. Printed per scenario and variant: the median over the repeats of the wall time,
simulated packets (in + out, warm-up included) per wall second and simulated seconds per wall second; and per
48-CPU machine the ratio of its packets per wall second to the 8-CPU machine's with the same variant (issue
#16 item 6 wants the 48-CPU rate within 2x of the 8-CPU one: a ratio of at least 0.5).
"""
import argparse
import statistics

from measure import PAPER, ROOT, fresh

MACHINES = ROOT / "scenarios" / "machines"
# (label, scenario file, variant): the 8-CPU references first, each 48-CPU case compared with the reference of
# its variant
CASES = (("fig3_4queues", PAPER / "fig3_4queues.toml", "baseline"),
         ("rlock_4queues", PAPER / "rlock_4queues.toml", "rlock"),
         ("m48_2sockets_ht", MACHINES / "m48_2sockets_ht.toml", "baseline"),
         ("m48_2sockets_ht", MACHINES / "m48_2sockets_ht.toml", "rlock"),
         ("m48_4sockets", MACHINES / "m48_4sockets.toml", "baseline"),
         ("m48_4sockets", MACHINES / "m48_4sockets.toml", "rlock"))
REFERENCE = {"baseline": "fig3_4queues", "rlock": "rlock_4queues"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per case (default 3)")
    ap.add_argument("--duration", type=float, default=1.0, help="measured window, simulated s (default 1)")
    args = ap.parse_args()
    runs = {case: [] for case in CASES}
    for _ in range(args.repeat):
        for case in CASES:
            _label, path, variant = case
            over = {"scenario": {"variant": variant}, "run": {"duration_s": args.duration}}
            runs[case].append(fresh(path, "fast", over))
    med = {}
    print(f"fast engine, closed loops, {args.duration:g} s windows, medians of {args.repeat} (fresh process each)\n")
    print(f"{'scenario':<17} {'variant':<9} {'cpus':>4} {'wall s':>7} {'packets/wall s':>15} {'sim/real':>9} "
          f"{'vs 8 CPUs':>9}")
    for case in CASES:
        label, path, variant = case
        rs = runs[case]
        wall = statistics.median(r["wall"] for r in rs)
        rate = statistics.median(r["packets"] / r["wall"] for r in rs)
        sim = statistics.median(r["simulated"] / r["wall"] for r in rs)
        med[(label, variant)] = rate
        ref = med.get((REFERENCE[variant], variant))
        ratio = "" if label == REFERENCE[variant] else f"{rate / ref:.2f}x"
        cpus = 8 if path.parent == PAPER else int(label[1:3])
        print(f"{label:<17} {variant:<9} {cpus:>4} {wall:>7.3f} {rate:>15,.0f} {sim:>9.4f} {ratio:>9}")


if __name__ == "__main__":
    main()
