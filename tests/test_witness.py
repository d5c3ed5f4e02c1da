"""User-defined variants in a scenario file, WITNESS on a deliberately reversed lock order, compare."""
import io
import json

import pytest

from tcpsim import scenario, witness
from tcpsim.cli import main
from tcpsim.errors import TcpsimError

from .conftest import SMALL

# shutdown() taking the connection's lock BEFORE rw:tcp: the reverse of the order every other path uses
REVERSED = SMALL + """
[variant]
name = "shutdown_inp_first"
doc = "deliberately wrong: pcb lock before the global lock"

[[variant.patches]]
op = "move"
path = "shutdown"
first = "site:tcp_usrreq.c:731"
last = "site:tcp_usrreq.c:731"
before = "site:tcp_usrreq.c:728"
"""

GOOD = SMALL + """
[variant]
name = "close_nolock"
base = "accept_nolock"
patches = [
  { op = "drop", site = "tcp_usrreq.c:984" },
  { op = "lock", name = "closelock", kind = "mtx", display = "sleep mutex:closelock", scope = "global" },
  { op = "insert", path = "close", after = "cost:soclose", steps = [ { acquire = "closelock", mode = "W", site = "tcp_usrreq.c:980", frames = ["sys_close"] } ] },
  { op = "insert", path = "close", after = "cost:tcp_usr_close", steps = [ { release = "closelock" } ] },
  { op = "assert", site = "tcp_usrreq.c:1659", lock = "closelock" },
  { op = "assert", site = "tcp_usrreq.c:1697", path = "close", lock = "closelock" },
]
"""


def _write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_witness_names_both_sites_of_a_reversal(tmp_path):
    m = scenario.load(_write(tmp_path, REVERSED))
    cycles = witness.check(m)
    assert len(cycles) == 1
    text = witness.format_reversal(cycles[0])
    assert "rw:tcpinp @ tcp_usrreq.c:731" in text and "rw:tcp @ tcp_usrreq.c:728" in text  # the new order
    assert "lock order rw:tcp -> rw:tcpinp established at" in text  # and where the right one was set


def test_run_refuses_a_reversal_unless_allowed(tmp_path):
    p = _write(tmp_path, REVERSED)
    err = io.StringIO()
    assert main(["run", str(p), "--duration", "0.002"], io.StringIO(), err) == 2
    assert "lock order reversal" in err.getvalue() and len(err.getvalue().strip().splitlines()) == 1
    out = io.StringIO()
    assert main(["run", str(p), "--duration", "0.003", "--allow-lor", "--json"], out, io.StringIO()) == 0
    dyn = json.loads(out.getvalue())["witness"]
    # the run itself took the locks both ways: the dynamic graph has the cycle too
    assert dyn["reversals"] and {e["first"] for e in dyn["reversals"][0]} == {"rw:tcp", "rw:tcpinp"}


def test_witness_command_and_dot(tmp_path):
    p = _write(tmp_path, REVERSED)
    out = io.StringIO()
    dot = tmp_path / "g.dot"
    assert main(["witness", str(p), "--dot", str(dot)], out, io.StringIO()) == 1  # found one: a failed check
    assert "lock order reversal:" in out.getvalue()
    assert dot.read_text().startswith("digraph witness") and "color=red" in dot.read_text()
    out = io.StringIO()
    assert main(["witness", "accept_nolock+tw_lock"], out, io.StringIO()) == 0
    assert "no lock order reversals" in out.getvalue() and "rw:tcptw" in out.getvalue()


def test_user_variant_runs_and_shows_its_changes(tmp_path):
    m = scenario.load(_write(tmp_path, GOOD))
    assert m.variant == "close_nolock" and not witness.check(m)
    out = io.StringIO()
    assert main(["run", str(_write(tmp_path, GOOD, "g.toml")), "--duration", "0.003", "--json"], out,
                io.StringIO()) == 0
    sites = {r["name"] for r in json.loads(out.getvalue())["lock_profile"]}
    assert "tcp_usrreq.c:980 (sleep mutex:closelock)" in sites
    assert "tcp_usrreq.c:984 (rw:tcp)" not in sites and "tcp_usrreq.c:635 (rw:tcp)" not in sites


@pytest.mark.parametrize("patch, message", [
    ('{ op = "drop", site = "tcp_usrreq.c:9999" }', "site tcp_usrreq.c:9999 is not in any path"),
    ('{ op = "frobnicate" }', "unknown op 'frobnicate'"),
    ('{ op = "mode", site = "tcp_usrreq.c:728", mode = "X" }', "mode 'X'"),
    ('{ op = "insert", path = "close", after = "act:nothing", steps = [] }', "anchor 'act:nothing' not found"),
    ('{ op = "relock", site = "tcp_usrreq.c:728", lock = "undeclared" }', "lock 'undeclared' is not declared"),
    ('{ op = "drop", site = "tcp_input.c:1013" }', "blocking fallback of a try-lock"),
])
def test_bad_patches_are_one_line_errors(tmp_path, patch, message):
    text = SMALL + f'\n[variant]\nname = "bad"\npatches = [ {patch} ]\n'
    with pytest.raises(TcpsimError) as e:
        scenario.load(_write(tmp_path, text))
    msg = str(e.value)
    assert message in msg and "[variant] patches" in msg and "\n" not in msg


def test_compare_table_and_json(tmp_path):
    p = _write(tmp_path, SMALL)
    out = io.StringIO()
    assert main(["compare", str(p), "--variants", "baseline,rlock", "--queues", "1,2", "--duration", "0.002",
                 "--json"], out, io.StringIO()) == 0
    rows = json.loads(out.getvalue())["rows"]
    assert [(r["variant"], r["queues"]) for r in rows] == [("baseline", 1), ("baseline", 2), ("rlock", 1), ("rlock", 2)]
    assert all(r["goodput_cps"] > 0 and r["top_site"] for r in rows)
    out = io.StringIO()
    assert main(["compare", str(p), "--variants", "baseline", "--queues", "9"], out, io.StringIO() ) == 2


def test_readme_worked_example_runs(tmp_path):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = re.search(r"```toml\n(\[variant\].*?)```", readme, re.S).group(1)
    m = scenario.load(_write(tmp_path, SMALL + "\n" + block))
    assert m.variant == "close_nolock" and not witness.check(m)


def test_an_rwlock_upgrade_is_refused(tmp_path):
    # reading rw:tcp at the FIN's :778 while tcp_usr_detach later wants it written: certain self-deadlock
    # (its assertions read-locked too, so that the static assertion check lets it through to WITNESS)
    asserts = "".join(f', {{ op = "assert", path = "client_fin", site = "tcp_timewait.c:{line}", mode = "R" }}'
                      for line in (207, 617, 638, 461))
    text = (SMALL + '\n[variant]\nname = "upgrade"\npatches = [ { op = "mode", path = "client_fin", site = '
            f'"tcp_input.c:778", mode = "R" }}{asserts} ]\n')
    p = _write(tmp_path, text)
    err = io.StringIO()
    assert main(["run", str(p), "--allow-lor"], io.StringIO(), err) == 2
    assert "cannot be upgraded" in err.getvalue() and "tcp_usrreq.c:231" in err.getvalue()
    out = io.StringIO()
    assert main(["witness", str(p)], out, io.StringIO()) == 1 and "self-deadlock" in out.getvalue()


def test_a_defined_but_unused_variant_is_an_error(tmp_path):
    text = GOOD.replace('name = "small"', 'name = "small"\nvariant = "rlock"')
    with pytest.raises(TcpsimError, match="defined but \\[scenario\\] variant 'rlock' does not use it"):
        scenario.load(_write(tmp_path, text))
    ok = GOOD.replace('name = "small"', 'name = "small"\nvariant = "tw_lock+close_nolock"')
    assert scenario.load(_write(tmp_path, ok, "ok.toml")).variant == "tw_lock+close_nolock"


def test_compare_baseline_against_a_user_variant(tmp_path):
    out = io.StringIO()
    assert main(["compare", str(_write(tmp_path, GOOD)), "--variants", "baseline,close_nolock", "--duration",
                 "0.002", "--json"], out, io.StringIO()) == 0
    rows = json.loads(out.getvalue())["rows"]
    assert [r["variant"] for r in rows] == ["baseline", "close_nolock"]
    # an explicit override really runs the baseline (rw:tcp at :984 still taken), not the file's own variant
    m = scenario.load(tmp_path / "s.toml", {"scenario": {"variant": "baseline"}})
    assert m.variant == "baseline" and "tcp_usrreq.c:984" in {
        st.site for st in m.paths["close"].steps if hasattr(st, "site")}


def test_witness_json_exit_status_follows_the_finding(tmp_path):
    out = io.StringIO()
    assert main(["witness", str(_write(tmp_path, REVERSED)), "--json"], out, io.StringIO()) == 1
    assert json.loads(out.getvalue())["reversals"]
    assert main(["witness", "rlock", "--json"], io.StringIO(), io.StringIO()) == 0
