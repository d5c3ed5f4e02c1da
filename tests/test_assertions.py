"""Lock assertions as data (steps.Assert): declared on the paths at their 10.0 sites, kept in step with
docs/lock-sites.md, checked when a variant is built, patched by the variants that change the lock, and
absent from what an engine runs."""
import re
from pathlib import Path

import pytest

from tcpsim.model import variants
from tcpsim.model.patches import PatchError
from tcpsim.model.paths import BASELINE_PATHS
from tcpsim.model.steps import Assert, walk

from .conftest import make_model

DOC = Path(__file__).resolve().parents[1] / "docs" / "lock-sites.md"


def _declared():
    return {s.site for p in BASELINE_PATHS.values() for s in walk(p.steps) if isinstance(s, Assert)}


def test_every_assertion_has_a_row_and_every_row_an_assertion():
    table = DOC.read_text().split("## Lock assertions")[1]
    rows = set(re.findall(r"^\| ([a-z_]+\.c:\d+) \| [^|]+ \| (?:W|R|any) \|", table, re.M))
    assert rows == _declared() and len(rows) >= 12


def _mine(*patches):
    return variants.Variant("mine", "", tuple(patches), ("baseline",))


def test_dropping_the_global_lock_from_shutdown_and_close_is_refused_at_the_assertion():
    with pytest.raises(PatchError) as e:
        variants.build("mine", _mine({"op": "drop", "site": "tcp_usrreq.c:728"},
                                     {"op": "drop", "site": "tcp_usrreq.c:984"}))
    assert str(e.value).startswith("variant 'mine': path 'close': the assertion at tcp_usrreq.c:1659 "
                                   "(tcp_disconnect: INP_INFO_WLOCK_ASSERT) needs rw:tcp write-locked, but it is "
                                   "not held")
    # the same change with the assertions patched builds
    variants.build("mine", _mine({"op": "drop", "site": "tcp_usrreq.c:728"},
                                 {"op": "drop", "site": "tcp_usrreq.c:984"},
                                 {"op": "assert", "site": "tcp_usrreq.c:1659", "mode": "none"},
                                 {"op": "assert", "site": "tcp_usrreq.c:1697", "mode": "none"}))


def test_weakening_a_lock_an_assertion_needs_written_is_refused():
    with pytest.raises(PatchError, match=r"path 'shutdown': the assertion at tcp_usrreq.c:1697 .* needs rw:tcp "
                                         r"write-locked, but it is held R since tcp_usrreq.c:728"):
        variants.build("mine", _mine({"op": "mode", "site": "tcp_usrreq.c:728", "mode": "R"}))
    # asserting R where the path holds it W fails too (rw_assert(RA_RLOCKED) wants a read hold)
    with pytest.raises(PatchError, match=r"needs rw:tcp read-locked, but it is held W since tcp_usrreq.c:984"):
        variants.build("mine", _mine({"op": "assert", "site": "tcp_usrreq.c:1659", "mode": "R"}))
    variants.build("mine", _mine({"op": "assert", "site": "tcp_usrreq.c:1659", "mode": "any"}))


def test_the_assert_op_is_checked():
    for patch, message in [
        ({"op": "assert", "site": "tcp_usrreq.c:1698", "mode": "none"},
         "no assertion at tcp_usrreq.c:1698 in any path (did you mean 'tcp_usrreq.c:1697'?)"),
        ({"op": "assert", "site": "tcp_usrreq.c:1697", "mode": "X"}, "mode 'X'; allowed: W, R, any, none"),
        ({"op": "assert", "site": "tcp_usrreq.c:1697"}, "nothing to change"),
        ({"op": "assert", "site": "tcp_usrreq.c:1697", "lock": "tcpp"}, "lock 'tcpp' is not declared (did you mean 'tcp'?)"),
    ]:
        with pytest.raises(PatchError) as e:
            variants.build("mine", _mine(patch))
        assert message in str(e.value)


def test_builtin_variants_patch_their_assertions():
    paths, _ = variants.build("rlock")
    modes = {s.site: s.mode for p in paths.values() for s in walk(p.steps) if isinstance(s, Assert)}
    assert modes["tcp_usrreq.c:1697"] == "R" and modes["tcp_usrreq.c:165"] == "any"
    assert modes["in_pcb.c:1892"] == "W"  # the hash lock did not change
    paths, _ = variants.build("epoch")
    left = {(s.site, s.lock) for p in paths.values() for s in walk(p.steps) if isinstance(s, Assert)}
    assert all(lock != "tcp" for _site, lock in left) and ("in_pcb.c:1892", "pcbinfohash") in left
    paths, _ = variants.build("pcbgroup")
    assert {s.lock for p in paths.values() for s in walk(p.steps)
            if isinstance(s, Assert) and s.site == "in_pcb.c:1892"} == {"pcbgroup"}


def test_engines_run_paths_without_assertions():
    m = make_model()
    assert not any(isinstance(s, Assert) for p in m.paths.values() for s in walk(p.steps))
