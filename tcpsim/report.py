"""``tcpsim report``: one run as one self-contained HTML file, for sending to someone or attaching to an issue.

The page holds the summary, the views in the run's kernel's words (FreeBSD's ``top -SHIPz``, ``vmstat -i``, the lock
profile, the ``pmcstat -G`` call graphs; Linux's ``mpstat -P ALL``, ``top -H``, ``/proc/lock_stat``, ``perf report
-g``: observe/views.py), the CPU and lock-wait plots of ``tcpsim.plots`` and a flame graph per profiled
CPU (``observe.flame``). Images are PNGs embedded as ``data:`` URIs and the style sheet is inline, so the file
needs nothing beside it and no network. ``scripts/check_report.py`` opens it in headless Chromium and checks
that every image decoded.
"""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from . import plots
from .observe.flame import flame_figure
from .observe.results import format_summary, latency_ms
from .observe.views import sections
from .observe.words import FREEBSD

DPI = 80  # small files; the pictures are read on a screen

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccc; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 12px; line-height: 1.3; }
img { max-width: 100%; display: block; margin: 0.5em 0; }
table.summary td { padding: 0.15em 1em 0.15em 0; } footer { color: #777; font-size: 0.85em; margin-top: 3em; }
"""



def shareable(path) -> str:
    """A scenario's path as a page that may be mailed shows it: relative to the tcpsim checkout
    (scenarios/paper/...) or to the current directory, else its name -- never an absolute local path."""
    p = Path(path).resolve()
    for base in (Path(__file__).resolve().parents[1], Path.cwd()):
        if p.is_relative_to(base):
            return str(p.relative_to(base))
    return p.name

def _png(fig) -> str:
    """A Figure as a data: URI (and the figure released)."""
    plt = plots.pyplot()
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=DPI)
    finally:
        plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _img(fig, alt: str) -> str:
    return f'<img src="{_png(fig)}" alt="{html.escape(alt)}">'


def alt_texts(r: dict) -> dict[str, str]:
    """What each chart of the page shows, in words, for a reader who cannot see it (the images' alt text)."""
    from .observe.results import threads_on

    on = threads_on(r)
    cpus = "; ".join(f"CPU {c['cpu']} {100 - c['idle']:.0f}% busy, {c['spin']:.0f}% spinning"
                     + (f" ({', '.join(f'{n} {s:.0f}%' for n, s in on[c['cpu']])})" if c["cpu"] in on else "")
                     for c in r["cpus"])
    locks = "; ".join(f"{row['name']} {row['wait_total']:,} µs" for row in r["lock_profile"][:3]) or "no waiting"
    lat = r["latency_ms"]
    s = r["series"]
    measured = [g for t, g in zip(s["t_ms"], s["goodput_cps"]) if t > r["warmup_s"] * 1e3]
    over_time = (f"Connections/s completed and offered, receive ring depths, accept queue and TIME-WAIT list over "
                 f"{s['t_ms'][-1]:,.0f} ms, sampled every {s['t_ms'][0]:g} ms; after the warm-up completed "
                 f"connections range {min(measured):,.0f} to {max(measured):,.0f}/s" if measured else "")
    return {"cpus": f"CPU time per CPU as stacked bars: {cpus}.",
            "locks": f"Lock sites by wait_total, most waiting first: {locks}.",
            "latency": f"Distribution of connection latency: p50 {lat['p50']} ms, p90 {lat['p90']} ms, p99 "
                       f"{lat['p99']} ms, max {lat['max']} ms.",
            "series": over_time + "."}


def _pre(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


def render(result: dict, engine, cpus, lock_rows: int = 12, command: str = "", words: dict = FREEBSD) -> str:
    """The HTML page of a finished run: ``result`` and ``engine`` as ``simulate.run_model`` returns them,
    ``cpus`` the CPUs whose call graph and flame graph to show, ``words`` its kernel's (observe/words.py)."""
    r = result
    lat = r["latency_ms"]
    facts = [("goodput", f"{r['goodput_cps']:,.0f} connections/s"), ("offered", f"{r['offered_cps']:,.0f}/s"),
             ("latency p50 / p90 / p99", " / ".join(latency_ms(lat[p]) for p in ("p50", "p90", "p99")) + " ms"),
             ("drops", ", ".join(f"{k} {v}" for k, v in r["drops"].items()) or "none"),
             ("window", f"{r['duration_s']} s after {r['warmup_s']} s of warm-up (simulated)"),
             ("variant / engine / seed", f"{r['variant']} / {r['engine']} / {r['seed']}")]
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td><b>{html.escape(v)}</b></td></tr>" for k, v in facts)
    alt = alt_texts(r)
    views = sections(r, engine, cpus, lock_rows, words)
    sampler = views["profile"][0]
    flames = [_img(flame_figure(engine.samples[c], f"CPU {c}: {sampler} samples as a flame graph", dpi=DPI),
                   f"flame graph of CPU {c}") for c in cpus if engine.samples[c]]
    interrupts = [f"<h2>{views['interrupts'][0]}</h2>", _pre(views["interrupts"][1])] if "interrupts" in views else []
    title = f"tcpsim: {r['scenario']} ({r['variant']})"
    parts = [
        f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<table class="summary">{rows}</table>',
        _pre(format_summary(r)),
        f"<h2>{views['cpus'][0]}</h2>", _img(plots.cpu_bars(r), alt["cpus"]), _pre(views["cpus"][1]),
        *interrupts,
        f"<h2>{views['locks'][0]}</h2>", _img(plots.lock_waits(r), alt["locks"]), _pre(views["locks"][1]),
        "<h2>Connections</h2>", _img(plots.latency_cdf(r), alt["latency"]) if lat["cdf"] else "",
        _img(plots.time_series(r), alt["series"]) if r["series"]["t_ms"] else "",
        f"<h2>Where the CPUs {', '.join(map(str, cpus))} spend their cycles ({sampler})</h2>",
        *(flames or ["<p>No samples on these CPUs in the window.</p>"]),
        _pre(views["profile"][1]),
        f"<footer>tcpsim {html.escape(r['version'])} ({html.escape(r['revision'])}); scenario "
        f"{html.escape(shareable(r['scenario_path']))}, sha256 {html.escape(r['scenario_sha256'])}"
        + (f"; {html.escape(command)}" if command else "") + "</footer>",
        "</body></html>\n",
    ]
    return "\n".join(parts)
