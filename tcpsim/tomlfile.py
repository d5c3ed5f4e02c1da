"""Reading a user's TOML file: one place that turns I/O and syntax errors into one-line TcpsimErrors, and
finds the line a key was written on (for error messages).

tomllib returns plain dicts without positions, so ``Lines`` finds a key's line by a simple scan of the text:
it follows the ``[table]`` / ``[[array.of.tables]]`` headers and matches lines that start with ``key =``
(bare or quoted). Keys written as dotted keys (``hardware.cpus = 4`` at the top level) or inside inline
tables are not found; the message then names the file without a line, never a wrong line.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from .errors import TcpsimError

_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z_\"'][A-Za-z0-9_.\-\"' ]*?)\s*\]\]?\s*(#.*)?$")
_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def parse(text: str, where) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        # "file:LINE: not valid TOML (Invalid value)": the position moves to the front, where editors look
        msg = str(e)
        m = _AT_LINE.search(msg)
        if m:
            where, msg = f"{where}:{m.group(1)}", _AT_LINE.sub("", msg).strip()
        raise TcpsimError(f"{where}: not valid TOML ({msg})") from None


def read(path, what: str) -> tuple[dict, str]:
    """(data, text) of the TOML file at ``path``; ``what`` names it in errors ("scenario", "costs file")."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise TcpsimError(f"{path}: cannot read {what} ({e.strerror})") from None
    except UnicodeDecodeError:
        raise TcpsimError(f"{path}: cannot read {what} (not UTF-8 text)") from None
    return parse(text, path), text


class Lines:
    """Line numbers (from 1) of tables and keys in a TOML text, found by scanning (see the module's doc)."""

    def __init__(self, text: str):
        self.rows = []  # (line number, table the line is in, the line)
        table = ""
        for n, line in enumerate(text.splitlines(), 1):
            m = _HEADER.match(line)
            if m:
                table = m.group(1).replace('"', "").replace("'", "").replace(" ", "")
                self.rows.append((n, table, None))
                continue
            self.rows.append((n, table, line))

    def table(self, name: str) -> int | None:
        """The line of the first ``[name]`` (or ``[[name]]``) header."""
        return next((n for n, t, line in self.rows if line is None and t == name), None)

    def key(self, table: str, key: str) -> int | None:
        """The line of ``key = ...`` directly in ``[table]``."""
        pattern = re.compile(rf"^\s*([\"']?){re.escape(key)}\1\s*=")
        return next((n for n, t, line in self.rows if line is not None and t == table and pattern.match(line)), None)

    def array_item(self, table: str, key: str, index: int, marker: str) -> int | None:
        """The line of item ``index`` (from 1) of the array of tables ``table.key``: the index-th
        ``[[table.key]]`` header, or else, for an inline array, the index-th line holding ``marker =`` (a key
        each item has exactly once, e.g. a patch's ``op``) from the ``key =`` line on."""
        headers = [n for n, t, line in self.rows if line is None and t == f"{table}.{key}"]
        if headers:
            return headers[index - 1] if index <= len(headers) else None
        start = self.key(table, key)
        if start is None:
            return None
        pattern = re.compile(rf"(^|[\s{{,])([\"']?){re.escape(marker)}\2\s*=")
        seen = 0
        for n, t, line in self.rows[start - 1:]:
            if line is None:
                break
            seen += len(pattern.findall(line))
            if seen >= index:
                return n
        return None
