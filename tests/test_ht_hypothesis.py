"""The HT hypothesis (README, "Was hyper-threading on?"): `tcpsim reproduce --hardware KEY=VALUE` measures the
article's four machines as shipped and with [hardware] keys changed, and prints both tables side by side.

- the option's bad input is one line, exit 2, naming --hardware, the key and what is allowed;
- reproduce(hardware=...) changes every machine's topology and nothing else (short closed loops);
- the side-by-side table and its JSON;
- the mechanism README states: with HT, each pair of CPU ids shares a core, so work stretches on the paired
  CPUs; the read-lock machine, whose limit is CPU work rather than lock waiting, loses a larger share of its
  rate than Figure 3's baseline.
"""
import dataclasses
import io
import json

import pytest

from tcpsim import scenario
from tcpsim.cli import main
from tcpsim.fingerprint import ROOT
from tcpsim.reproduce import SCENARIOS, format_side_by_side, reproduce
from tcpsim.simulate import run_model

HT = {"threads_per_core": 2}


@pytest.mark.parametrize("argv, words", [
    (["--hardware", "threads_per_cor=2"], ["--hardware", "'threads_per_cor'", "did you mean 'threads_per_core'",
                                           "allowed:"]),
    (["--hardware", "threads_per_core"], ["--hardware", "expected KEY=VALUE"]),
    (["--hardware", "threads_per_core=[2"], ["--hardware", "not a TOML value"]),
    (["--hardware", "threads_per_core=3"], ["fig2_1queue.toml", "--hardware", "threads_per_core = 3", "allowed:"]),
    (["--hardware", 'cpu_numbering="windows"'], ["--hardware", "cpu_numbering", "allowed: freebsd, linux"]),
    (["--hardware", "threads_per_core=2", "--hardware", "threads_per_core=1"],
     ["--hardware threads_per_core: given twice", "allowed: each key once"]),
])
def test_bad_hardware_options_are_one_line_errors(argv, words):
    out, err = io.StringIO(), io.StringIO()
    assert main(["reproduce", *argv], out, err) == 2
    line = err.getvalue().strip()
    assert "\n" not in line and "Traceback" not in line and line.startswith("tcpsim: error:"), line
    for w in words:
        assert w in line, (w, line)


def test_reproduce_changes_every_machines_topology_and_only_it():
    shipped, m0 = reproduce(duration_s=0.01, load="closed")
    ht, m1 = reproduce(duration_s=0.01, load="closed", hardware=HT)
    for name in SCENARIOS:
        a, b = m0[name].runs[0][1].m, m1[name].runs[0][1].m
        assert (a.hardware.threads_per_core, b.hardware.threads_per_core) == (1, 2)
        assert dataclasses.replace(a.hardware, threads_per_core=2) == b.hardware
        assert (a.app, a.clients, a.kernel, a.variant) == (b.app, b.clients, b.kernel, b.variant)
    assert [r.key for r in shipped] == [r.key for r in ht]
    assert any(a.model != b.model for a, b in zip(shipped, ht))
    table = format_side_by_side(shipped, ht, "threads_per_core=2")
    head = table.splitlines()[0]
    for word in ("article", "as shipped", "threads_per_co", "change"):
        assert word in head
    assert len([l for l in table.splitlines() if l.startswith("Fig. 3  4 queues: connections/s")]) == 1


def test_the_command_prints_both_tables_and_json(monkeypatch):
    import tcpsim.reproduce as rp
    calls = []
    real = rp.reproduce

    def short(*args, **kw):  # the command's two reproductions, on short closed loops
        calls.append(kw.get("hardware"))
        kw.update(load="closed")
        return real(None, 0.005, *args[2:], **{k: v for k, v in kw.items()})

    monkeypatch.setattr(rp, "reproduce", short)
    out, err = io.StringIO(), io.StringIO()
    assert main(["reproduce", "--hardware", "threads_per_core=2", "--quiet", "--json"], out, err) == 0, err.getvalue()
    doc = json.loads(out.getvalue())
    assert calls == [None, HT] and doc["hardware"] == HT
    assert [r["key"] for r in doc["rows"]] == [r["key"] for r in doc["rows_with_hardware"]]
    out = io.StringIO()
    assert main(["reproduce", "--hardware", "threads_per_core=2", "--quiet"], out, err) == 0
    text = out.getvalue()
    assert "as shipped" in text and "threads_per_core=2" in text and "judged figures within tolerance" in text


def _goodput(name, hardware, run):
    return run_model(scenario.load(ROOT / f"scenarios/paper/{name}.toml", {"hardware": hardware, "run": run}),
                     "fast")[0]["goodput_cps"]


def test_the_read_lock_machine_loses_the_larger_share():
    run = {"warmup_s": 0.01, "duration_s": 0.05, "seed": 1}
    loss = {name: 1 - _goodput(name, HT, run) / _goodput(name, {}, run) for name in ("fig3_4queues", "rlock_4queues")}
    assert 0 < loss["fig3_4queues"] < loss["rlock_4queues"], loss
