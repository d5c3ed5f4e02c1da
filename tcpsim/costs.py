"""The costs file: every per-step CPU cost and hardware constant, each with a note of its provenance."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from . import tomlfile
from .errors import TcpsimError

SECTIONS = {"constants": "value", "cpu": "ns"}


def default_costs_path(kernel: str = "freebsd10") -> Path:
    """The costs file a kernel package ships (``KernelPackage.costs_file``)."""
    from .kernels import package  # the packages import the model, which imports this module
    return Path(str(resources.files("tcpsim") / "data" / package(kernel).costs_file))


def load_costs(path: str | Path | None = None) -> tuple[dict, dict, dict]:
    """Return ``(values, notes, sections)``: name -> number, provenance note, section ("constants" for
    hardware/kernel constants, "cpu" for per-step CPU costs and lock timings). Every entry needs a note."""
    path = Path(path) if path else default_costs_path()
    data, _ = tomlfile.read(path, "costs file")
    values, notes, sections = {}, {}, {}
    for section, entries in data.items():
        if section not in SECTIONS:
            raise TcpsimError(f"{path}: [{section}]: unknown section; allowed: {', '.join(SECTIONS)}")
        field = SECTIONS[section]
        for name, entry in entries.items():
            where = f"{path}: [{section}] {name}"
            if not isinstance(entry, dict) or set(entry) != {field, "note"}:
                raise TcpsimError(f"{where}: must be {{ {field} = <number>, note = \"<provenance>\" }}")
            v = entry[field]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise TcpsimError(f"{where}: {field} must be a number >= 0, got {v!r}")
            if name in values:
                raise TcpsimError(f"{where}: defined twice")
            values[name] = v
            notes[name] = entry["note"]
            sections[name] = section
    return values, notes, sections
