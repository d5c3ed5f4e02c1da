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
