"""Sensitivity of goodput to each cost: every CPU cost of the costs file moved by +-delta, one at a time.

The result says which numbers of the costs file matter for a scenario (and so which ones a calibration can
pin down from it), as a table and a tornado plot.

Cutting a cost usually raises goodput; where the rate is set by a contended lock it can lower it. Work a thread
does outside the lock (a worker's soreceive, sosend, soclose, kevent scan, its user time) keeps it away from the
lock: done faster, the thread is back at rw:tcp sooner and more often, more threads spin at each release, and
the interrupt threads -- the stage that admits connections -- wait longer per acquisition. Each run records the
interrupt CPUs' spin share, so the table shows that mechanism beside every row.
"""
from __future__ import annotations

import textwrap

from . import scenario
from .engines import DEFAULT_ENGINE
from .errors import TcpsimError, did_you_mean
from .execute import run_all
from .simulate import overrides, run_model


def _goodput(args):
    """One run: its goodput and the mean share of the interrupt CPUs' time spent spinning on locks (%)."""
    path, over, key, factor, engine = args
    model = scenario.load(path, over)
    if key is not None:
        model.costs[key] = model.costs[key] * factor
    r, _ = run_model(model, engine)
    qcpus = sorted(set(model.hardware.queue_cpus))
    return r["goodput_cps"], sum(r["cpus"][c]["spin"] for c in qcpus) / len(qcpus)


def sensitivity(path, params=None, delta=0.2, seed=None, duration_s=None, engine=DEFAULT_ENGINE, jobs=1, progress=None):
    """``progress``: called as progress(done, total) after each run (see tcpsim.progress)."""
    over = overrides(seed, duration_s)
    model = scenario.load(path, over)
    names = sorted(model.cpu_cost_names)
    if params:
        unknown = [p for p in params if p not in names]
        if unknown:
            raise TcpsimError(f"--params: {unknown[0]!r} is not a CPU cost of the costs file"
                              f"{did_you_mean(unknown[0], names, n=3)}; allowed: one of the {len(names)} names of its "
                              "[cpu] section (tcpsim/data/freebsd10.toml unless [scenario] costs names another)")
        twice = [p for p in params if params.count(p) > 1]
        if twice:
            raise TcpsimError(f"--params: {twice[0]!r} is listed twice; allowed: each cost once")
        names = list(params)
    # the same run with another seed: differences below this are noise, not sensitivity
    other = dict(over, run={**over.get("run", {}), "seed": model.run.seed + 1})
    tasks = [(str(path), over, None, 1.0, engine), (str(path), other, None, 1.0, engine)]
    for key in names:
        tasks += [(str(path), over, key, 1.0 - delta, engine), (str(path), over, key, 1.0 + delta, engine)]
    values = [None] * len(tasks)
    if progress:
        progress(0, len(tasks))
    for n, (i, v) in enumerate(run_all(_goodput, tasks, jobs), 1):
        values[i] = v
        if progress:
            progress(n, len(tasks))
    (base, base_spin), (reseeded, _) = values[0], values[1]
    rows = []
    for i, key in enumerate(names):
        (low, low_spin), (high, high_spin) = values[2 + 2 * i], values[3 + 2 * i]
        rows.append({
            "param": key, "ns": model.costs[key], "goodput_low": low, "goodput_high": high,
            "change_low_pct": round(100.0 * (low - base) / base, 2) if base else 0.0,
            "change_high_pct": round(100.0 * (high - base) / base, 2) if base else 0.0,
            # points of the interrupt CPUs' time spent spinning, against the base run
            "irq_spin_low_pts": round(low_spin - base_spin, 2), "irq_spin_high_pts": round(high_spin - base_spin, 2),
        })
    rows.sort(key=lambda r: -max(abs(r["change_low_pct"]), abs(r["change_high_pct"])))
    noise = round(100.0 * abs(reseeded - base) / base, 2) if base else 0.0
    return {"scenario": model.name, "variant": model.variant, "delta": delta, "goodput_cps": base,
            "irq_spin_pct": round(base_spin, 2), "noise_pct": noise, "rows": rows,
            "costs_in_all": len(model.cpu_cost_names)}


def inverted(result) -> list[dict]:
    """The rows whose cut lowers goodput by more than the noise."""
    return [r for r in result["rows"] if r["change_low_pct"] < -max(result["noise_pct"], 0.05)]


def format_table(result) -> str:
    d = round(100 * result["delta"])
    lines = [f"goodput sensitivity, {result['scenario']} ({result['variant']}): {result['goodput_cps']:,.0f} conn/s "
             f"at the costs file's values; each cost alone at -{d}% / +{d}%",
             f"(the same run with the next seed differs by {result['noise_pct']:.1f}%: smaller changes are noise)",
             f"(irq spin: the change, in points, of the interrupt CPUs' time spent spinning, "
             f"{result['irq_spin_pct']:.1f}% at the base)",
             f"{'cost':<26} {'ns':>7} {f'-{d}%':>9} {f'+{d}%':>9}  {f'irq spin -{d}%':>14} {f'+{d}%':>6}"]
    for r in result["rows"]:
        lines.append(f"{r['param']:<26} {r['ns']:>7,.0f} {r['change_low_pct']:>+8.1f}% {r['change_high_pct']:>+8.1f}%  "
                     f"{r['irq_spin_low_pts']:>+14.1f} {r['irq_spin_high_pts']:>+6.1f}")
    slower = inverted(result)
    if slower:
        names = ", ".join(r["param"] for r in slower)
        spin = sum(r["irq_spin_low_pts"] for r in slower) / len(slower)
        lines += ["", textwrap.fill(
            f"Cutting {names} lowers goodput: work done outside the contended lock. Done faster, its threads are "
            f"back at the lock sooner and more often, and the interrupt CPUs, which set the rate, spin more "
            f"(their spin share {spin:+.1f} points on average at -{d}%).", 110)]
    return "\n".join(lines)


def tornado(result, path, top=20) -> None:
    """Write the tornado plot (PNG, SVG or PDF by the file's extension)."""
    from .plots import save

    save(tornado_figure(result, top), path, "--plot")


def tornado_figure(result, top=20):
    """The ``top`` costs with the largest effect as bars, the run-to-run noise shaded, the title saying how many
    of the costs run it shows."""
    from .plots import subplots

    rows = result["rows"][:top][::-1]
    d = round(100 * result["delta"])
    fig, ax = subplots(figsize=(8, 0.35 * len(rows) + 1.8))
    y = range(len(rows))
    noise = result["noise_pct"]
    ax.axvspan(-noise, noise, color="#bbbbbb", alpha=0.5, linewidth=0,
               label=f"noise floor (next seed: ±{noise:.1f}%)")
    ax.barh(y, [r["change_low_pct"] for r in rows], color="#4477aa", label=f"cost -{d}%")
    ax.barh(y, [r["change_high_pct"] for r in rows], color="#cc6677", label=f"cost +{d}%")
    ax.set_yticks(list(y), [r["param"] for r in rows], fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("change in goodput (%)")
    n = len(result["rows"])
    shown = f"the {len(rows)} of {n} costs with the largest effect" if len(rows) < n else f"all {n} costs"
    if n < result["costs_in_all"]:
        shown += f" asked for (of {result['costs_in_all']} CPU costs)"
    ax.set_title(f"{result['scenario']} ({result['variant']}): {result['goodput_cps']:,.0f} conn/s\n{shown}",
                 fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
