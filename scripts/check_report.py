#!/usr/bin/env python3
"""Open a ``tcpsim report`` page in headless Chromium and check that it renders: every image decoded.

    python scripts/check_report.py report.html [--png screenshot.png]

A copy of the page gets a small script that, once the page has loaded, records each image's decoded size in
an attribute; Chromium's ``--dump-dom`` prints the DOM after the load event, and the check reads the sizes
back. It also takes a screenshot and checks that it is not blank. Exit status 0 when every image has a
natural width > 0 and the screenshot has content, 1 otherwise (with the failures on stderr), 2 when no
Chromium is installed (``apt-get install chromium`` on Debian; or name the binary in $CHROMIUM).
``tests/test_report.py`` runs the same check, and skips where no browser is installed.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_PROBE = ("<script>window.addEventListener('load', () => document.body.setAttribute('data-images', "
          "JSON.stringify(Array.from(document.images, i => [i.alt, i.naturalWidth, i.naturalHeight]))));</script>")


def browser() -> str | None:
    """The Chromium binary to use: $CHROMIUM, else the first of BROWSERS on PATH."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def _run(binary: str, *args: str) -> str:
    # --no-sandbox: the check often runs as root in a container, where Chromium's sandbox cannot start
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return done.stdout


def check(page: Path, png: Path | None = None, binary: str | None = None) -> dict:
    """Render ``page``; return {"images": [[alt, width, height], ...], "problems": [...], "png": path}."""
    binary = binary or browser()
    if binary is None:
        raise FileNotFoundError(f"no Chromium found (tried $CHROMIUM and {', '.join(BROWSERS)})")
    text = Path(page).read_text()
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        probed = Path(tmp) / "page.html"
        probed.write_text(text.replace("</body>", _PROBE + "</body>", 1))
        dom = _run(binary, "--virtual-time-budget=10000", "--dump-dom", probed.as_uri())
        m = re.search(r'data-images="([^"]*)"', dom)
        if not m:
            problems.append("the page's load event never came (no data-images attribute in the DOM)")
            images = []
        else:
            images = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
        for alt, width, height in images:
            if not width or not height:
                problems.append(f"image {alt!r} did not load ({width}x{height})")
        expected = len(re.findall(r"<img\b", text))
        if len(images) != expected:
            problems.append(f"{len(images)} images in the rendered page, {expected} in the HTML")
        png = Path(png) if png else Path(tmp) / "shot.png"
        _run(binary, "--window-size=1200,2400", f"--screenshot={png}", Path(page).resolve().as_uri())
        problems += _blank(png)
        if png.parent == Path(tmp):
            png = None
    return {"images": images, "problems": problems, "png": str(png) if png else None}


def _blank(png: Path) -> list[str]:
    """A screenshot of a page that rendered has many colours; a blank or failed one has one or two."""
    from PIL import Image  # pillow comes with matplotlib, which tcpsim report needs anyway

    if not png.exists():
        return [f"no screenshot was written to {png}"]
    with Image.open(png) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 16)
    n = len(colours) if colours is not None else 1 << 16
    return [] if n > 16 else [f"the screenshot {png} is blank ({n} colours)"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("page", help="HTML file written by tcpsim report")
    p.add_argument("--png", help="keep the screenshot in this file")
    args = p.parse_args(argv)
    if not Path(args.page).is_file():
        print(f"check_report: {args.page}: no such file", file=sys.stderr)
        return 2
    try:
        found = check(Path(args.page), Path(args.png) if args.png else None)
    except FileNotFoundError as e:
        print(f"check_report: {e}", file=sys.stderr)
        return 2
    for problem in found["problems"]:
        print(f"check_report: {problem}", file=sys.stderr)
    sizes = ", ".join(f"{w}x{h}" for _, w, h in found["images"])
    print(f"{args.page}: {len(found['images'])} images decoded ({sizes})"
          + (f"; screenshot {found['png']}" if found["png"] else ""))
    return 1 if found["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
