"""Which code made a number: the revision recorded with every run (results files, ``--json``, reports).

Two checkouts with different model code both say version 0.1.0, so the package version alone cannot tell
their numbers apart. From a git checkout the revision is ``git describe --always --dirty`` of the tree the
package is imported from (a commit, with ``-dirty`` when files differ from it); installed from a release (no
checkout around the package, or no git) it is the package version. A dirty tree names its commit only: two
different uncommitted edits look the same, which the ``-dirty`` suffix warns about.
"""
from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from . import __version__

_PACKAGE = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=1)  # one git call per process: a sweep asks once per run
def revision() -> str:
    """``git describe --always --dirty`` of the checkout holding this package, else the package version."""
    root = _PACKAGE.parent
    if not (root / ".git").exists():  # a worktree's .git is a file, a clone's a directory
        return __version__
    try:
        done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"], capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):  # no git installed: the release's version is all we know
        return __version__
    described = done.stdout.strip()
    return described if done.returncode == 0 and described else __version__
