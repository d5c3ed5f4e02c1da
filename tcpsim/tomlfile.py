"""Reading a user's TOML file: one place that turns I/O and syntax errors into one-line TcpsimErrors."""
from __future__ import annotations

import tomllib
from pathlib import Path

from .errors import TcpsimError


def parse(text: str, where) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise TcpsimError(f"{where}: not valid TOML ({e})") from None


def read(path, what: str) -> tuple[dict, str]:
    """(data, text) of the TOML file at ``path``; ``what`` names it in errors ("scenario", "costs file")."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise TcpsimError(f"{path}: cannot read {what} ({e.strerror})") from None
    return parse(text, path), text
