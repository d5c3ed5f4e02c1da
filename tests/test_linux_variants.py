"""Linux's built-in variants (kernels/linux310/variants.py) and the 4.4 package built from them
(kernels/linux44.py): each builds and passes the static checks; 4.4's listener takes no listener lock for a
SYN or a handshake ACK, hashes the request into ehash before its SYN|ACK, queues the child under rskq_lock and
takes no death_lock; its order has no reversal; both engines run every configuration identically."""
import pytest

from tcpsim import differential, kernels, scenario, witness
from tcpsim.engines import ENGINES
from tcpsim.kernels.linux310.variants import BUILTIN
from tcpsim.model import variants
from tcpsim.model.steps import Acquire, Act, Work, When, walk

FIG3 = "scenarios/linux/fig3_4queues.toml"
L44 = kernels.package("linux44")


def _acquired(path):
    return [(s.lock, s.site) for s in walk(path.steps) if isinstance(s, Acquire)]


@pytest.mark.parametrize("name", list(BUILTIN))
def test_every_linux310_variant_builds(name):
    paths, locks = variants.build(name, kernel="linux310")  # checks.check runs on each
    assert set(paths) == set(kernels.package("linux310").paths)


def test_linux44_listener_takes_no_listener_lock_in_softirq():
    for name in ("syn", "handshake_ack", "listen_rst"):
        steps = list(walk(L44.paths[name].steps))
        assert not any(isinstance(s, Acquire) and s.lock == "listen_slock" for s in steps), name
        assert not any(isinstance(s, When) and s.condition == "listen_owned" for s in steps), name
    # accept() still owns the listener (lock_sock), and dequeues under rskq_lock
    assert ("rskq_lock", "request_sock.h:194") in _acquired(L44.paths["accept"])
    assert ("listen_slock", "sock.c:2434") in _acquired(L44.paths["accept_enter"])


def test_linux44_hashes_the_request_before_the_synack_and_queues_the_child_under_rskq_lock():
    for name in ("syn", "syn_backlog"):
        steps = list(walk(L44.paths[name].steps))
        at = [i for i, s in enumerate(steps) if isinstance(s, Acquire) and s.site == "inet_hashtables.c:425"]
        synack = next(i for i, s in enumerate(steps) if isinstance(s, Work) and s.cost == "make_synack")
        assert len(at) == 1 and at[0] < synack, name
        assert not any(isinstance(s, Acquire) and s.lock == "syn_wait_lock" for s in steps), name
    steps = list(walk(L44.paths["handshake_ack"].steps))
    i = next(k for k, s in enumerate(steps) if isinstance(s, Act) and s.name == "accept_enqueue")
    assert isinstance(steps[i - 1], Acquire) and steps[i - 1].lock == "rskq_lock"


def test_linux44_has_no_death_row_and_queued_spinlocks():
    assert not any(lock == "death_lock" for p in L44.paths.values() for lock, _ in _acquired(p))
    used = {lock for p in L44.paths.values() for lock, _ in _acquired(p)}
    assert {L44.locks[n].cls for n in used if L44.locks[n].kind == "mtx" and n != "epmutex"} == {"mcs"}
    assert L44.defaults["kernel.slowtimo_ms"] == 1.0  # the TIME-WAIT timers run every jiffy


def test_linux44_sites_are_4_4_1_lines():
    """Every acquisition of the 4.4 package is at a 4.4.1 line: those 4.4 kept renumbered, those it added."""
    from tcpsim.kernels.linux310.variants import LINES_441
    added = {"inet_connection_sock.c:797", "request_sock.h:194", "inet_hashtables.c:425", "inet_timewait_sock.c:58"}
    sites = {site for p in L44.paths.values() for _, site in _acquired(p)}
    assert sites <= set(LINES_441.values()) | added and not sites & (set(LINES_441) - set(LINES_441.values()))


def test_a_site_op_renumbers_and_refuses_what_is_not_a_site():
    from tcpsim.model.patches import PatchError, apply
    k = kernels.package("linux310")
    paths, _, _ = apply(k.paths, k.locks, [{"op": "site", "site": "file.c:468", "to": "file.c:503"}], "v")
    assert ("file_lock", "file.c:503") in _acquired(paths["accept_enter"])
    with pytest.raises(PatchError, match="allowed: a site as FILE:LINE"):
        apply(k.paths, k.locks, [{"op": "site", "site": "file.c:468", "to": "file.c"}], "v")
    with pytest.raises(PatchError, match="site file.c:9999 is not in any path"):
        apply(k.paths, k.locks, [{"op": "site", "site": "file.c:9999", "to": "file.c:1"}], "v")


def test_linux44_follows_its_documented_order():
    edges = witness.static_edges(L44.paths, L44.locks)
    assert not witness.reversals(edges, L44.documented_order)
    for (first, second), e in edges.items():
        assert L44.documented_order.index(first) < L44.documented_order.index(second), e


@pytest.mark.skipif("fast" not in ENGINES, reason="the fast engine is not built")
@pytest.mark.parametrize("kernel,variant", [("linux310", "reuseport"), ("linux310", "lockless_listener"),
                                            ("linux44", "baseline"), ("linux44", "reuseport")])
def test_both_engines_run_each_configuration_identically(kernel, variant):
    m = scenario.load(FIG3, {"scenario": {"kernel": kernel, "variant": variant},
                             "run": {"warmup_s": 0.002, "duration_s": 0.008}})
    a, ra = differential.trace(m, "simpy")
    b, rb = differential.trace(m, "fast")
    assert len(a) > 10_000 and differential.first_divergence(a, b) is None
    assert ra["goodput_cps"] == rb["goodput_cps"] > 0


FASTSOCKET = "scenarios/linux/xeon24_fastsocket.toml"


def test_the_fastsocket_example_takes_each_connection_on_its_receiving_cores_listener(monkeypatch):
    """The user-written variant shipped as an example: acceptors "per_core" (the listen socket of the core that
    received the SYN: listen socket q for queue q) and no shared ehash lock; both engines run it identically."""
    from tcpsim.engines.simpy_engine import SimpyEngine
    m = scenario.load(FASTSOCKET, {"run": {"warmup_s": 0.002, "duration_s": 0.004}})
    assert m.app.acceptors == "per_core" and m.variant == "fastsocket"
    assert not any(s.lock == "ehash" for p in m.paths.values() for s in walk(p.steps) if isinstance(s, Acquire))
    made = []
    new = SimpyEngine._new_connection

    def recording(self):
        made.append(new(self))
        return made[-1]
    monkeypatch.setattr(SimpyEngine, "_new_connection", recording)
    a, result = differential.trace(m, "simpy")
    assert len(made) > 500 and result["goodput_cps"] > 0
    assert all(c.listen == c.queue for c in made) and len({c.queue for c in made}) == 16
    if "fast" in ENGINES:
        b, _ = differential.trace(m, "fast")
        assert differential.first_divergence(a, b) is None
