"""Static path checks made when a variant is built (tcpsim/model/checks.py): balanced locks on every branch,
no release of an unheld lock, recursion only where declared, Stop and aborts release what is held."""
import pytest

from tcpsim import scenario
from tcpsim.model import variants
from tcpsim.model.patches import PatchError
from tcpsim.simulate import run_model

from .conftest import SMALL

COMPOSED = ["accept_nolock+tw_lock", "epoch+reuseport", "rlock+pcbgroup", "tw_lock+pcbgroup+reuseport"]


@pytest.mark.parametrize("name", list(variants.BUILTIN) + COMPOSED)
def test_builtin_variants_pass(name):
    variants.build(name)  # raises PatchError on any broken rule


def _build(patches, base="baseline"):
    return variants.build("mine", variants.Variant("mine", "", tuple(patches), (base,)))


def _refused(patches, base="baseline"):
    with pytest.raises(PatchError) as e:
        _build(patches, base)
    assert e.value.variant == "mine" and "\n" not in str(e.value)
    return str(e.value)


def test_a_path_returning_with_a_lock_held_is_refused_like_witness():
    msg = _refused([{"op": "insert", "path": "close", "after": "cost:soclose", "steps": [
        {"acquire": "tcp", "mode": "W", "site": "tcp_usrreq.c:980"}]}])
    assert msg.startswith("variant 'mine': path 'close': returns with the following locks held: "
                          "rw:tcp (W) @ tcp_usrreq.c:980")


def test_a_leak_on_one_branch_only_names_the_branch():
    # the blocking fallback of tcp_input's try-lock takes the accept mutex and never drops it
    msg = _refused([{"op": "insert", "path": "fin_wait_1_ack", "after": "site:tcp_input.c:1015", "steps": [
        {"acquire": "accept", "mode": "W", "site": "tcp_input.c:1016"}]}])
    assert "path 'fin_wait_1_ack' (if the try-lock at tcp_input.c:1010 fails)" in msg
    assert "sleep mutex:accept (W) @ tcp_input.c:1016" in msg


def test_releasing_a_lock_not_held_is_refused():
    msg = _refused([{"op": "insert", "path": "recv", "after": "cost:soreceive", "steps": [{"release": "tcp"}]}])
    assert msg == ("variant 'mine': path 'recv': release:tcp releases rw:tcp, which it does not hold here; "
                   "allowed: release a lock the path took")


def test_recursion_only_on_recursive_locks():
    twice = [{"acquire": "accept", "mode": "W", "site": "tcp_usrreq.c:980"},
             {"acquire": "accept", "mode": "W", "site": "tcp_usrreq.c:981"},
             {"release": "accept"}, {"release": "accept"}]
    msg = _refused([{"op": "insert", "path": "close", "after": "cost:soclose", "steps": twice}])
    assert "takes sleep mutex:accept at tcp_usrreq.c:981 while holding it since tcp_usrreq.c:980" in msg
    _build([{"op": "lock", "name": "accept", "kind": "mtx", "display": "sleep mutex:accept", "scope": "global",
             "recursive": True, "replace": True},
            {"op": "insert", "path": "close", "after": "cost:soclose", "steps": twice}])


def test_a_repeated_block_that_keeps_a_lock_is_refused():
    # the slow timer's per-entry loop taking the accept mutex each time round and never dropping it
    msg = _refused([{"op": "insert", "path": "slowtimo", "before": "act:tw_close_oldest", "steps": [
        {"acquire": "accept", "mode": "W", "site": "tcp_timewait.c:640"}]}])
    assert "path 'slowtimo' (if timewait_expired)" in msg


def test_stop_ends_a_path_releasing_what_it_holds_at_run_time():
    # close() stops while holding rw:tcp and the pcb: accepted, because the engine releases both
    text = SMALL + """
[variant]
name = "stop_holding"
patches = [{ op = "path", name = "close", context = "syscall", base = ["amd64_syscall"], steps = [
  { acquire = "tcp", mode = "W", site = "tcp_usrreq.c:984" },
  { acquire = "inp", mode = "W", site = "tcp_usrreq.c:985" },
  { work = "tcp_usr_close" },
  { stop = true },
] }]
"""
    m = scenario.build(scenario.parse(text, "s.toml", {"run": {"warmup_s": 0.0, "duration_s": 0.004}}), text)
    result, eng = run_model(m)
    assert result["connections"]["completed"] > 0
    tcp = eng.global_locks["tcp"]  # (an interrupt thread may be inside rw:tcp when the run ends: not a worker)
    assert (tcp.owner is None or tcp.owner.kind != "worker") and all(not t.held for t in eng.threads if t.kind == "worker")
