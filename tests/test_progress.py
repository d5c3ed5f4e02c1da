"""Progress: a callback the library calls after each run; the command line draws it as a tqdm bar on a
terminal's stderr only, and not with --quiet."""
import io
import json

import pytest

from tcpsim.cli import main
from tcpsim.progress import Progress

from .conftest import SMALL, Terminal


def test_progress_remembers_the_last_call_without_drawing():
    p = Progress()
    p(0, 5)
    p(3, 5)
    assert (p.done, p.total) == (3, 5)
    p.close()


@pytest.mark.parametrize("err, quiet, drawn", [(Terminal(), False, True), (Terminal(), True, False),
                                               (io.StringIO(), False, False)])
def test_sweep_and_compare_draw_a_bar_only_on_a_terminal_and_not_quiet(tmp_path, err, quiet, drawn):
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    q = ["--quiet"] if quiet else []
    out = io.StringIO()
    assert main(["sweep", str(p), "--set", "clients.concurrency=[4, 8]", "--duration", "0.002", *q], out, err) == 0
    assert main(["compare", str(p), "--variants", "baseline", "--queues", "1,2,4", "--duration", "0.002", *q],
                out, err) == 0
    text = err.getvalue()
    assert ("2/2" in text and "3/3" in text and "run/s" in text) == drawn
    assert drawn or text == ""
    assert "Traceback" not in out.getvalue()


def test_run_check_draws_simulated_time(tmp_path):
    """run --check tests every invariant after every event (slow): its bar counts simulated µs; without
    --check, or off a terminal, nothing is drawn, and the numbers are the same."""
    p = tmp_path / "s.toml"
    p.write_text(SMALL)
    args = ["run", str(p), "--duration", "0.0005", "--warmup", "0.0005", "--json"]
    results = []
    cases = ((["--check"], Terminal(), True), (["--check"], io.StringIO(), False), ([], Terminal(), False))
    for extra, err, drawn in cases:
        out = io.StringIO()
        assert main([*args, *extra], out, err) == 0
        text = err.getvalue()
        assert ("1000/1000" in text and "µs/s" in text and "500/1000" in text) == drawn, text
        assert drawn or text == ""
        results.append(json.loads(out.getvalue())["goodput_cps"])
    assert len(set(results)) == 1


def test_run_model_reports_simulated_time():
    from tcpsim.simulate import run_model

    from .conftest import make_model

    calls = []
    run_model(make_model(run={"warmup_s": 0.0002, "duration_s": 0.0003}), progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (0, 500) and calls[-1] == (500, 500)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and len(calls) >= 5  # every 100 µs reached
