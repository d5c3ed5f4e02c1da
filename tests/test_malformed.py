"""A corpus of malformed scenario and variant files (tests/malformed/*.toml): each gives exit status 2 and one
line naming the key or patch, never a traceback. A file's first line is ``# expect: SUBSTRING`` (what its
error must contain); an optional ``# args: ...`` line gives command-line options to add."""
import io
import shlex
from pathlib import Path

import pytest

from tcpsim.cli import main

CORPUS = sorted((Path(__file__).parent / "malformed").glob("*.toml"))


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_malformed_file_is_one_line_and_status_2(path):
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# expect: "), "the first line says what the error must contain"
    expect = lines[0][len("# expect: "):]
    args = shlex.split(lines[1][len("# args: "):]) if lines[1].startswith("# args: ") else []
    out, err = io.StringIO(), io.StringIO()
    code = main(["run", str(path), *args], out, err)
    text = err.getvalue()
    assert code == 2 and "Traceback" not in text and out.getvalue() == ""
    assert len(text.strip().splitlines()) == 1, text
    assert expect in text, text
