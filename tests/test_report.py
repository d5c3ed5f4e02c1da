"""tcpsim report: one self-contained HTML page, checked in headless Chromium where one is installed."""
import base64
import html
import importlib.util
import io
import re
from pathlib import Path

import pytest

from tcpsim.cli import main

from .conftest import SMALL

pytest.importorskip("matplotlib")
ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_report", ROOT / "scripts" / "check_report.py")
check_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_report)
NO_BROWSER = "no Chromium installed (apt-get install chromium, or set $CHROMIUM); scripts/check_report.py runs this check"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    s = d / "s.toml"
    s.write_text(SMALL)
    out = d / "report.html"
    stdout = io.StringIO()
    assert main(["report", str(s), "--duration", "0.003", "-o", str(out)], stdout, io.StringIO()) == 0
    assert stdout.getvalue().startswith(f"wrote {out} (")
    return out


def test_report_holds_the_views_and_needs_nothing_beside_it(page):
    from PIL import Image

    text = page.read_text()
    for view in ("$ top -SHIPz", "$ vmstat -i", "# sysctl debug.lock.prof.stats", "# pmcstat -c 0", "goodput",
                 "to rerun: tcpsim report"):
        assert view in text
    # nothing fetched from elsewhere: no links, scripts or remote images
    assert not re.search(r"<(link|script)\b|\bhref=|src=\"(?!data:)", text)
    sources = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)"', text)
    alts = [html.unescape(alt) for _, alt in sources]
    # CPU bars, lock waits, latency CDF, time series, one flame graph per interrupt CPU (SMALL has two queues),
    # each image described in words: what it draws and its numbers
    assert alts[0].startswith("CPU time per CPU as stacked bars: CPU 0 ") and all(f"CPU {c} " in alts[0] for c in range(8))
    assert "(ix0:que 0 intr " in alts[0] and "accept " in alts[0]
    assert alts[1].startswith("Lock sites by wait_total, most waiting first: ") and " µs" in alts[1]
    assert alts[2].startswith("Distribution of connection latency: p50 ")
    assert alts[3].startswith("Connections/s completed and offered, receive ring depths, accept queue and TIME-WAIT")
    assert alts[4:] == ["flame graph of CPU 0", "flame graph of CPU 1"]
    assert re.search(r"<footer>tcpsim \S+ \([0-9a-f.]+(-dirty)?\); scenario \S*s\.toml, sha256 [0-9a-f]{64}", text)
    for data, alt in sources:
        with Image.open(io.BytesIO(base64.b64decode(data))) as im:
            assert im.format == "PNG" and im.width > 100 and im.height > 100, alt


def test_report_refuses_an_output_in_a_missing_folder(tmp_path):
    s = tmp_path / "s.toml"
    s.write_text(SMALL)
    err = io.StringIO()
    assert main(["report", str(s), "-o", str(tmp_path / "no" / "r.html")], io.StringIO(), err) == 2
    assert err.getvalue().startswith("tcpsim: error: -o ") and err.getvalue().count("\n") == 1


@pytest.mark.skipif(check_report.browser() is None, reason=NO_BROWSER)
def test_report_renders_in_chromium_with_every_image_loaded(page, tmp_path):
    found = check_report.check(page, tmp_path / "shot.png")
    assert found["problems"] == []
    assert len(found["images"]) == 6 and all(w > 100 and h > 100 for _, w, h in found["images"])
    assert (tmp_path / "shot.png").stat().st_size > 10_000


@pytest.mark.skipif(check_report.browser() is None, reason=NO_BROWSER)
def test_the_check_notices_an_image_that_does_not_load(page, tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text(page.read_text().replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1))
    assert check_report.main([str(broken)]) == 1
