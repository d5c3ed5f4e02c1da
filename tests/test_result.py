"""simulate(): a Result (a dict with an HTML summary), variants and key overrides from Python."""
import json
import pickle

import pytest

from tcpsim.errors import TcpsimError
from tcpsim.observe.result import Result
from tcpsim.simulate import simulate

from .conftest import SMALL


@pytest.fixture
def small(tmp_path):
    p = tmp_path / "small.toml"
    p.write_text(SMALL)
    return p


def test_simulate_returns_a_result_every_dict_caller_can_use(small):
    r = simulate(small, duration_s=0.002)
    assert isinstance(r, Result) and isinstance(r, dict)
    assert json.loads(json.dumps(r)) == json.loads(json.dumps(dict(r)))
    again = pickle.loads(pickle.dumps(r))  # what the process pool and dask send back
    assert type(again) is Result and again == r


def test_result_html_summarises_rate_cpus_and_locks(small):
    r = simulate(small, duration_s=0.002)
    page = r._repr_html_()
    assert f"{r['goodput_cps']:,.0f} connections/s" in page
    assert all(f"<td>CPU {c['cpu']}</td>" in page for c in r["cpus"])
    assert r["lock_profile"][0]["name"] in page
    assert "__rw_wlock_hard" in page  # SMALL's interrupt CPUs spin on rw:tcp
    assert "<script" not in page


def test_simulate_takes_a_variant_and_key_overrides(small):
    r = simulate(small, duration_s=0.002, variant="rlock", overrides={"hardware": {"queues": 1, "queue_cpus": [0]}})
    assert r["variant"] == "rlock"
    assert len(r["interrupts"]) == 1  # one receive queue, so one MSI-X vector
    assert not any(row["site"] == "tcp_input.c:1013" and row["lock"] == "rw:tcp" for row in r["lock_profile"])


@pytest.mark.parametrize("kwargs, problem", [
    ({"seed": 3, "overrides": {"run": {"seed": 4}}}, "seed and overrides['run']['seed'] both set [run] seed"),
    ({"overrides": {"hardware": 8}}, "overrides: {'hardware': 8} is not a table of sections"),
    ({"overrides": {"hardware": {"queuez": 8}}}, "queuez"),
    ({"variant": "nosuch"}, "nosuch"),
])
def test_simulate_mistakes_are_one_line_errors(small, kwargs, problem):
    with pytest.raises(TcpsimError) as e:
        simulate(small, duration_s=0.002, **kwargs)
    assert problem in str(e.value) and "\n" not in str(e.value)


def test_readme_simulate_example_runs(capsys):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    code = re.search(r"```python\n([^`]*variant=\"accept_nolock\+tw_lock\"[^`]*)```", readme).group(1)
    exec(compile(code, "README.md", "exec"), {})
    rate, site = capsys.readouterr().out.split(" ", 1)
    assert float(rate) > 10_000 and "(" in site
