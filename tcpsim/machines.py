"""Machine files: a real machine's topology, clock and line-transfer latencies, each figure with its provenance.

A machine file (``tcpsim/data/machines/NAME.toml``, or any file of that shape) has three tables::

    [machine]    name, description, sockets, cores_per_socket, threads_per_core, note (provenance)
    [constants]  cpu_ghz = { value = ..., note = "..." }
    [cpu]        line_transfer_same_core, lock_line_transfer, line_transfer_other_socket = { ns = ..., note = "..." }

The ``[constants]`` and ``[cpu]`` entries are the costs file's (``costs.py``) and replace its values when the
machine is used: ``lock_line_transfer`` is the same-socket transfer (``model/topology.py``), ``cpu_ghz`` the
clock that turns cycles into ns. Used by ``tcpsim lockbench --machine`` and by a scenario's ``[hardware]
machine`` key (``scenario.py``). Unknown tables and keys are errors, as everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from . import tomlfile
from .errors import TcpsimError, did_you_mean
from .model.topology import TRANSFER_COST

TOPOLOGY = ("sockets", "cores_per_socket", "threads_per_core")
MACHINE_KEYS = ("name", "description", *TOPOLOGY, "note")
CONSTANTS = ("cpu_ghz",)
LATENCIES = tuple(TRANSFER_COST.values())  # same core, same socket, other socket
SECTIONS = {"machine": MACHINE_KEYS, "constants": CONSTANTS, "cpu": LATENCIES}
FIELD = {"constants": "value", "cpu": "ns"}  # as the costs file writes its entries


@dataclass(frozen=True)
class Machine:
    name: str
    description: str
    sockets: int
    cores_per_socket: int
    threads_per_core: int
    costs: dict  # costs-file name -> value: cpu_ghz and the three line transfers (ns)
    notes: dict  # the same names (and "machine") -> provenance
    path: str

    @property
    def cpus(self) -> int:
        return self.sockets * self.cores_per_socket * self.threads_per_core


def shipped_dir() -> Path:
    return Path(str(resources.files("tcpsim") / "data" / "machines"))


def shipped() -> list[str]:
    """The names of the machine files tcpsim ships, sorted."""
    return sorted(p.stem for p in shipped_dir().glob("*.toml"))


def path_of(name_or_path: str, option: str = "--machine") -> Path:
    """A shipped machine's file, or a file named by its path; an unknown name is a one-line error."""
    if name_or_path in shipped():
        return shipped_dir() / f"{name_or_path}.toml"
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        return path
    raise TcpsimError(f"{option} {name_or_path}: no such machine{did_you_mean(name_or_path, shipped())}; allowed: "
                      f"{', '.join(shipped())}, or the path of a machine file (.toml)")


def load(name_or_path: str, option: str = "--machine") -> Machine:
    path = path_of(name_or_path, option)
    data, _ = tomlfile.read(path, "machine file")
    for section, entries in data.items():
        if section not in SECTIONS:
            raise TcpsimError(f"{path}: [{section}]: unknown table{did_you_mean(section, SECTIONS)}; allowed: "
                              f"{', '.join(f'[{s}]' for s in SECTIONS)}")
        if not isinstance(entries, dict):
            raise TcpsimError(f"{path}: [{section}]: must be a table; allowed: a [{section}] of keys")
        for key in entries:
            if key not in SECTIONS[section]:
                raise TcpsimError(f"{path}: [{section}] {key}: unknown key{did_you_mean(key, SECTIONS[section])}; "
                                  f"allowed: {', '.join(SECTIONS[section])}")
    for section, keys in SECTIONS.items():
        missing = [k for k in keys if k not in data.get(section, {})]
        if missing:
            raise TcpsimError(f"{path}: [{section}] {missing[0]}: missing; allowed: a file with every key of "
                              f"[{section}]: {', '.join(keys)}")
    m = data["machine"]
    for key in ("name", "description", "note"):
        if not isinstance(m[key], str) or not m[key]:
            raise TcpsimError(f"{path}: [machine] {key}: expected a non-empty string, got {m[key]!r}")
    for key in TOPOLOGY:
        v = m[key]
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 256:
            raise TcpsimError(f"{path}: [machine] {key}: expected an integer, got {v!r}; allowed: 1 to 256")
    costs, notes = {}, {"machine": m["note"]}
    for section in FIELD:
        for key, entry in data[section].items():
            field = FIELD[section]
            if not isinstance(entry, dict) or set(entry) != {field, "note"} or not isinstance(entry["note"], str):
                raise TcpsimError(f"{path}: [{section}] {key}: must be {{ {field} = <number>, note = \"<provenance>\" }}")
            v = entry[field]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise TcpsimError(f"{path}: [{section}] {key}: {field} must be a number > 0, got {v!r}")
            costs[key], notes[key] = v, entry["note"]
    machine = Machine(m["name"], m["description"], m["sockets"], m["cores_per_socket"], m["threads_per_core"],
                      costs, notes, str(path))
    if machine.cpus > 256:
        raise TcpsimError(f"{path}: [machine]: {machine.cpus} CPUs; allowed: at most 256 (as [hardware] cpus)")
    return machine


def on_machine(costs: dict, machine: Machine) -> dict:
    """``costs`` with ``machine``'s clock and line transfers in place of the costs file's.

    The calibrated lock_handoff_per_spinner (what each extra spinner's re-read and failed compare-and-set adds to
    a contended hand-off, rwlock.handoff_cost) was measured in units of the article machine's same-socket line
    transfer: it is scaled by the machine's same-socket transfer over the costs file's, so that a machine with
    faster lines also has proportionally cheaper spinner traffic rather than the Xeon's in nanoseconds."""
    out = dict(costs)
    out.update(machine.costs)
    out["lock_handoff_per_spinner"] = round(costs["lock_handoff_per_spinner"] * machine.costs["lock_line_transfer"]
                                            / costs["lock_line_transfer"])
    return out
