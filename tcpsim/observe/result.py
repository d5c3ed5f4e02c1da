"""``Result``: what ``simulate`` returns — the plain result dict, plus a summary Jupyter shows as HTML.

A ``dict`` subclass, so every caller that indexes it, serialises it to JSON or pickles it to another process
keeps working; ``_repr_html_`` is only what a notebook displays when a cell ends with the result: the rate,
latency and drops, each CPU's user/system/interrupt/idle split as a bar, the lock sites with the most waiting
and the share of each profiled CPU's samples spent spinning.
"""
from __future__ import annotations

import html

from .top import CPU_SHARES

_TOP_LOCKS = 5


def _bar(cpu: dict) -> str:
    """A CPU's shares as one stacked bar of inline-styled spans (no script, no image: shows everywhere)."""
    spans = "".join(f'<span title="{name} {cpu[name]:.1f}%" style="display:inline-block;height:10px;'
                    f'width:{cpu[name] * 2:.1f}px;background:{color}"></span>' for name, color in CPU_SHARES)
    return f'<span style="display:inline-block;width:200px;white-space:nowrap">{spans}</span>'


class Result(dict):
    """The result of one run (every key of ``tcpsim run --json``), with an HTML summary for notebooks."""

    def _repr_html_(self) -> str:
        r, e, shares = self, html.escape, CPU_SHARES
        lat = r["latency_ms"]
        drops = ", ".join(f"{k} {v}" for k, v in r["drops"].items()) or "none"
        head = (f"<b>{e(r['scenario'])}</b> ({e(r['variant'])}, seed {r['seed']}, {r['duration_s']} s window): "
                f"<b>{r['goodput_cps']:,.0f} connections/s</b>, offered {r['offered_cps']:,.0f}/s; latency p50 "
                f"{lat['p50']} ms, p99 {lat['p99']} ms; drops: {e(drops)}")
        cpus = "".join(
            f"<tr><td>CPU {c['cpu']}</td><td>{_bar(c)}</td>"
            + "".join(f"<td>{c[name]:.1f}</td>" for name, _ in shares)
            + f"<td>{e(c['label'])}</td></tr>" for c in r["cpus"])
        legend = "".join(f'<th><span style="color:{color}">&#9632;</span> {name} %</th>' for name, color in shares)
        locks = "".join(f"<tr><td><code>{e(row['name'])}</code></td><td>{row['wait_total']:,}</td>"
                        f"<td>{row['count']:,}</td><td>{row['per_connection']}</td></tr>"
                        for row in r["lock_profile"][:_TOP_LOCKS])
        spins = "; ".join(f"CPU {p['cpu']}: " + ", ".join(f"{leaf} {100 * share:.0f}%"
                                                          for leaf, share in p["spin_share"].items() if share)
                          for p in r.get("profile", ()) if any(p["spin_share"].values()))
        return (f"<div><p>{head}</p>"
                f"<table><tr><th></th><th>busy</th>{legend}<th></th></tr>{cpus}</table>"
                f"<p>Lock sites with the most waiting (of {len(r['lock_profile'])}):</p>"
                f"<table><tr><th>site (lock)</th><th>wait_total µs</th><th>count</th><th>per connection</th></tr>"
                f"{locks}</table>"
                f"<p>Samples spinning in lock slow paths: {e(spins) or 'none'}</p></div>")
