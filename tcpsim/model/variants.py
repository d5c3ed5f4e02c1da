"""Built-in locking variants: each a list of patches (``patches.py`` vocabulary) to FreeBSD 10.0's paths.

A variant may require others (applied first, once each); names compose with ``+`` in order:
``accept_nolock+tw_lock``. Facts: ``shared/reference/freebsd10-locking.md`` (variants table).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import did_you_mean
from . import checks
from .patches import PatchError, apply

TW = ["tcp_tw_2msl_scan"]


@dataclass(frozen=True)
class Variant:
    name: str
    doc: str
    patches: tuple = ()
    requires: tuple = ()


BASELINE = Variant("baseline", "FreeBSD 10.0 as released: the paths of paths.py, unpatched.")

ACCEPT_NOLOCK = Variant(
    "accept_nolock",
    """PR 183659, r261242: a new socket is queued for accept() only once fully initialised (at ESTABLISHED),
    so tcp_usr_accept no longer needs rw:tcp to wait out a half-built connection.""",
    (
        {"op": "move", "path": "handshake_ack", "first": "site:uipc_socket.c:549", "last": "act:wake_acceptor",
         "after": "act:state:ESTABLISHED"},
        {"op": "drop", "site": "tcp_usrreq.c:635"},
    ),
)

# r264321 first shipped in 10.2: the sites it adds carry 10.2's lines (tcp_timewait.c); sites it keeps, 10.0's.
TW_LOCK = Variant(
    "tw_lock",
    """r264321: a new rw:tcptw lock guards the TIME-WAIT list. tcp_twstart inserts under it; the slow timer
    no longer holds rw:tcp across its scan: per expired entry it reads the list head under rw:tcptw, then
    TRY-locks rw:tcp for writing and closes that one entry; if the try fails it stops until the next tick.""",
    (
        {"op": "lock", "name": "tcptw", "kind": "rw", "display": "rw:tcptw", "scope": "global"},
        # tcp_tw_2msl_reset: the list insert
        {"op": "insert", "path": "client_fin", "before": "act:timewait_insert", "steps": [
            {"acquire": "tcptw", "mode": "W", "site": "tcp_timewait.c:661",
             "frames": ["tcp_input", "tcp_do_segment", "tcp_twstart", "tcp_tw_2msl_reset"]}]},
        {"op": "insert", "path": "client_fin", "after": "act:timewait_insert", "steps": [{"release": "tcptw"}]},
        # inline recycling (tcp_tw_2msl_scan(1) from tcp_twstart): tcp_tw_2msl_stop unlinks under the list lock
        {"op": "insert", "path": "client_fin", "before": "act:tw_close_oldest", "steps": [
            {"acquire": "tcptw", "mode": "W", "site": "tcp_timewait.c:678",
             "frames": ["tcp_input", "tcp_do_segment", "tcp_twstart", "tcp_tw_2msl_scan", "tcp_twclose",
                        "tcp_tw_2msl_stop"]}]},
        {"op": "insert", "path": "client_fin", "after": "act:tw_close_oldest", "steps": [{"release": "tcptw"}]},
        {"op": "path", "name": "slowtimo", "context": "callout",
         "base": ["fork_exit", "softclock", "softclock_call_cc", "pfslowtimo", "tcp_slowtimo"],
         "steps": [
             {"work": "tw_scan", "frames": TW},
             {"when": "timewait_expired", "repeat": True, "steps": [
                 {"acquire": "tcptw", "mode": "R", "site": "tcp_timewait.c:717", "frames": TW},
                 {"release": "tcptw"},
                 {"try": "tcp", "mode": "W", "site": "tcp_timewait.c:730", "frames": TW,
                  "on_fail": [{"stop": True}]},  # rw:tcp busy: continue at the next tick
                 {"acquire": "tw_inp", "mode": "W", "site": "tcp_timewait.c:732", "frames": TW},
                 {"acquire": "tcptw", "mode": "W", "site": "tcp_timewait.c:678",
                  "frames": TW + ["tcp_twclose", "tcp_tw_2msl_stop"]},
                 {"act": "tw_close_oldest"},
                 {"release": "tcptw"},
                 {"acquire": "pcbinfohash", "mode": "W", "site": "in_pcb.c:1252",
                  "frames": TW + ["tcp_twclose", "in_pcbdrop"]},
                 {"work": "pcb_unhash", "frames": TW + ["tcp_twclose", "in_pcbdrop"]},
                 {"release": "pcbinfohash"},
                 {"work": "tw_close", "frames": TW + ["tcp_twclose", "in_pcbfree"]},
                 {"release": "tw_inp"},
                 {"release": "tcp"},
             ]},
         ]},
    ),
)

SYN_NOLOCK = Variant(
    "syn_nolock",
    """r271119: a SYN to a listening socket takes no rw:tcp at all (the syncache has its own bucket locks).""",
    ({"op": "drop", "path": "syn", "site": "tcp_input.c:778"},),
)

# r286227 first shipped in 10.4 (not in 10.2; 10.3 unchecked): rw:pcbinfolist at 10.4's in_pcb.c lines.
RLOCK = Variant(
    "rlock",
    """r286227 (review D2599): rw:tcp is READ-locked in tcp_input (FIN/RST and the relock for states other
    than ESTABLISHED), in shutdown/close/detach, in attach and in the TIME-WAIT scan; a new rw:pcbinfolist
    (write) guards only the global list insert (in_pcballoc) and remove (in_pcbfree). Built on the changes
    HEAD had by then: accept_nolock, tw_lock, syn_nolock.""",
    (
        *({"op": "mode", "site": s, "mode": "R"} for s in (
            "tcp_input.c:778", "tcp_input.c:1010", "tcp_usrreq.c:728", "tcp_usrreq.c:984", "tcp_usrreq.c:231",
            "tcp_usrreq.c:1617", "tcp_timewait.c:730")),
        {"op": "lock", "name": "pcbinfolist", "kind": "rw", "display": "rw:pcbinfolist", "scope": "global"},
        # in_pcballoc: the list lock right after the new pcb's lock
        {"op": "insert", "path": "handshake_ack", "after": "site:in_pcb.c:313", "steps": [
            {"acquire": "pcbinfolist", "mode": "W", "site": "in_pcb.c:312",
             "frames": ["tcp_input", "syncache_expand", "syncache_socket", "sonewconn", "tcp_usr_attach", "tcp_attach",
                        "in_pcballoc"]}]},
        {"op": "insert", "path": "handshake_ack", "after": "cost:tcp_attach", "steps": [{"release": "pcbinfolist"}]},
        # r286227 turned the assertions of the functions now run under the read lock into
        # INP_INFO_RLOCK_ASSERT (10.4: tcp_timewait.c:230, :662, :721, :507; tcp_usrreq.c:1771, :1809;
        # in_pcb.c:274) and tcp_detach's into INP_INFO_LOCK_ASSERT (10.4: tcp_usrreq.c:169)
        *({"op": "assert", "site": s, "mode": "R"} for s in (
            "tcp_timewait.c:207", "tcp_timewait.c:617", "tcp_timewait.c:638", "tcp_timewait.c:461",
            "tcp_usrreq.c:1659", "tcp_usrreq.c:1697", "in_pcb.c:274")),
        {"op": "assert", "site": "tcp_usrreq.c:165", "mode": "any"},
        *(op for path in ("client_fin", "slowtimo") for op in (
            {"op": "insert", "path": path, "before": "cost:tw_close", "steps": [
                {"acquire": "pcbinfolist", "mode": "W", "site": "in_pcb.c:1222",
                 "frames": ["tcp_twclose", "in_pcbfree"]}]},
            {"op": "insert", "path": path, "after": "cost:tw_close", "steps": [{"release": "pcbinfolist"}]},
        )),
    ),
    requires=("accept_nolock", "tw_lock", "syn_nolock"),
)

EPOCH = Variant(
    "epoch",
    """r335356 (FreeBSD 12): the read side of the pcbinfo and hash locks becomes a lock-free epoch section
    (no lock word to pull between CPUs); the hash write side becomes a mutex. Built on rlock.""",
    (
        *({"op": "drop", "site": s} for s in (
            "tcp_input.c:778", "tcp_input.c:1010", "tcp_usrreq.c:728", "tcp_usrreq.c:984", "tcp_usrreq.c:231",
            "tcp_usrreq.c:1617", "in_pcb.c:1795")),
        # the TIME-WAIT scan's try-lock of rw:tcp goes too: its section is an epoch section now
        {"op": "drop", "site": "tcp_timewait.c:730"},
        # and what asserted the read lock now asserts the epoch section (12.0's in_pcb.h: INP_INFO_RLOCK_ASSERT
        # is MPASS(in_epoch(net_epoch_preempt)), INP_INFO_LOCK_ASSERT in_epoch or the mutex owned), which the
        # model does not represent as a lock: those assertions go
        *({"op": "assert", "site": s, "mode": "none"} for s in (
            "tcp_timewait.c:207", "tcp_timewait.c:617", "tcp_timewait.c:638", "tcp_timewait.c:461",
            "tcp_usrreq.c:1659", "tcp_usrreq.c:1697", "in_pcb.c:274", "tcp_usrreq.c:165")),
        {"op": "lock", "name": "pcbinfohash", "kind": "mtx", "display": "sleep mutex:pcbinfohash", "scope": "global",
         "replace": True},
    ),
    requires=("rlock",),
)

PCBGROUP = Variant(
    "pcbgroup",
    """Per-CPU connection groups aligned with the RSS buckets (FreeBSD's PCBGROUP): the connection lookup,
    insert and remove take the lock of the connection's group instead of the one global hash lock.""",
    (
        {"op": "lock", "name": "pcbgroup", "kind": "rw", "display": "rw:pcbgroup", "scope": "group"},
        {"op": "lock", "name": "tw_pcbgroup", "kind": "rw", "display": "rw:pcbgroup", "scope": "timewait_group"},
        {"op": "relock", "site": "in_pcb.c:1795", "lock": "pcbgroup"},
        {"op": "relock", "site": "tcp_syncache.c:707", "lock": "pcbgroup"},
        {"op": "relock", "site": "in_pcb.c:1252", "lock": "tw_pcbgroup"},
        # the model's groups replace the global hash lock (FreeBSD's PCBGROUP takes the group lock besides it),
        # so the hash insert's INP_HASH_WLOCK_ASSERT is about the connection's group lock here
        {"op": "assert", "site": "in_pcb.c:1892", "lock": "pcbgroup"},
    ),
)

REUSEPORT = Variant(
    "reuseport",
    """One listen socket per accepting thread, SO_REUSEPORT style (FreeBSD 12's SO_REUSEPORT_LB): every
    worker gets its own listen socket, accept queue and accept loop; the kernel spreads new connections over
    the sockets by flow hash. The accept-queue mutex and the listen pcb lock become per socket (no global
    accept mutex) and the descriptor hand-off between threads disappears.""",
    (
        {"op": "app", "acceptors": "per_worker"},
        {"op": "lock", "name": "accept", "kind": "mtx", "display": "sleep mutex:accept", "scope": "listen", "replace": True},
    ),
)

BUILTIN = {v.name: v for v in (BASELINE, ACCEPT_NOLOCK, TW_LOCK, SYN_NOLOCK, RLOCK, EPOCH, PCBGROUP, REUSEPORT)}


def expand(spec: str, known: dict | None = None) -> list[Variant]:
    """``a+b+c`` -> the variants to apply, requirements first, each once."""
    known = BUILTIN if known is None else known
    out: list[Variant] = []

    def add(name, chain=()):
        if name in chain:
            raise PatchError(f"variant {name!r} requires itself ({' -> '.join(chain + (name,))})")
        if name not in known:
            raise PatchError(f"unknown variant {name!r}{did_you_mean(name, known)}; allowed: {', '.join(known)} "
                             "(joined with +)")
        v = known[name]
        for r in v.requires:
            add(r, chain + (name,))
        if v not in out:
            out.append(v)

    names = [n.strip() for n in spec.split("+")]
    if not all(names):
        raise PatchError(f"variant {spec!r}: empty name between '+'; allowed: {', '.join(known)}")
    for n in names:
        add(n)
    return out


def build_variant(spec: str, extra: Variant | None = None, kernel: str = "freebsd10") -> tuple[dict, dict, dict]:
    """Paths, locks and application options of a composed variant of ``kernel``'s paths (``extra``: a
    user-defined one, usable by name in ``spec``)."""
    from ..kernels import package  # the registry imports the packages, which import this module
    k = package(kernel)
    known = dict(k.variants)
    if extra is not None:
        known[extra.name] = extra
    paths, locks, options = dict(k.paths), dict(k.locks), {}
    for v in expand(spec, known):
        try:
            paths, locks, options = apply(paths, locks, v.patches, f"variant {v.name!r}", options)
            checks.check(paths, locks, f"variant {v.name!r}", k.connectionless)  # each variant leaves the paths sound
        except PatchError as e:
            e.variant = e.variant or v.name
            raise
    return paths, locks, options


def build(spec: str, extra: Variant | None = None, kernel: str = "freebsd10") -> tuple[dict, dict]:
    """Paths and locks of a composed variant."""
    paths, locks, _ = build_variant(spec, extra, kernel)
    return paths, locks
