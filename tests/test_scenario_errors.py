"""Bad input: one line naming file, key, problem and what is allowed; CLI exit status 2, no traceback."""
import io
import re

import pytest

from tcpsim import scenario
from tcpsim.cli import main
from tcpsim.errors import TcpsimError

from .conftest import SMALL


def _err(text):
    with pytest.raises(TcpsimError) as e:
        scenario.parse(text, "bad.toml")
    msg = str(e.value)
    assert "\n" not in msg and re.match(r"bad\.toml(:\d+)?: ", msg), msg
    return msg


def test_unknown_key_is_an_error():
    msg = _err(SMALL.replace("queues = 2", "queues = 2\nqueus = 3"))
    assert "[hardware] queus" in msg and "unknown key" in msg and "allowed:" in msg and "queues" in msg


def test_unknown_section_is_an_error():
    assert "unknown section" in _err(SMALL + "\n[nic]\nqueues = 2\n")


def test_out_of_range_and_wrong_type():
    assert "[hardware] queues" in _err(SMALL.replace("queues = 2", "queues = 9")) 
    assert "1 to 8" in _err(SMALL.replace("queues = 2", "queues = 9"))
    assert "expected an integer" in _err(SMALL.replace("queues = 2", 'queues = "two"'))


def test_cpu_that_does_not_exist():
    msg = _err(SMALL.replace("worker_cpus = [5]", "worker_cpus = [5, 9]"))
    assert "[app] worker_cpus" in msg and "CPU 9 does not exist" in msg


def test_missing_required_key():
    assert "[app] accept_cpu: missing" in _err(SMALL.replace("accept_cpu = 4\n", ""))


def test_cli_bad_scenario_exits_2_with_one_line(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text(SMALL.replace("[run]", "[run]\nbogus = 1"))
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", str(p)], out, err) == 2
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1 and "bogus" in lines[0] and "Traceback" not in err.getvalue()


def test_cli_missing_file_and_bad_option(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", str(tmp_path / "nope.toml")], out, err) == 2
    assert "cannot read scenario" in err.getvalue()
    err = io.StringIO()
    assert main(["run", str(tmp_path / "x.toml"), "--duration", "-1"], out, err) == 2
    assert "--duration" in err.getvalue() and len(err.getvalue().strip().splitlines()) == 1


def test_cli_text_and_json(tmp_path):
    p = tmp_path / "ok.toml"
    p.write_text(SMALL)
    out = io.StringIO()
    assert main(["run", str(p), "--duration", "0.002"], out, io.StringIO()) == 0
    text = out.getvalue()
    assert "top -SHIPz" in text and "wait_total" in text and "samples]" in text
    out = io.StringIO()
    assert main(["run", str(p), "--duration", "0.002", "--json", "--seed", "3"], out, io.StringIO()) == 0
    assert '"seed": 3' in out.getvalue()


def test_lock_race_weight_must_be_positive_numbers_no_more_than_cpus():
    base = SMALL.replace("queues = 2", "queues = 2\nlock_race_weight = {}")
    for bad in ("[1, 0]", "[1, -2]", "[true]", "[]", "[" + ", ".join(["1"] * 9) + "]"):
        msg = _err(base.format(bad))
        assert "[hardware] lock_race_weight" in msg and "positive numbers" in msg
    assert scenario.parse(base.format("[1, 2.5]"), "ok.toml")["hardware"]["lock_race_weight"] == (1.0, 2.5)
