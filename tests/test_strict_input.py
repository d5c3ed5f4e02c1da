"""Strict input (issue #11): the file is validated as written, then the command-line overrides as such;
errors name the file and line or the option, the key, the problem, what is allowed, and a near miss."""
import io
import signal

import pytest

from tcpsim import cli, scenario
from tcpsim.errors import TcpsimError
from tcpsim.execute import run_all

from .conftest import SMALL


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(argv, out, err)
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err.getvalue(), err.getvalue()
    return code, lines[0]


def _file(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_a_bad_value_in_the_file_is_refused_even_when_an_option_overrides_it(tmp_path):
    p = _file(tmp_path, SMALL.replace("duration_s = 0.005", "duration_s = -5"))
    code, line = _run(["run", p, "--duration", "0.002"])
    assert code == 2
    assert line.startswith(f"tcpsim: error: {p}:14: [run] duration_s: -5.0 is out of range; allowed: 1e-06 to 3600")


def test_errors_carry_the_toml_line_of_the_key_and_a_near_miss():
    text = SMALL.replace("queues = 2", "queues = 2\nqueus = 3")
    with pytest.raises(TcpsimError, match=r"^bad.toml:7: \[hardware\] queus: unknown key \(did you mean 'queues'\?\)"):
        scenario.parse(text, "bad.toml")
    with pytest.raises(TcpsimError, match=r"^bad.toml:15: \[clinets\]: unknown section \(did you mean 'clients'\?\)"):
        scenario.parse(SMALL + "[clinets]\nrate = 5\n", "bad.toml")
    with pytest.raises(TcpsimError, match=r"^bad.toml:4: \[scenario\] variant: unknown variant 'rlok' "
                                          r"\(did you mean 'rlock'\?\)"):
        scenario.parse(SMALL.replace('name = "small"', 'name = "small"\nvariant = "rlok"'), "bad.toml")
    with pytest.raises(TcpsimError, match=r"^bad.toml:3: not valid TOML"):
        scenario.parse(SMALL.replace('name = "small"', "name = small"), "bad.toml")
    # a required key that is missing points at its section's header
    with pytest.raises(TcpsimError, match=r"^bad.toml:7: \[app\] accept_cpu: missing"):
        scenario.parse(SMALL.replace("accept_cpu = 4\n", ""), "bad.toml")


def test_an_override_is_named_by_its_option_and_checked_on_its_own(tmp_path):
    p = _file(tmp_path, SMALL)
    code, line = _run(["run", p, "--variant", "rlok"])
    assert code == 2 and line.startswith("tcpsim: error: --variant: [scenario] variant: unknown variant 'rlok' "
                                         "(did you mean 'rlock'?)")
    code, line = _run(["sweep", p, "--set", "clients.rate=[-5]"])
    assert code == 2 and line.startswith("tcpsim: error: --set clients.rate=-5: [clients] rate: -5.0 is out of range")
    # a check across keys that only the override breaks names the file with the option
    code, line = _run(["sweep", p, "--set", "hardware.cpus=[2]"])
    assert code == 2 and f"{p}:9 with --set hardware.cpus=2: [app] worker_cpus: CPU 5 does not exist" in line


def test_usage_errors_have_one_prefix_and_zero_is_a_valid_warmup_everywhere(tmp_path):
    p = _file(tmp_path, SMALL.replace("warmup_s = 0.002", "warmup_s = 0.0"))
    code, line = _run(["run", p, "--warmup", "-1"])
    assert code == 2 and line == "tcpsim: error: argument --warmup: must be 0 to 3600, got -1"
    out = io.StringIO()
    assert cli.main(["run", p, "--warmup", "0", "--duration", "0.001", "--json"], out, io.StringIO()) == 0
    assert scenario.parse(SMALL.replace("warmup_s = 0.002", "warmup_s = 0.0"), "ok.toml")["run"]["warmup_s"] == 0.0


def test_witness_blames_the_variant_it_was_given():
    code, line = _run(["witness", "epoch+pcbgroup"])
    assert code == 2 and line.startswith("tcpsim: error: witness epoch+pcbgroup: variant 'pcbgroup' patch 3 (relock)")
    assert "toml" not in line


def test_a_patch_error_points_at_the_line_of_that_patch(tmp_path):
    text = SMALL + """
[variant]
name = "mine"
patches = [
  { op = "drop", site = "tcp_usrreq.c:984" },
  { op = "mode", site = "tcp_usrreq.c:728", mdoe = "R" },
]
"""
    p = _file(tmp_path, text)
    code, line = _run(["run", p])
    assert code == 2
    assert line.startswith(f"tcpsim: error: {p}:20: [variant] patches: variant 'mine' patch 2 (mode): missing mode")


def test_sensitivity_checks_the_plot_path_before_running(tmp_path, monkeypatch):
    import tcpsim.sensitivity

    monkeypatch.setattr(tcpsim.sensitivity, "sensitivity", lambda *a, **k: pytest.fail("ran before checking --plot"))
    p = _file(tmp_path, SMALL)
    code, line = _run(["sensitivity", p, "--plot", str(tmp_path / "nodir" / "t.png")])
    assert code == 2 and "--plot" in line and "does not exist" in line
    code, line = _run(["sensitivity", p, "--plot", str(tmp_path / "t.jpg")])
    assert code == 2 and "unknown image format '.jpg'" in line


def test_an_internal_error_is_one_line_status_1_and_where_to_report(tmp_path, monkeypatch):
    def broken(args, out, err):
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setitem(cli.COMMANDS, "run", broken)
    monkeypatch.delenv("TCPSIM_DEBUG", raising=False)
    code, line = _run(["run", "x.toml"])
    assert code == 1
    assert line.startswith("tcpsim: internal error: ZeroDivisionError: division by zero second line (tcpsim ")
    assert "report" in line and "TCPSIM_DEBUG=1" in line
    monkeypatch.setenv("TCPSIM_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli.main(["run", "x.toml"], io.StringIO(), io.StringIO())


def test_ctrl_c_is_one_line_and_status_130(monkeypatch):
    def interrupted(args, out, err):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "run", interrupted)
    assert _run(["run", "x.toml"]) == (130, "tcpsim: interrupted")


def _sigint_handler(_):
    return signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_parallel_workers_leave_ctrl_c_to_the_parent():
    assert [v for _, v in run_all(_sigint_handler, [1, 2], jobs=2)] == [True, True]
