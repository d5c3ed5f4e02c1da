"""One base exception for every mistake a user can make; the CLI turns it into one line and exit status 2.

Anything else raised inside tcpsim is a bug: the CLI prints it as one line, says where to report it and exits
with status 1 (``TCPSIM_DEBUG=1`` shows the traceback).
"""
from __future__ import annotations

import difflib

REPORT_TO = "please report it to the tcpsim maintainers (issue tracker) with the command line and scenario file"


class TcpsimError(Exception):
    """A user's mistake (bad scenario, bad costs file, bad option): printed as one line, never a traceback."""


def did_you_mean(name, known, n: int = 1, prefix: str = "") -> str:
    """" (did you mean 'x'?)" when ``name`` is a near miss of one of ``known`` (difflib's ratio >= 0.6), else "";
    with ``n`` > 1 up to n of the closest, best first: " (did you mean 'x', 'y' or 'z'?)"; each shown after
    ``prefix`` (a key compared alone, shown as SECTION.key)."""
    close = [repr(prefix + c) for c in difflib.get_close_matches(str(name), sorted(known, key=str), n=n)]
    if not close:
        return ""
    return f" (did you mean {' or '.join([', '.join(close[:-1]), close[-1]] if len(close) > 1 else close)}?)"
