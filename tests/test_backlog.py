"""The socket backlog (Linux's sock_owned_by_user): a frame for a socket a user thread owns goes to the socket's
backlog, and the owner runs it in release_sock (programs.DrainBacklog). Exercised on a test kernel: FreeBSD's
paths with the listen socket owned across accept() and the SYN deferred while it is, and each connection owned
by its worker from send() to close() and its ACK and FIN deferred while it is, in both engines."""
from dataclasses import replace

import pytest

from tcpsim import differential, kernels, scenario
from tcpsim.engines import ENGINES
from tcpsim.model import kernel_state, programs as op
from tcpsim.model.steps import Acquire, Act, Path, When
from tcpsim.model.threads import thread_specs

FIG3 = "scenarios/paper/fig3_4queues.toml"
ACCEPTOR = (op.Loop((op.If("accept_queue", (op.Run("accept"), op.DrainBacklog("listen"), op.Run("accept_release"),
                                            op.Run("handoff"), op.HandOff("next_worker")), (op.Sleep(),)),)),)

WORKER = (op.Loop((op.If("ready", (op.TakeReady(), op.Run("kevent"), op.Run("recv"), op.Run("send"), op.Run("shutdown"),
                                   op.Run("close"), op.DrainBacklog("conn"), op.Run("close_release")),
                         (op.Sleep(),)),)),)
OWNED = {"syn": ("listen_inp", "backlog_listen"), "fin_wait_1_ack": ("inp", "backlog_conn"),
         "client_fin": ("inp", "backlog_conn")}  # path: the lock after which it checks, the deferral


def _specs(model):
    program = {"acceptor": ACCEPTOR, "worker": WORKER}
    return [replace(s, program=program.get(s.kind, s.program)) for s in thread_specs(model)]


def _deferring(path, lock, action):
    at = next(i for i, s in enumerate(path.steps) if isinstance(s, Acquire) and s.lock == lock) + 1
    owned = "listen_owned" if action == "backlog_listen" else "conn_owned"
    return Path(path.name, path.context, path.base, path.steps[:at] + (When(owned, (Act(action),)),) + path.steps[at:])


def _package():
    base = kernels.package("freebsd10")
    paths = dict(base.paths)
    acc, send = paths["accept"], paths["send"]
    paths["accept"] = Path(acc.name, acc.context, acc.base, (Act("own_listen"),) + acc.steps)
    paths["accept_release"] = Path("accept_release", "syscall", acc.base, (Act("unown_listen"),))
    paths["send"] = Path(send.name, send.context, send.base, (Act("own_conn"),) + send.steps)
    paths["close_release"] = Path("close_release", "syscall", send.base, (Act("unown_conn"),))
    for name, (lock, action) in OWNED.items():
        paths[name + "_owner"] = paths[name]  # what the owner runs for a frame of its backlog: the whole path
        paths[name] = _deferring(paths[name], lock, action)

    def backlog_paths_for(seg, state):
        return tuple(p + "_owner" if p in OWNED else p for p in base.paths_for(seg, state))
    return replace(base, name="backlogtest", paths=paths, thread_specs=_specs, backlog_paths_for=backlog_paths_for)


@pytest.fixture
def backlog_kernel(monkeypatch):
    monkeypatch.setitem(kernels.MODULES, "backlogtest", "unused")
    monkeypatch.setitem(kernels._LOADED, "backlogtest", _package())
    monkeypatch.setitem(scenario.SCHEMA["scenario"], "kernel",
                        replace(scenario.SCHEMA["scenario"]["kernel"], choices=tuple(kernels.MODULES)))


def _model(socket_backlog, **run):
    # a 1 us round trip: the client's ACK and FIN come back while the worker still owns the connection
    over = {"scenario": {"kernel": "backlogtest"}, "kernel": {"socket_backlog": socket_backlog},
            "clients": {"rtt_us": 1.0}, "run": {"warmup_s": 0.005, "duration_s": 0.03, **run}}
    return scenario.load(FIG3, over)


def test_frames_for_an_owned_socket_are_run_by_its_owner_and_not_dropped(backlog_kernel, monkeypatch):
    counted = {"backlog_listen": 0, "backlog_conn": 0}
    act = kernel_state.Kernel.act

    def counting(self, name, *args):
        if name in counted:
            counted[name] += 1
        return act(self, name, *args)
    monkeypatch.setattr(kernel_state.Kernel, "act", counting)
    events, result = differential.trace(_model(64), "simpy")
    # SYNs met the listen socket owned by accept(), ACKs and FINs a connection owned by its worker
    assert counted["backlog_listen"] > 500 and counted["backlog_conn"] > 500
    assert result["kernel"]["backlog_queued"] == sum(counted.values()) and not result["drops"]
    # the owner ran them: every SYN received up to 1 ms before the end was answered with a SYN|ACK
    end = max(t for _, t, _ in events)
    synacked = {a["conn"] for p, _, a in events if p == "tcp:::send" and a["segment"] == "SYNACK"}
    syns = {a["conn"] for p, t, a in events if p == "tcp:::receive" and a["segment"] == "SYN" and t < end - 1_000_000}
    assert len(syns) > 1000 and syns <= synacked
    # and each connection's: every connection closed by a FIN|ACK exchange reached TIME-WAIT
    assert result["kernel"]["tw_recycled"] > 1000


def test_a_full_backlog_drops_the_frame(backlog_kernel):
    _, result = differential.trace(_model(0, warmup_s=0.0), "simpy")  # (the drops stall their clients early)
    assert result["kernel"]["backlog_queued"] == 0 and result["drops"]["backlog_listen"] > 0


@pytest.mark.skipif("fast" not in ENGINES, reason="the fast engine is not built")
@pytest.mark.parametrize("limit", [64, 0])
def test_both_engines_run_the_backlog_identically(backlog_kernel, limit):
    m = _model(limit)
    a, ra = differential.trace(m, "simpy")
    b, rb = differential.trace(m, "fast")
    assert differential.first_divergence(a, b) is None
    assert ra["kernel"] == rb["kernel"] and (limit == 0 or ra["kernel"]["backlog_queued"] > 0)


def test_a_kernel_without_backlogs_refuses_socket_backlog():
    with pytest.raises(scenario.TcpsimError, match=r"\[kernel\] socket_backlog: kernel 'freebsd10' has no socket"):
        scenario.load(FIG3, {"kernel": {"socket_backlog": 8}})


def test_a_variant_removes_a_backlog_check_by_its_when_anchor_but_no_life_cycle_action():
    """A kernel whose socket is no longer locked for a segment (Linux 4.4's listener) has no backlog check
    there: ``remove`` takes the conditional block by ``when:CONDITION``; a range with a life-cycle action is
    still refused."""
    from tcpsim.model.patches import PatchError, apply
    k = _package()
    paths, _, _ = apply(k.paths, k.locks, [{"op": "remove", "path": "syn", "first": "when:listen_owned",
                                            "last": "when:listen_owned"}], "v")
    assert not any(isinstance(s, When) for s in paths["syn"].steps)
    assert len(paths["syn"].steps) == len(k.paths["syn"].steps) - 1
    with pytest.raises(PatchError, match="act:state:SYN_RECEIVED"):
        apply(k.paths, k.locks, [{"op": "remove", "path": "syn", "first": "when:listen_owned", "last": "end"}], "v")
