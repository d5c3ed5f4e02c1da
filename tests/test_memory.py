"""Long runs and many runs: a process that runs the engine again and again keeps no memory from one run to
the next (sweeps run hundreds of points in one worker)."""
import gc
import tracemalloc

from tcpsim.simulate import run_model

from .conftest import make_model


def test_repeated_runs_do_not_grow_memory():
    retained = []
    tracemalloc.start()
    try:
        for _ in range(4):
            result, engine = run_model(make_model(run={"warmup_s": 0.001, "duration_s": 0.004}))
            del result, engine
            gc.collect()
            retained.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    # the first run may fill import-time caches; after it, nothing accumulates
    assert max(retained[1:]) - min(retained[1:]) < 64 * 1024, retained
