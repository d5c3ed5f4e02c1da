"""Results files: one tidy row per run of a sweep or comparison, as Parquet or CSV (chosen by the suffix).

A row holds the point's --set keys (``SECTION.KEY`` columns), variant, queues, seed, every summary number, the
scenario's sha256, engine, tcpsim version, window and ``run_key`` (the run's identity as one string).
``pandas.read_parquet`` / ``read_csv`` read the file unchanged.

Durability: after every finished run the whole file is written again to a temporary file beside it, flushed
to disk and renamed over the old one (``os.replace`` is atomic on POSIX). So the file on disk is always a
complete, readable file with every run finished so far, whenever the sweep is interrupted -- never a
half-written one -- and rerunning the same sweep with the same file skips the runs it holds. Rewriting the
file is a few milliseconds per run against seconds per simulation, so a journal would buy nothing.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

from .errors import TcpsimError

FORMATS = (".parquet", ".csv")


def check_path(path, option: str = "-o") -> Path:
    """The results file's path, if its suffix names a format we write (before anything runs); errors name it as
    ``option`` gave it (-o of sweep and compare, or the file plot reads)."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise TcpsimError(f"{option} {path}: unknown results format {path.suffix or '(no suffix)'!r}; "
                          "allowed: a .parquet or .csv file")
    return path


def _pandas(path, option: str = "-o"):
    try:
        import pandas
        if path.suffix.lower() == ".parquet":
            import pyarrow  # noqa: F401  (pandas' Parquet engine)
    except ImportError:
        raise TcpsimError(f"{option} {path}: results files need pandas and pyarrow; allowed: "
                          "pip install 'tcpsim[results]'") from None
    return pandas


def read(path, option: str = "-o") -> list[dict]:
    """The rows of a results file as plain Python values (lists, None for missing numbers)."""
    path = check_path(path, option)
    pd = _pandas(path, option)
    try:
        frame = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    except FileNotFoundError:
        raise TcpsimError(f"{path}: no such results file") from None
    except Exception as e:  # pyarrow and pandas raise many types for a file that is not theirs
        raise TcpsimError(f"{path}: not a readable results file ({type(e).__name__}: {e})") from None
    csv = path.suffix.lower() == ".csv"
    return [{k: _plain(v, csv) for k, v in row.items()} for row in frame.to_dict("records")]


def _plain(v, csv: bool):
    """A cell as the Python value the sweep wrote: numpy scalars and arrays as numbers and lists, a missing
    number (NaN) as None, and in CSV a list written as JSON text as that list."""
    if hasattr(v, "tolist"):  # numpy scalar or array (Parquet list cells are arrays)
        v = v.tolist()
    if isinstance(v, list):
        return [_plain(x, csv) for x in v]
    if isinstance(v, float) and math.isnan(v):
        return None
    if csv and isinstance(v, str) and v.startswith("["):
        return json.loads(v)
    return v


def write(path, rows: list[dict]) -> None:
    """Replace the file with ``rows``, atomically (see the module's docstring)."""
    path = check_path(path)
    pd = _pandas(path)
    frame = pd.DataFrame(rows)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            if path.suffix.lower() == ".parquet":
                frame.to_parquet(f, index=False)
            else:  # list cells (worker_cpus, list-valued keys) as JSON text, which CSV readers can parse
                frame.map(lambda v: json.dumps(v) if isinstance(v, list) else v).to_csv(f, index=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        raise TcpsimError(f"-o {path}: cannot write ({e.strerror})") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class ResultsFile:
    """The results file of one sweep: the runs it already holds (by run_key), and every new run added at once."""

    def __init__(self, path, planned_keys: list[str]):
        self.path = check_path(path)
        _pandas(self.path)  # a missing library is reported before the first run, not after it
        if not self.path.parent.is_dir():
            raise TcpsimError(f"-o {self.path}: directory {self.path.parent} does not exist")
        self.rows: dict[str, dict] = {}
        if self.path.exists():
            old = read(self.path)
            if old and "run_key" not in old[0]:
                raise TcpsimError(f"-o {self.path}: exists and is not a tcpsim results file (no run_key column); "
                                  "allowed: a new file, or the file of an earlier run of the same sweep")
            planned = set(planned_keys)
            stray = [r for r in old if r["run_key"] not in planned]
            if stray:  # resuming must never mix two sweeps in one file, nor drop the runs of another
                raise TcpsimError(f"-o {self.path}: holds {len(stray)} run(s) that are not part of this sweep "
                                  "(another scenario text, grid, variant, seed, window, engine or version); "
                                  "allowed: the same sweep to resume it, or a new file")
            self.rows = {r["run_key"]: r for r in old}

    def add(self, row: dict) -> None:
        self.rows[row["run_key"]] = row
        write(self.path, list(self.rows.values()))

    def finish(self, ordered: list[dict]) -> None:
        """Write the rows in the sweep's order, so that a resumed sweep's file equals an uninterrupted one's."""
        write(self.path, ordered)
