"""tcpsim's own modules import one another without a circle (issue 18, "the house").

A circle makes the import order matter (a late import inside a function was how one was hidden) and says that
two modules hold each other's meaning. The graph is read from the source with ``ast``: every ``import`` and
``from ... import``, at the top of a module or inside a function, between modules of the package.
"""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import tcpsim

ROOT = Path(tcpsim.__file__).parent


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    base = ROOT.parent / name.replace(".", "/")
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path, module: str):
    """The tcpsim modules ``path`` imports: ``from .x import y`` is y when y is a module, else x."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            subs = [f"{source}.{a.name}" for a in node.names if _is_module(f"{source}.{a.name}")]
            yield from subs if len(subs) == len(node.names) else [source, *subs]


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for path in sorted(ROOT.rglob("*.py")):
        module = _module(path)
        graph.add_node(module)
        for target in _imports(path, module):
            # a package's own __init__ runs before any of its modules anyway: not an edge that orders imports
            if target.startswith("tcpsim") and _is_module(target) and not module.startswith(target + "."):
                if target != module:
                    graph.add_edge(module, target)
    return graph


def test_the_graph_is_read():
    graph = import_graph()
    # edges known to exist, so that a reader that found nothing cannot pass
    assert graph.has_edge("tcpsim.simulate", "tcpsim.observe.result")
    assert graph.has_edge("tcpsim.plots", "tcpsim.sweep")
    assert graph.has_edge("tcpsim.cli", "tcpsim.cli.run")
    assert graph.has_edge("tcpsim.cli.run", "tcpsim.cli.options")
    assert len(graph) > 50


def test_no_import_circle():
    cycles = list(nx.simple_cycles(import_graph()))
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c + c[:1]) for c in cycles)


def test_a_circle_would_be_found(tmp_path, monkeypatch):
    """The check itself: two modules importing each other (one late, inside a function) are a circle."""
    pkg = tmp_path / "tcpsim"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import X\n")
    (pkg / "b.py").write_text("X = 1\ndef f():\n    from . import a\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", pkg)
    assert list(nx.simple_cycles(import_graph())) in ([["tcpsim.a", "tcpsim.b"]], [["tcpsim.b", "tcpsim.a"]])
