"""tcpsim/data/linux310.toml: every cost the Linux paths name is there, every entry says where it comes from, and
every value taken from FreeBSD's calibration is that calibration's value."""
import re
from pathlib import Path

from tcpsim.costs import load_costs
from tcpsim.kernels.linux310 import paths, syscalls
from tcpsim.model.steps import Work, walk

DATA = Path(__file__).resolve().parents[1] / "tcpsim" / "data"


def test_linux_costs_cover_the_paths_and_say_where_each_comes_from():
    costs, notes, _ = load_costs(DATA / "linux310.toml")
    named = {s.cost for p in {**paths.RECEIVE_PATHS, **syscalls.SYSCALL_PATHS}.values()
             for s in walk(p.steps) if isinstance(s, Work)}
    assert named <= set(costs)
    for key, note in notes.items():
        assert re.match(r"(machine: freebsd10 \w+|same work: freebsd10 \w+: \S|prior: \S|fixed: \S)", note), key


def test_values_taken_from_freebsd_are_freebsds():
    linux, notes, _ = load_costs(DATA / "linux310.toml")
    freebsd, _, _ = load_costs(DATA / "freebsd10.toml")
    taken = {k: re.match(r"(?:machine|same work): freebsd10 (\w+)", n) for k, n in notes.items()}
    taken = {k: m.group(1) for k, m in taken.items() if m}
    assert len(taken) > 40
    for key, source in taken.items():
        assert linux[key] == freebsd[source], (key, source)
    # the lock timings are the machine's, calibrated on FreeBSD: all of them carried over
    for key in ("lock_line_transfer", "lock_handoff_per_spinner", "line_transfer_same_core",
                "line_transfer_other_socket", "context_switch", "cpu_ghz"):
        assert taken.get(key) == key
