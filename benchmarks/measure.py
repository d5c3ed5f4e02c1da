"""One run in a fresh process, measured: the benchmarks' common ground.

A fresh process per run so that its peak RSS is its own (ru_maxrss never goes down: two runs in one process
would share a peak) and an engine's C arrays count as much as Python objects (tracemalloc sees only the
latter). ``fresh(path, engine, overrides)`` runs this file as a child and returns what it printed:

- ``wall``: seconds of ``run_model`` (building the model and starting Python are not counted);
- ``packets``: simulated segments in + out over the whole run, warm-up included;
- ``simulated``: simulated seconds, warm-up included;
- ``rss_start_mib``: peak RSS before the run (the interpreter, the imports, the built model);
- ``rss_peak_mib``: peak RSS of the whole process;
- ``timewait``: TIME-WAIT entries at the end (the last sample of the result's time series, at most
  ``[run] series_ms`` before the end: the one count every engine reports);
- ``in_flight``, ``completed``: connections started and not finished, and finished, over the whole run.

Run as ``python benchmarks/measure.py SCENARIO ENGINE OVERRIDES_JSON`` it prints that JSON object.
"""
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAPER = ROOT / "scenarios" / "paper"


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def measure(path, engine, overrides) -> dict:
    """Run the scenario at ``path`` on ``engine`` in this process and measure it (see the module docstring)."""
    from tcpsim import scenario
    from tcpsim.simulate import run_model

    model = scenario.load(path, overrides)
    start = _peak_rss_mib()
    t0 = time.perf_counter()
    r, _ = run_model(model, engine)
    wall = time.perf_counter() - t0
    return {"wall": wall, "packets": r["segments_in"] + r["segments_out"],
            "simulated": model.run.warmup_s + model.run.duration_s, "rss_start_mib": start,
            "rss_peak_mib": _peak_rss_mib(), **counts(r)}


def counts(result) -> dict:
    """What a run holds at its end, from its result (the same for every engine): ``timewait``, ``in_flight``,
    ``completed`` (see the module docstring)."""
    tw = result["series"]["timewait"]
    c = result["connections"]
    return {"timewait": tw[-1] if tw else None, "in_flight": c["in_flight"], "completed": c["completed"]}


class RunFailed(Exception):
    """A child run failed; the message is its last lines of stderr."""


def fresh(path, engine, overrides=None) -> dict:
    """``measure`` in a new Python process (raises RunFailed with the child's error)."""
    proc = subprocess.run([sys.executable, __file__, str(path), engine, json.dumps(overrides or {})],
                          capture_output=True, text=True)
    if proc.returncode:
        tail = "\n".join(proc.stderr.strip().splitlines()[-3:])
        raise RunFailed(f"{Path(path).stem} on {engine}: exit status {proc.returncode}: {tail}")
    return json.loads(proc.stdout)


def slope(xs, ys) -> float:
    """Least-squares slope of ys over xs (bytes per entry from several list sizes: one pair can straddle a
    step of an allocator or of an array that doubles; several points show it and average it out)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else float("nan")


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))))
