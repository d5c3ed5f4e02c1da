"""DTrace-style probes: what fires, with which arguments, and that they agree with the other views."""
import io
import json

import pytest

from tcpsim.cli import main
from tcpsim.errors import TcpsimError
from tcpsim.observe.probes import Probes
from tcpsim.simulate import run_model

from .conftest import SMALL, make_model


def test_a_connection_walks_the_server_states_in_order(small_model):
    probes = Probes()
    seen = {}
    probes.attach("tcp:::state-change", lambda p, t, a: seen.setdefault(a["conn"], []).append((a["old"], a["new"])))
    run_model(small_model, probes=probes)
    done = [v for v in seen.values() if v[-1][1] == "TIME_WAIT"]
    assert done
    assert done[0] == [("CLOSED", "SYN_RECEIVED"), ("SYN_RECEIVED", "ESTABLISHED"), ("ESTABLISHED", "FIN_WAIT_1"),
                       ("FIN_WAIT_1", "FIN_WAIT_2"), ("FIN_WAIT_2", "TIME_WAIT")]


def test_lockstat_probes_agree_with_the_lock_profile():
    m = make_model(run={"warmup_s": 0.0, "duration_s": 0.004})
    probes = Probes()
    acquired, waited = {}, {}

    def on_acquire(p, t, a):
        key = f"{a['site']} ({a['lock']})"
        acquired[key] = acquired.get(key, 0) + 1
        waited[key] = waited.get(key, 0) + a["wait"]

    probes.attach("lockstat:::*-acquire", on_acquire)
    r, _ = run_model(m, probes=probes)
    for row in r["lock_profile"]:  # warm-up 0: the profile and the probes saw the same acquisitions
        assert acquired[row["name"]] == row["count"]
        assert waited[row["name"]] // 1000 == row["wait_total"]


def test_segments_sent_and_received_nine_per_connection(small_model):
    probes = Probes()
    counts = {"tcp:::send": 0, "tcp:::receive": 0}

    def count(p, t, a):
        counts[p] += 1

    probes.attach("tcp:::send", count)
    probes.attach("tcp:::receive", count)
    r, eng = run_model(small_model, probes=probes)
    assert counts["tcp:::send"] == r["segments_out"]
    assert counts["tcp:::receive"] == r["segments_in"] + sum(len(q.ring) for q in eng.nic)  # taken off the wire = processed + queued
    per_conn = (counts["tcp:::send"] + counts["tcp:::receive"]) / r["connections"]["completed"]
    assert 8.5 < per_conn < 10.5  # 4 out + 5 in, give or take the connections in flight at the end


def test_unknown_probe_is_an_error():
    with pytest.raises(TcpsimError, match="matches no probe"):
        Probes().attach("fbt:::tcp_input", print)


def test_cli_probe_aggregation(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    out = io.StringIO()
    assert main(["run", str(p), "--duration", "0.002", "--probe", "tcp:::state-change", "--json"], out,
                io.StringIO()) == 0
    agg = json.loads(out.getvalue())["probes"]["tcp:::state-change"]
    assert {tuple(row["key"]) for row in agg} >= {("tcp:::state-change", "ESTABLISHED")}


def test_readme_probe_example_runs(capsys):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})
    assert "SYN_RECEIVED" in capsys.readouterr().out


def test_drop_probe_names_the_real_reason():
    # a slow accept thread and a tiny backlog: handshakes are refused by the listen queue
    m = make_model(kernel={"backlog": 1}, clients={"mode": "open", "rate": 120000.0, "rto_ms": 1.0},
                   run={"warmup_s": 0.0, "duration_s": 0.005})
    m.costs["accept_entry"] = 20000
    probes = Probes()
    reasons = set()
    probes.attach("tcp:::drop", lambda p, t, a: reasons.add(a["reason"]))
    r, _ = run_model(m, probes=probes)
    assert "listen_queue_overflow" in reasons and r["drops"].get("listen_queue_overflow", 0) > 0
