"""CPU topology ([hardware] sockets, threads_per_core, cpu_numbering; model/topology.py) and costs that follow
the lock word's cache line: a transfer costs what the distance between the two CPUs costs.

- the numbering: FreeBSD's SMT siblings next to each other, Linux's apart; distances and the transfer table;
- the default machine (one socket, one thread per core) charges lock_line_transfer everywhere, so its runs are
  the calibrated ones (tests/test_fingerprints.py pins them bit for bit); on a two-socket machine, threads
  placed within one socket run exactly as on the flat machine;
- a hand-off and an uncontested pull across sockets cost line_transfer_other_socket, within one socket
  lock_line_transfer, between SMT siblings line_transfer_same_core (the SimPy engine's clock, and a whole run's
  lock profile on both engines);
- both engines give identical traces on a two-socket and on SMT machines (both numberings);
- bad topologies are one-line errors naming the keys.
"""
import io
from types import SimpleNamespace

import pytest

from tcpsim import differential as diff
from tcpsim import scenario
from tcpsim.cli import main
from tcpsim.costs import load_costs
from tcpsim.engines import ENGINES
from tcpsim.errors import TcpsimError
from tcpsim.fingerprint import ROOT
from tcpsim.model import topology as topo
from tcpsim.simulate import run_model

from .conftest import SMALL, make_model

COSTS, _, _ = load_costs()
SAME_SOCKET, SAME_CORE, OTHER_SOCKET = (COSTS[topo.TRANSFER_COST[d]] for d in
                                        (topo.SAME_SOCKET, topo.SAME_CORE, topo.OTHER_SOCKET))
OTHERS = [e for e in ENGINES if e != diff.REFERENCE]


def _hw(cpus, sockets=1, threads_per_core=1, cpu_numbering="freebsd"):
    return SimpleNamespace(cpus=cpus, sockets=sockets, threads_per_core=threads_per_core,
                           cpu_numbering=cpu_numbering)


def test_the_constants_are_ordered_by_distance():
    assert 0 < SAME_CORE < SAME_SOCKET < OTHER_SOCKET


def test_freebsd_numbers_smt_siblings_next_to_each_other():
    hw = _hw(16, sockets=2, threads_per_core=2)  # 4 cores per socket
    assert [topo.place(c, hw) for c in (0, 1, 2, 7, 8, 15)] == [
        (0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 3, 1), (1, 0, 0), (1, 3, 1)]
    assert topo.distance(0, 1, hw) == topo.SAME_CORE
    assert topo.distance(6, 7, hw) == topo.SAME_CORE
    assert topo.distance(1, 2, hw) == topo.SAME_SOCKET
    assert topo.distance(0, 8, hw) == topo.OTHER_SOCKET
    assert topo.distance(7, 8, hw) == topo.OTHER_SOCKET


def test_linux_numbers_smt_siblings_apart():
    hw = _hw(16, sockets=2, threads_per_core=2, cpu_numbering="linux")  # cpu i and i + 8 are siblings
    assert [topo.place(c, hw) for c in (0, 3, 4, 7, 8, 12, 15)] == [
        (0, 0, 0), (0, 3, 0), (1, 0, 0), (1, 3, 0), (0, 0, 1), (1, 0, 1), (1, 3, 1)]
    assert all(topo.distance(i, i + 8, hw) == topo.SAME_CORE for i in range(8))
    assert topo.distance(0, 1, hw) == topo.SAME_SOCKET
    assert topo.distance(0, 4, hw) == topo.OTHER_SOCKET
    assert topo.distance(3, 12, hw) == topo.OTHER_SOCKET


def test_the_flat_machine_charges_lock_line_transfer_between_every_pair():
    table = topo.transfer_table(_hw(8), COSTS)
    assert {ns for row in table for ns in row} == {SAME_SOCKET}
    assert topo.transfer_costs(1, 1) == ("lock_line_transfer",)


def test_the_transfer_table_follows_the_distance():
    hw = _hw(8, sockets=2, threads_per_core=2)  # 2 cores per socket: CPUs 0-3 socket 0, 4-7 socket 1
    table = topo.transfer_table(hw, COSTS)
    assert table[0][1] == table[1][0] == SAME_CORE
    assert table[0][2] == table[3][1] == SAME_SOCKET
    assert table[0][4] == table[7][3] == OTHER_SOCKET
    assert all(table[a][b] == table[b][a] for a in range(8) for b in range(8))


def _handoff(hardware, waiter_cpu, harness):
    """A writer on CPU 0 holds rw:tcp for 1 us; a writer on ``waiter_cpu`` spins for it meanwhile. Return
    how long after the release the waiter gets it (the hand-off), and how long a thread on ``waiter_cpu``
    takes to get the free lock, last written on CPU 0, once on its CPU (the uncontested pull)."""
    h = harness(hardware=hardware)
    owner, waiter = h.thread("owner", 0), h.thread("waiter", waiter_cpu)
    h.start(owner, 0, [("acquire", "tcp", "W"), ("work", 1000), ("release", "tcp")])
    h.start(waiter, 100, [("acquire", "tcp", "W"), ("release", "tcp")])
    h.run(10_000)
    released = next(t for t, name, ev in h.log if name == "owner" and ev == "released tcp")
    handed = next(t for t, name, ev in h.log if name == "waiter" and ev == "got tcp") - released
    h = harness(hardware=hardware)
    owner, puller = h.thread("owner", 0), h.thread("puller", waiter_cpu)
    h.start(owner, 0, [("acquire", "tcp", "W"), ("release", "tcp")])
    h.start(puller, 5000, [("acquire", "tcp", "W"), ("release", "tcp")])
    h.run(10_000)
    on_cpu = 5000 + COSTS["context_switch"]  # the harness switches the thread in first
    pulled = next(t for t, name, ev in h.log if name == "puller" and ev == "got tcp") - on_cpu
    return handed, pulled


def test_a_handoff_across_sockets_costs_more_than_within_one(harness):
    two_sockets = {"sockets": 2}  # 8 CPUs: 0-3 on socket 0, 4-7 on socket 1
    assert _handoff(two_sockets, 1, harness) == (SAME_SOCKET, SAME_SOCKET)
    assert _handoff(two_sockets, 4, harness) == (OTHER_SOCKET, OTHER_SOCKET)
    assert _handoff({}, 4, harness) == (SAME_SOCKET, SAME_SOCKET)  # the flat machine: as calibrated
    assert _handoff({"threads_per_core": 2}, 1, harness) == (SAME_CORE, SAME_CORE)  # SMT siblings (FreeBSD)
    assert _handoff({"threads_per_core": 2, "cpu_numbering": "linux"}, 4, harness) == (SAME_CORE, SAME_CORE)


# A small machine: the interrupt thread on CPU 0, the accept thread and the worker on CPUs 1 and 2 (socket 0)
# or 4 and 5 (socket 1 of two); the queue task and the slow timer pinned to CPU 0, so that only the placement
# the test chooses decides which socket a thread is on.
PINNED = {"hardware": {"queues": 1, "queue_cpus": [0], "que_task_cpu": "queue"}, "kernel": {"timer_cpu": 0},
          "run": {"warmup_s": 0.001, "duration_s": 0.004}}


def _placed(sockets, cpus):
    over = {k: dict(v) for k, v in PINNED.items()}
    over["hardware"]["sockets"] = sockets
    over["app"] = {"accept_cpu": cpus[0], "worker_cpus": [cpus[1]]}
    return make_model(SMALL, **over)


def _hold_per_acquisition(result, lock="rw:tcp"):
    rows = [r for r in result["lock_profile"] if f"({lock})" in r["name"] or r["name"].endswith(lock)]
    assert rows, [r["name"] for r in result["lock_profile"]]
    return sum(r["total"] for r in rows) / sum(r["count"] for r in rows)


@pytest.mark.parametrize("engine", ENGINES)
def test_threads_within_one_socket_run_as_on_the_flat_machine(engine):
    flat, _ = diff.trace(_placed(1, (1, 2)), engine)
    two, _ = diff.trace(_placed(2, (1, 2)), engine)
    assert len(flat) > 1000
    assert diff.first_divergence(flat, two) is None


@pytest.mark.parametrize("engine", ENGINES)
def test_a_run_with_threads_on_the_other_socket_holds_rw_tcp_longer(engine):
    flat = run_model(_placed(1, (4, 5)), engine)[0]
    apart = run_model(_placed(2, (4, 5)), engine)[0]
    assert flat["connections"]["completed_in_window"] > 100
    # every acquisition whose line comes from the interrupt CPU's socket pays the longer transfer in its hold
    assert _hold_per_acquisition(apart) > _hold_per_acquisition(flat) * 1.05


MACHINES = {
    "two-sockets": {"sockets": 2},
    "smt-freebsd": {"threads_per_core": 2},
    "two-sockets-smt-linux": {"sockets": 2, "threads_per_core": 2, "cpu_numbering": "linux"},
}


@pytest.mark.skipif(not OTHERS, reason="only the reference engine is registered")
@pytest.mark.parametrize("machine", sorted(MACHINES))
@pytest.mark.parametrize("path", ["scenarios/paper/fig3_4queues.toml", "scenarios/paper/rlock_4queues.toml"])
def test_both_engines_give_the_same_trace(machine, path):
    over = {"hardware": MACHINES[machine], "run": diff.TRACE_RUN}
    flat, _ = diff.trace(scenario.load(ROOT / path, {"run": diff.TRACE_RUN}), diff.REFERENCE)
    ref, _ = diff.trace(scenario.load(ROOT / path, over), diff.REFERENCE)
    assert diff.first_divergence(flat, ref) is not None  # the topology changes the run: the test sees it
    for engine in OTHERS:
        other, _ = diff.trace(scenario.load(ROOT / path, over), engine)
        if where := diff.first_divergence(ref, other):
            pytest.fail(f"{path} on {machine}: {diff.REFERENCE} (a) vs {engine} (b): {where}", pytrace=False)


def _err(**hardware):
    keys = "".join(f"\n{k} = {v!r}".replace("'", '"') for k, v in hardware.items())
    with pytest.raises(TcpsimError) as e:
        scenario.parse(SMALL.replace("queues = 2", "queues = 2" + keys), "bad.toml")
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("bad.toml:"), msg
    return msg


def test_cpus_that_do_not_divide_into_the_topology_are_an_error():
    msg = _err(sockets=3)
    assert "[hardware] cpus" in msg and "sockets = 3" in msg and "threads_per_core = 1" in msg
    assert "allowed: cpus a multiple of sockets x threads_per_core" in msg
    msg = _err(sockets=2, threads_per_core=3)
    assert "8 CPUs do not divide" in msg and "threads_per_core = 3" in msg
    scenario.parse(SMALL, "ok.toml", {"hardware": {"sockets": 2, "threads_per_core": 2}})  # 2 cores per socket


def test_unknown_numbering_and_out_of_range_are_errors():
    msg = _err(cpu_numbering="windows")
    assert "[hardware] cpu_numbering" in msg and "freebsd" in msg and "linux" in msg
    assert "[hardware] sockets" in _err(sockets=0)
    assert "[hardware] threads_per_core" in _err(threads_per_core=0)


def test_a_costs_file_without_the_distance_a_machine_needs_is_an_error(tmp_path):
    from tcpsim.costs import default_costs_path
    text = "\n".join(l for l in default_costs_path().read_text().splitlines()
                     if not l.startswith("line_transfer_other_socket"))
    (tmp_path / "costs.toml").write_text(text)
    body = SMALL.replace('name = "small"', 'name = "small"\ncosts = "costs.toml"')
    flat = tmp_path / "flat.toml"
    flat.write_text(body)
    scenario.load(flat)  # a flat machine needs only lock_line_transfer
    two = tmp_path / "two.toml"
    two.write_text(body.replace("queues = 2", "queues = 2\nsockets = 2"))
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", str(two)], out, err) == 2
    line = err.getvalue().strip()
    assert "\n" not in line and "Traceback" not in line
    assert "sockets = 2" in line and "'line_transfer_other_socket'" in line and "costs.toml" in line
