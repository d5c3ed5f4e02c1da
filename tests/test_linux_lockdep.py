"""Lockdep's order on Linux 3.10's paths: the shipped paths take their locks in the documented order (no
reversal, every edge forward), and a variant that takes two of them the other way round is reported."""
from tcpsim import witness
from tcpsim.kernels.linux310 import paths, syscalls
from tcpsim.kernels.linux310.locks import DOCUMENTED_ORDER, LOCKS
from tcpsim.model import checks
from tcpsim.model.steps import WRITE, Acquire, Path, Release

PATHS = {**paths.RECEIVE_PATHS, **syscalls.SYSCALL_PATHS}


def test_the_shipped_paths_pass_the_static_checks():
    checks.check(PATHS, LOCKS, "linux310")  # raises on the first broken rule


def test_the_shipped_paths_follow_the_documented_order():
    edges = witness.static_edges(PATHS, LOCKS)
    assert not witness.reversals(edges)
    assert {d.display for d in LOCKS.values()} == set(DOCUMENTED_ORDER)
    for (first, second), e in edges.items():
        assert DOCUMENTED_ORDER.index(first) < DOCUMENTED_ORDER.index(second), e
    # the nestings the source has (docs/linux-facts.md, section 3): the handshake's chain, TIME-WAIT under the socket
    names = {k: LOCKS[k].display for k in LOCKS}
    for a, b in (("listen_slock", "sk_slock"), ("sk_slock", "bhash"), ("sk_slock", "ehash"),
                 ("listen_slock", "syn_wait_lock"), ("listen_slock", "qdisc_lock"), ("sk_slock", "death_lock")):
        assert (names[a], names[b]) in edges, (a, b)


def test_a_reversed_variant_is_refused():
    """accept() taking the port's bind-hash bucket around release_sock of the listener: the bucket before the
    listener's spinlock, against the handshake's listener -> child -> bucket."""
    rel = PATHS["accept_release"]
    bad = Path(rel.name, rel.context, rel.base, (Acquire("bhash", WRITE, "test.c:1", ()),) + rel.steps
               + (Release("bhash"),))
    cycles = witness.reversals(witness.static_edges({**PATHS, rel.name: bad}, LOCKS))
    assert cycles
    assert any({e.first for e in c} == {LOCKS["bhash"].display, LOCKS["listen_slock"].display}
               for c in cycles if len(c) == 2)


REVERSED = '''
[variant]
name = "reversed"
doc = "accept() takes the port's bind-hash bucket around release_sock of the listener"

[[variant.patches]]
op = "insert"
path = "accept_release"
before = "start"
steps = [{ acquire = "bhash", mode = "W", site = "test.c:1", frames = [] }]

[[variant.patches]]
op = "insert"
path = "accept_release"
after = "end"
steps = [{ release = "bhash" }]
'''


def test_a_user_variant_that_reverses_the_order_is_refused_before_it_runs(tmp_path):
    """The same reversal written as a scenario's [variant] of the Linux paths: the run refuses it (exit 2, one
    line naming both locks), and WITNESS orders the pair by the package's documented order."""
    from tcpsim import scenario
    from tcpsim.cli import main
    from pathlib import Path
    base = Path(__file__).resolve().parents[1] / "scenarios" / "linux" / "fig3_4queues.toml"
    f = tmp_path / "reversed.toml"
    f.write_text(base.read_text() + REVERSED)
    m = scenario.load(f)
    cycles = witness.check(m)
    pair = [c for c in cycles if len(c) == 2]
    assert pair and pair[0][0].first == LOCKS["listen_slock"].display  # the documented edge first
    assert pair[0][1].first == LOCKS["bhash"].display and pair[0][1].second_site == "sock.c:2307"
    import contextlib, io
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["run", str(f), "--duration", "0.001"]) == 2
    assert "lock order reversal" in err.getvalue() and len(err.getvalue().strip().splitlines()) == 1
