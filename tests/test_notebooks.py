"""Every notebook in notebooks/ runs top to bottom on a fresh kernel (nbclient), as a user would run it, and
shows the same kinds of output as the committed copy (a figure where the committed one has a figure)."""
import os
from pathlib import Path

import pytest

import tcpsim

try:  # part of tcpsim[test]: a missing one is an install to fix, not a test to skip
    import ipykernel  # noqa: F401  (the kernel the notebooks run on)
    import nbclient
    import nbformat
except ImportError as e:
    raise ImportError(f"the notebook tests need {e.name}: pip install -e '.[test]' (nbclient, nbformat, "
                      "ipykernel)") from None

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def _kinds(nb) -> list[set]:
    """Per code cell, the MIME types and stream names of its outputs."""
    return [{k for o in c.get("outputs", []) for k in (o.get("data") or {o.get("name", o.output_type): 0})}
            for c in nb.cells if c.cell_type == "code"]


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path):
    committed = nbformat.read(path, as_version=4)
    nb = nbformat.read(path, as_version=4)
    # the kernel imports the tcpsim under test (this checkout), not whichever one is installed
    here = str(Path(tcpsim.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)}
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute(env=env)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    # figures must render inline (a Figure returned by tcpsim.plots, drawn by the notebook's backend)
    assert _kinds(nb) == _kinds(committed)
    assert any("image/png" in kinds for kinds in _kinds(nb))
