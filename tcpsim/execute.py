"""Where independent runs execute: in this process, in a pool of local processes, or on a dask cluster.

Every run of a sweep is independent and deterministic (its seed is part of its task), so where it runs does
not change its numbers; only the order in which runs finish differs. ``run_all`` yields each result as soon
as it is finished, so callers can save it and advance a progress bar before the slowest run is done.
"""
from __future__ import annotations

import signal
from concurrent.futures import ProcessPoolExecutor, as_completed

from .errors import TcpsimError


def run_all(fn, tasks, jobs: int = 1, scheduler: str | None = None):
    """Yield (index into ``tasks``, fn(task)) in the order the runs finish. ``scheduler``: the address of a
    dask.distributed scheduler (``tcp://host:8786``), whose workers run the tasks instead of local processes."""
    tasks = list(tasks)
    if scheduler:
        yield from _on_dask(fn, tasks, scheduler)
    elif jobs > 1 and len(tasks) > 1:
        pool = ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_sigint)
        try:
            futures = {pool.submit(fn, t): i for i, t in enumerate(tasks)}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        except KeyboardInterrupt:
            # Ctrl-C reaches the whole process group; the workers ignore it and the parent stops them here,
            # so the user sees the CLI's one line instead of a traceback per worker
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
            raise
        finally:  # on an error or Ctrl-C, drop the queued runs instead of waiting for all of them
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        for i, t in enumerate(tasks):
            yield i, fn(t)


def _ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _on_dask(fn, tasks, address):
    try:
        from dask.distributed import Client, as_completed as dask_completed
    except ImportError:
        raise TcpsimError("--scheduler needs dask.distributed; allowed: pip install 'tcpsim[dask]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as e:
        raise TcpsimError(f"--scheduler {address}: cannot connect ({e}); allowed: the address a running "
                          "'dask scheduler' prints, e.g. tcp://10.0.0.5:8786") from None
    try:
        # pure=False: two equal tasks are still two runs (dask would otherwise merge them by their hash)
        futures = client.map(fn, tasks, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in dask_completed(futures):
            yield index[fut.key], fut.result()
    finally:
        client.close()
