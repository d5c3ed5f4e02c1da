"""Every notebook in notebooks/ runs top to bottom on a fresh kernel (nbclient), as a user would run it, and
shows the same kinds of output as the committed copy (a figure where the committed one has a figure)."""
from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")

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
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    # figures must render inline (a Figure returned by tcpsim.plots, drawn by the notebook's backend)
    assert _kinds(nb) == _kinds(committed)
    assert any("image/png" in kinds for kinds in _kinds(nb))
