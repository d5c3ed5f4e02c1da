"""DTrace aggregations: the functions, dtrace's printout, the --probe clauses and the README's lifetime example."""
import io
import json
import re
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from tcpsim.cli import main
from tcpsim.errors import TcpsimError
from tcpsim.observe.aggregations import Aggregation
from tcpsim.observe.clauses import Clause
from tcpsim.observe.probes import Probes
from tcpsim.simulate import run_model

from .conftest import SMALL, make_model

README = Path(__file__).resolve().parents[1] / "README.md"


def test_quantize_prints_power_of_two_buckets_like_dtrace():
    a = Aggregation("quantize")
    for v in (0, 1, 3, 5, 6, 7, 1000):
        a.add(v)
    # buckets 0:1, 1:1, 2:1 (3), 4:3 (5,6,7), 512:1 (1000); one empty bucket each side of the used range
    assert a.format() == "\n".join([
        "",
        "           value  ------------- Distribution ------------- count",
        "              -1 |                                         0",
        "               0 |@@@@@@                                   1",
        "               1 |@@@@@@                                   1",
        "               2 |@@@@@@                                   1",
        "               4 |@@@@@@@@@@@@@@@@@                        3",
        "               8 |                                         0",
        "              16 |                                         0",
        "              32 |                                         0",
        "              64 |                                         0",
        "             128 |                                         0",
        "             256 |                                         0",
        "             512 |@@@@@@                                   1",
        "            1024 |                                         0",
    ])
    assert a.data() == [{"key": [], "quantize": [[-1, 0], [0, 1], [1, 1], [2, 1], [4, 3], [8, 0], [16, 0], [32, 0],
                                                 [64, 0], [128, 0], [256, 0], [512, 1], [1024, 0]]}]


def test_lquantize_has_underflow_and_overflow_rows():
    a = Aggregation("lquantize", 0, 30, 10)
    for v, key in ((-5, "a"), (0, "a"), (15, "a"), (29, "a"), (30, "a"), (99, "a"), (12, "b")):
        a.add(v, (key,))
    text = a.format()
    # keys sorted by their totals, ascending, as dtrace prints them
    assert text.index("  b") < text.index("  a")
    block_a = text[text.index("  a"):]
    assert block_a.splitlines()[2:] == [
        "             < 0 |@@@@@@@                                  1",
        "               0 |@@@@@@@                                  1",
        "              10 |@@@@@@@                                  1",
        "              20 |@@@@@@@                                  1",
        "           >= 30 |@@@@@@@@@@@@@                            2",
    ]
    assert Aggregation("lquantize", 0, 10).params == (0, 10, 1)  # D's default step


def test_scalar_functions_and_their_order():
    aggs = {f: Aggregation(f) for f in ("count", "sum", "avg", "min", "max")}
    for v, k in ((5, "x"), (-8, "x"), (4, "y")):
        for a in aggs.values():
            a.add(v, (k,))
    assert {f: {tuple(r["key"]): r[f] for r in a.data()} for f, a in aggs.items()} == {
        "count": {("x",): 2, ("y",): 1}, "sum": {("x",): -3, ("y",): 4},
        "avg": {("x",): -1, ("y",): 4},  # -3/2 truncated toward zero, as dtrace prints an avg
        "min": {("x",): -8, ("y",): 4}, "max": {("x",): 5, ("y",): 4}}
    assert aggs["sum"].format().splitlines()[0].split() == ["x", "-3"]  # smallest value first


@pytest.mark.parametrize("text, problem", [
    ("tcp:::send { @ = quantize(wait) }", "no variable 'wait' at tcp:::send"),
    ("tcp:::send { @ = sum(segment) }", "'segment' is a name, not a number"),
    ("tcp:::state-change /new < 3/", "new is a name: < does not apply"),
    ("tcp:::state-change /conn == abc/", "conn is a number, compared with abc"),
    ("lockstat:::rw-spin { @ = median(ns) }", "aggregating function 'median'"),
    ("lockstat:::rw-spin { @ = lquantize(ns, 10) }", "lquantize() takes 2 or 3 integer parameters"),
    ("lockstat:::rw-spin { @ = lquantize(ns, 10, 0) }", "high > low"),
    ("lockstat:::rw-spin { @ = count(ns) }", "count() takes no argument"),
    ("lockstat:::rw-spin { @[] = count() }", "an empty key"),
    ("lockstat:::rw-spin { printf(ns) }", "action {printf(ns)}"),
    ("fbt:::tcp_input", "matches no probe"),
    ("tcp:::send /x/", "predicate term 'x'"),
])
def test_bad_clauses_are_one_line_errors_naming_the_clause(text, problem):
    with pytest.raises(TcpsimError) as e:
        Clause(text)
    msg = str(e.value)
    assert msg.startswith(f"--probe {text!r}: ") and problem in msg and "\n" not in msg


def test_a_bad_clause_exits_2_before_running(tmp_path):
    s = tmp_path / "s.toml"
    s.write_text(SMALL)
    err = io.StringIO()
    assert main(["run", str(s), "--probe", "tcp:::send { @ = sum(segment) }"], io.StringIO(), err) == 2
    assert err.getvalue().count("\n") == 1 and "--probe" in err.getvalue()


def test_clause_aggregates_what_a_callback_sees():
    """sum(wait) by site over the acquire probes equals the sum a plain callback computes."""
    m = make_model(run={"warmup_s": 0.0, "duration_s": 0.003})
    probes = Probes()
    by_site = Clause("lockstat:::rw-acquire /mode == W && wait > 0/ { @[site] = sum(wait) }").attach(probes)
    manual = {}

    def on_acquire(p, t, a):
        if a["mode"] == "W" and a["wait"] > 0:
            manual[(a["site"],)] = manual.get((a["site"],), 0) + a["wait"]

    probes.attach("lockstat:::rw-acquire", on_acquire)
    run_model(m, probes=probes)
    assert manual and by_site.values == manual


def test_elapsed_is_the_time_spent_in_the_old_state(small_model):
    probes = Probes()
    elapsed = Clause("tcp:::state-change /old == SYN_RECEIVED/ { @ = max(elapsed) }").attach(probes)
    entered, longest = {}, [0]

    def manual(p, t, a):
        if a["new"] == "SYN_RECEIVED":
            entered[a["conn"]] = t
        elif a["old"] == "SYN_RECEIVED":
            longest[0] = max(longest[0], t - entered[a["conn"]])

    probes.attach("tcp:::state-change", manual)
    run_model(small_model, probes=probes)
    assert elapsed.values == {(): longest[0]} and longest[0] > 0


def test_cli_json_has_each_clause_rows(tmp_path):
    s = tmp_path / "s.toml"
    s.write_text(SMALL)
    out = io.StringIO()
    clause = "fbt::ixgbe_rxeof:return { @[queue] = lquantize(frames, 0, 256, 64) }"
    assert main(["run", str(s), "--duration", "0.002", "--probe", clause, "--json"], out, io.StringIO()) == 0
    rows = json.loads(out.getvalue())["probes"][clause]
    assert {tuple(r["key"]) for r in rows} == {("0",), ("1",)}  # SMALL has two queues
    assert all(label == "< 0" or label == ">= 256" or int(label) % 64 == 0 for r in rows for label, _ in r["lquantize"])


def test_readme_lifetime_example_and_its_clause_print_the_same_histogram(capsys):
    readme = README.read_text()
    code = re.search(r"```python\n([^`]*lifetime = Aggregation[^`]*)```", readme).group(1)
    buf = io.StringIO()
    with redirect_stdout(buf):
        exec(compile(code, "README.md", "exec"), {})
    python_histogram = buf.getvalue().strip("\n")
    shown = re.search(r"\$ tcpsim run (\S+) --duration (\S+) --warmup (\S+) \\\n\s+--probe '([^']+)'\n\.\.\.\n# dtrace[^\n]*\n"
                      r"(.*?)```", readme, re.S)
    path, duration, warmup, clause, printed = shown.groups()
    out = io.StringIO()
    assert main(["run", path, "--duration", duration, "--warmup", warmup, "--probe", clause], out, io.StringIO()) == 0
    cli_histogram = out.getvalue().split("(whole run)\n", 1)[1].strip("\n")
    assert "@@@@" in python_histogram
    assert python_histogram == cli_histogram == printed.strip("\n")
