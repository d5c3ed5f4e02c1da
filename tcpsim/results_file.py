"""Results files: one tidy row per run of a sweep or comparison, as Parquet or CSV (chosen by the suffix).

A row holds the point's --set keys (``SECTION.KEY`` columns) and axes (``cores``), variant, queues, seed, every
summary number, the kernel it ran (``kernel_name``), the scenario's name, path and sha256, engine, tcpsim version
and code revision, window and ``run_key`` (the run's identity as one string).
``pandas.read_parquet`` / ``read_csv`` read the file unchanged.

Durability: after every finished run the whole file is written again to a temporary file beside it, flushed
to disk and renamed over the old one (``os.replace`` is atomic on POSIX). So the file on disk is always a
complete, readable file with every run finished so far, whenever the sweep is interrupted -- never a
half-written one -- and rerunning the same sweep with the same file skips the runs it holds. Rewriting the
file is a few milliseconds per run against seconds per simulation, so a journal would buy nothing.

Growth: a later sweep of the same experiment (scenario text, engine, window, --set keys) adds its runs to the
file; one of another experiment is refused, and so are runs of another code revision unless the user says so.
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


TEXT_COLUMNS = ("scenario", "scenario_path", "scenario_sha256", "variant", "engine", "version", "revision", "run_key",
                "kernel_name")


def read(path, option: str = "-o") -> list[dict]:
    """The rows of a results file as plain Python values (lists, None for missing numbers)."""
    path = check_path(path, option)
    pd = _pandas(path, option)
    try:
        # identity columns are text even when they look like numbers (a short git hash can be all digits)
        frame = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(
            path, dtype={c: str for c in TEXT_COLUMNS})
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


# What every run of one file (or one plot) shares, unless the sweep itself varies it (--set run.duration_s=[...]):
# the rows of a file are points of one experiment, averaged over seeds per point, never across these.
SHARED = ("scenario_sha256", "engine", "duration_s", "warmup_s")


def _what(key: str, row: dict) -> str:
    value = row.get(key)
    if key == "scenario_sha256":
        return f"scenario {row.get('scenario', '?')} ({row.get('scenario_path', '?')}, sha256 {str(value)[:12]})"
    return {"engine": f"engine {value}", "duration_s": f"a {value} s window",
            "warmup_s": f"{value} s of warm-up"}.get(key, f"{key} {value}")


CORES = "cores"  # sweep --cores: an axis that is not one scenario key (placement.core_overrides sets several)
AXES = (CORES,)


def is_label(key: str) -> bool:
    """Whether a row's column is a point's key: a --set key (SECTION.KEY: no other column has a dot) or an axis."""
    return "." in key or key in AXES


def _swept(rows: list[dict]) -> list[str]:
    """The point keys (--set keys, axes) of rows; none for compare's rows without kernels."""
    return sorted({k for r in rows for k in r if is_label(k)})


def conflict(held: list[dict], new: list[dict]) -> str:
    """Why rows ``new`` cannot join rows ``held`` in one file or one plot ('' when they can): another scenario
    text, engine or window, or other --set keys. The code revision is checked apart (``revisions``)."""
    if not held or not new:
        return ""
    a, b = _swept(held), _swept(new)
    for key in SHARED:
        if f"run.{key}" in a or f"run.{key}" in b:  # swept: its values are the points
            continue
        known = {r.get(key) for r in held}
        other = next((r for r in new if r.get(key) not in known), None)
        if other is not None:
            return f"holds runs of {_what(key, held[0])}, not of {_what(key, other)}"
    if a != b:
        return (f"holds a sweep of {', '.join(a) or 'queue counts (compare)'}, not of "
                f"{', '.join(b) or 'queue counts (compare)'}")
    return ""


REQUIRED = ("run_key", "variant", "queues", "seed", "goodput_cps")  # what every row of sweep or compare has


def revisions(rows: list[dict]) -> list[str]:
    """The code revisions (tcpsim/revision.py) whose runs ``rows`` hold, in order of appearance."""
    return list(dict.fromkeys(str(r.get("revision")) for r in rows))


class ResultsFile:
    """The results file of one sweep: the runs it already holds (by run_key), and every new run added at once.

    A file grows: a sweep may add variants, points and seeds of the same experiment (``conflict``) to the runs
    already there, which stay. Runs of another code revision are refused unless ``across_revisions``: the
    model's numbers may have changed between them."""

    def __init__(self, path, planned: list[dict], across_revisions: bool = False):
        """``planned``: the rows the sweep will write, as far as known before running (Task.row)."""
        self.path = check_path(path)
        _pandas(self.path)  # a missing library is reported before the first run, not after it
        if not self.path.parent.is_dir():
            raise TcpsimError(f"-o {self.path}: directory {self.path.parent} does not exist")
        self.planned = {r["run_key"] for r in planned}
        self.rows: dict[str, dict] = {}
        if self.path.exists():
            old = read(self.path)
            if old and "run_key" not in old[0]:
                raise TcpsimError(f"-o {self.path}: exists and is not a tcpsim results file (no run_key column); "
                                  "allowed: a new file, or the file of an earlier run of the same scenario")
            if old and "revision" not in old[0]:
                raise TcpsimError(f"-o {self.path}: was written by a tcpsim that did not record the code's revision; "
                                  "allowed: a new file")
            why = conflict(old, planned)
            if why:  # one file, one experiment: never mix two, nor drop the runs of another
                raise TcpsimError(f"-o {self.path}: {why}; allowed: the same scenario, engine, window and --set keys "
                                  "(with any values, variants, queues or seeds), or a new file")
            theirs, ours = revisions(old), revisions(planned)
            if not across_revisions and set(theirs) - set(ours):
                raise TcpsimError(f"-o {self.path}: holds runs of code revision {', '.join(theirs)}, this is "
                                  f"{ours[0]}, whose numbers may differ; allowed: a new file, or "
                                  "--resume-across-revisions to keep and reuse them")
            self.rows = {r["run_key"]: r for r in old}

    def add(self, row: dict) -> None:
        self.rows[row["run_key"]] = row
        write(self.path, list(self.rows.values()))

    def finish(self, ordered: list[dict]) -> None:
        """Write the runs of other sweeps first, as they were, then this sweep's in its order, so that a resumed
        sweep's file equals an uninterrupted one's."""
        write(self.path, [r for k, r in self.rows.items() if k not in self.planned] + ordered)


def read_many(paths, option: str = "-o") -> list[dict]:
    """The rows of several results files as one list (for one plot), refused when they are not runs of one
    experiment (``conflict``); a run found in two files counts once. Errors name a file as ``option``."""
    rows: dict[str, dict] = {}
    first = None
    for path in paths:
        got = read(path, option)
        if not got:
            raise TcpsimError(f"{path}: holds no runs; allowed: a results file of sweep or compare -o")
        missing = sorted(set(REQUIRED) - set(got[0]))
        if missing:
            raise TcpsimError(f"{path}: not a results file of sweep or compare (no {', '.join(missing)} column); "
                              "allowed: a file written by sweep or compare -o")
        why = conflict(list(rows.values()), got)
        if why:
            raise TcpsimError(f"{first} {why}, as {path} does; allowed: results files of one scenario, engine, "
                              "window and --set keys in one plot")
        first = first or path
        rows.update((r.get("run_key", i), r) for i, r in enumerate(got, len(rows)))
    return list(rows.values())
