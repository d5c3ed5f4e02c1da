"""pandas views of a run's plain-data result (and of reproduce / compare / sweep rows), for notebooks.

The result dict of ``simulate`` stays the one source; each function here only reshapes one part of it into a
DataFrame. pandas is an optional dependency (``pip install -e '.[notebook]'``), imported on first use.
"""
from __future__ import annotations

from dataclasses import asdict

from ..errors import TcpsimError


def _pd():
    try:
        import pandas
    except ImportError:  # a missing optional part is the user's setup, not a bug: say how to get it
        raise TcpsimError("pandas is not installed; allowed: pip install -e '.[notebook]'") from None
    return pandas


def cpus(result: dict):
    """One row per CPU: user/system/interrupt/idle %, as top -SHIPz's CPU lines."""
    return _pd().DataFrame(result["cpus"]).set_index("cpu")


def threads(result: dict):
    """One row per thread: its CPU, priority and user/system/interrupt %, as top -SHIPz's thread lines."""
    return _pd().DataFrame(result["threads"]).set_index("name")


def lock_profile(result: dict):
    """The LOCK_PROFILING table (times in microseconds), sorted by wait_total as the article sorts it."""
    return _pd().DataFrame(result["lock_profile"]).set_index("name")


def spin_shares(result: dict):
    """For each profiled CPU, the share of its samples in each lock slow path (__rw_wlock_hard, ...)."""
    return _pd().DataFrame({p["cpu"]: p["spin_share"] for p in result["profile"]}).T.rename_axis("cpu")


def rows(objects):
    """reproduce's rows (dataclasses), or compare's and sweep's rows (dicts), as a DataFrame."""
    return _pd().DataFrame([asdict(o) if hasattr(o, "__dataclass_fields__") else dict(o) for o in objects])
