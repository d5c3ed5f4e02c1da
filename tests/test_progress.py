"""Progress: a callback the library calls after each run; the command line draws it as a tqdm bar on a
terminal's stderr only, and not with --quiet."""
import io

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
