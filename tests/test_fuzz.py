"""Fuzzing with hypothesis: generated scenario files (values inside and outside the schema) and generated variants
(random patch lists over the real sites, anchors, paths and locks). A valid one runs briefly (1-2 ms simulated)
on every engine without an exception, and every engine gives the same probe trace (or the same one-line
refusal); an invalid one raises TcpsimError and nothing else.

CI runs a few examples; a longer search is one command away:

    TCPSIM_FUZZ=long python -m pytest tests/test_fuzz.py      # 2,000 examples per test
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcpsim import scenario, witness
from tcpsim.engines import ENGINES, make_engine
from tcpsim.errors import TcpsimError
from tcpsim.model import variants
from tcpsim.model.locks import BASE_LOCKS
from tcpsim.model.patches import anchor_of
from tcpsim.model.paths import BASELINE_PATHS
from tcpsim.model.steps import Acquire, Act, Assert, Release, TryAcquire, Work, executable, walk
from tcpsim.observe.probes import Probes

from .conftest import make_model

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROFILE = "long" if os.environ.get("TCPSIM_FUZZ") == "long" else "ci"

# --- scenarios ---------------------------------------------------------------------------------------------------
# Valid values are drawn small where a large one is only slow (clients, TIME-WAIT prefill, open-loop rate), so a
# run stays within a second or so; invalid ones come from outside the schema: wrong types, out of range, nan.
WRONG = st.one_of(st.text(max_size=4), st.booleans(), st.lists(st.integers(), max_size=2), st.just(float("nan")),
                  st.integers(-10**6, -1), st.floats(allow_nan=False).filter(lambda x: abs(x) > 1e9))
SMALL_HI = {("kernel", "maxtcptw"): 5000, ("clients", "rate"): 2e5, ("clients", "concurrency"): 32,
            ("clients", "addresses"): 5000, ("kernel", "backlog"): 5000, ("hardware", "cpus"): 10,
            ("run", "duration_s"): 0.002}
CPU = st.integers(0, 9)


def _valid(section, key, spec):
    hi = SMALL_HI.get((section, key), spec.hi)
    if key in ("accept_cpu", "timer_cpu"):
        return CPU
    if spec.choices:
        return st.sampled_from(spec.choices)
    if spec.type is bool:
        return st.booleans()
    if spec.type is int:
        return st.integers(int(spec.lo), int(hi))
    if spec.type is float:
        return st.floats(spec.lo, hi, allow_nan=False)
    if (section, key) in (("hardware", "queue_cpus"), ("app", "worker_cpus")):
        return st.lists(CPU, min_size=1, max_size=3)
    if key == "lock_race_weight":
        return st.lists(st.floats(0.1, 10), min_size=1, max_size=4)
    if key == "rss_key":
        return st.sampled_from(["microsoft", "6d5a" * 20])
    if key == "server_address":
        return st.sampled_from(["192.0.2.1", "10.0.0.1"])
    return st.text(alphabet="abc", min_size=1, max_size=5)


def _value(draw, section, key, spec, clean):
    """Mostly a valid value (always, in a clean scenario), now and then one from outside the schema."""
    if not clean and draw(st.integers(0, 7)) == 0:
        return draw(WRONG)
    if section == "run" and key == "duration_s":  # a valid run must stay short
        return draw(st.floats(1e-4, 0.002))
    if section == "run" and key == "warmup_s":
        return draw(st.floats(0, 0.001))
    if clean and (section, key) == ("hardware", "cpus"):  # CPU numbers below are 0-9
        return draw(st.integers(10, 16))
    if clean and (section, key) == ("hardware", "queues"):  # with the default queue_cpus 0..queues-1
        return draw(st.integers(1, 8))
    return draw(_valid(section, key, spec))


def _toml(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(v))
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, str):
        return json.dumps(v)
    return repr(v)


@st.composite
def scenario_texts(draw):
    clean = draw(st.booleans())  # half the scenarios have only valid values, so that some of them run
    lines = ['[scenario]', 'name = "fuzz"']
    for section, keys in scenario.SCHEMA.items():
        if section in ("scenario", "variant"):
            continue
        chosen = draw(st.lists(st.sampled_from(sorted(keys)), unique=True, max_size=len(keys)))
        required = [k for k, spec in keys.items() if spec.default is scenario.REQUIRED]
        if section == "run":
            chosen = sorted(set(chosen) | {"duration_s", "warmup_s"})
        if section == "clients" and "concurrency" not in chosen:
            chosen.append("concurrency")
        if clean:  # keys whose valid values depend on others are left to their defaults; room for CPUs 0-9
            chosen = [k for k in chosen if k not in ("queue_cpus", "lock_race_weight")]
            chosen += ["cpus"] if section == "hardware" and "cpus" not in chosen else []
        if clean or draw(st.integers(0, 9)):  # required keys are usually there
            chosen = sorted(set(chosen) | set(required))
        lines.append(f"[{section}]")
        for k in chosen:
            lines.append(f"{k} = {_toml(_value(draw, section, k, keys[k], clean))}")
        if not clean and draw(st.integers(0, 19)) == 0:
            lines.append("bogus_key = 1")
    return "\n".join(lines) + "\n"


def _run(model):
    """Run ``model`` on every engine: each either runs or refuses it with a TcpsimError, and all of them give the
    same ordered probe events (the fast engine mirrors the reference event for event) or the same refusal."""
    outcomes = {}
    for engine in ENGINES:
        trace = []
        probes = Probes()
        probes.attach("*", lambda probe, t, args: trace.append((probe, t, sorted(args.items()))))
        try:
            make_engine(model, engine, probes).run()
        except TcpsimError as e:
            trace.append(("refused", str(e)))
        outcomes[engine] = trace
    first, *others = outcomes.values()
    for engine, trace in zip(ENGINES[1:], others):
        diverged = next((i for i, (a, b) in enumerate(zip(first, trace)) if a != b), min(len(first), len(trace)))
        assert trace == first, (f"{ENGINES[0]} and {engine} part at event {diverged} of {len(first)}/{len(trace)}: "
                                f"{first[diverged:diverged + 1]} vs {trace[diverged:diverged + 1]}")


@settings(settings.get_profile(PROFILE))
@given(scenario_texts())
def test_generated_scenarios_run_or_raise_tcpsim_error(text):
    try:
        model = scenario.build(scenario.parse(text, "fuzz.toml"), text, "fuzz.toml")
    except TcpsimError as e:
        assert "\n" not in str(e) and str(e).startswith("fuzz.toml")
        return
    assert model.run.duration_s <= 0.002
    _run(model)


# --- variants ----------------------------------------------------------------------------------------------------
def _steps(kind):
    return sorted({s for p in BASELINE_PATHS.values() for s in walk(p.steps) if isinstance(s, kind)}, key=repr)


SITES = sorted({s.site for s in _steps(Acquire) + _steps(TryAcquire)})
ASSERT_SITES = sorted({s.site for s in _steps(Assert)})
PATHS = sorted(BASELINE_PATHS)
LOCKS = sorted(BASE_LOCKS)
ANCHORED = (Acquire, TryAcquire, Release, Work, Act, Assert)
ANCHORS = {name: [anchor_of(p, s) for s in walk(p.steps) if isinstance(s, ANCHORED)] + ["start", "end"]
           for name, p in BASELINE_PATHS.items()}
COSTS = sorted({s.cost for s in _steps(Work)})


@st.composite
def new_steps(draw):
    out = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["acquire", "release", "work", "assert", "stop", "try"]))
        lock = draw(st.sampled_from(LOCKS + ["nolock"]))
        site = draw(st.sampled_from(SITES + ["x.c:1"]))
        if kind == "acquire":
            out.append({"acquire": lock, "mode": draw(st.sampled_from("RW")), "site": site})
        elif kind == "try":
            out.append({"try": lock, "mode": draw(st.sampled_from("RW")), "site": site, "on_fail": [{"stop": True}]})
        elif kind == "release":
            out.append({"release": lock})
        elif kind == "work":
            out.append({"work": draw(st.sampled_from(COSTS + ["nocost"]))})
        elif kind == "assert":
            out.append({"assert": lock, "mode": draw(st.sampled_from(["W", "R", "any"])), "site": site})
        else:
            out.append({"stop": True})
    return out


@st.composite
def patches(draw):
    op = draw(st.sampled_from(["mode", "drop", "relock", "insert", "remove", "move", "assert", "lock"]))
    path = draw(st.sampled_from(PATHS))
    anchor = lambda: draw(st.sampled_from(ANCHORS[path]))  # noqa: E731
    if op == "mode":
        return {"op": op, "site": draw(st.sampled_from(SITES)), "mode": draw(st.sampled_from(["R", "W", "X"]))}
    if op == "drop":
        return {"op": op, "site": draw(st.sampled_from(SITES))}
    if op == "relock":
        return {"op": op, "site": draw(st.sampled_from(SITES)), "lock": draw(st.sampled_from(LOCKS + ["new"]))}
    if op == "insert":
        where = draw(st.sampled_from(["before", "after"]))
        return {"op": op, "path": path, where: anchor(), "steps": draw(new_steps())}
    if op in ("remove", "move"):
        p = {"op": op, "path": path, "first": anchor(), "last": anchor()}
        if op == "move":
            p[draw(st.sampled_from(["before", "after"]))] = anchor()
        return p
    if op == "assert":
        return {"op": op, "site": draw(st.sampled_from(ASSERT_SITES)), "mode": draw(st.sampled_from(["W", "R", "any", "none"]))}
    return {"op": op, "name": "new", "kind": draw(st.sampled_from(["rw", "mtx"])), "display": "rw:new",
            "scope": draw(st.sampled_from(["global", "connection", "bucket"])), "recursive": draw(st.booleans())}


@settings(settings.get_profile(PROFILE))
@given(st.sampled_from(["baseline", "accept_nolock", "tw_lock", "rlock", "epoch", "pcbgroup", "reuseport"]),
       st.lists(patches(), min_size=1, max_size=4))
def test_generated_variants_build_and_run_or_raise_tcpsim_error(base, patch_list):
    try:
        paths, locks, options = variants.build_variant("fuzz", variants.Variant("fuzz", "", tuple(patch_list), (base,)))
    except TcpsimError as e:
        assert "\n" not in str(e)
        return
    model = make_model(run={"warmup_s": 0.0, "duration_s": 0.0015})
    model.paths = {n: executable(p) for n, p in paths.items()}
    model.locks = locks
    model.variant = "fuzz"
    model.app = replace(model.app, acceptors=options.get("acceptors", "thread"))
    try:
        witness.refuse(model, allow_lor=False)
    except TcpsimError:
        return
    _run(model)


# --- what the fuzzer found, kept as regression tests ------------------------------------------------------------
def test_found_a_reader_spin_timeout_waking_a_thread_on_the_turnstile():
    # The bounded spin against readers expired after its waiter had gone to sleep on the turnstile and woke it
    # with the wrong event; the next release's broadcast then crashed ("Event already triggered"). Seen with a
    # worker and an accept thread sharing the interrupt threads' CPUs.
    text = """
[scenario]
name = "fuzz"
[hardware]
cpus = 10
queues = 7
[kernel]
backlog = 4
maxtcptw = 1
msl_s = 0.0
slowtimo_ms = 1.0
[app]
accept_cpu = 3
worker_cpus = [0]
[clients]
concurrency = 30
max_syn_retries = 0
[run]
duration_s = 0.002
seed = 173
warmup_s = 0.0
"""
    _run(scenario.build(scenario.parse(text, "fuzz.toml"), text))


def test_found_an_open_loop_rate_too_small_for_a_float():
    # rate = 5e-324 (a positive denormal) made the first exponential gap infinite: OverflowError in the engine
    text = "[scenario]\nname = \"f\"\n[app]\naccept_cpu = 0\nworker_cpus = [0]\n[clients]\nmode = \"open\"\nrate = 5e-324\n"
    try:
        scenario.parse(text, "fuzz.toml")
    except TcpsimError as e:
        assert "[clients] rate: open loop needs a positive rate, got 5e-324" in str(e)
    else:
        raise AssertionError("accepted")
