"""The article's figures, every number the model can produce, and how a run is compared with them.

Figures from ``shared/reference/tcp-connection-rate-2014.md`` (Bentkofsky & Charbon, FreeBSD Journal 2014): the
``top -SHIPz`` CPU lines and thread lists of Figures 2 and 3, the ``pmcstat`` profile of Figure 4 and the
LOCK_PROFILING table of Figure 5. A CPU line is compared with the model's CPU line (every thread that ran on that
CPU counts, the queue task included), a thread with the model's thread. top's WCPU is a decayed average of recent
CPU use (ULE's %CPU over the last ~10 s); the model's is the thread's share of the measured window, which is what
that average approaches under steady load. Each row says whether it was a calibration input (the costs file was
fitted or set against it) or a prediction.
"""
from __future__ import annotations

from dataclasses import dataclass

from .observe.callgraph import caller_share, leaf_share
from .observe.results import threads_named

SHARES = ("user", "system", "interrupt", "idle")
# top -SHIPz CPU lines (user, system, interrupt, idle %), by CPU, and the threads listed (command prefix, WCPU %,
# the C column), as the figures print them.
FIG2_CPUS = {0: (0.0, 0.4, 96.1, 3.5), 4: (2.4, 20.0, 0.0, 77.6), 5: (11.8, 63.5, 0.0, 24.7)}
FIG2_THREADS = (("intr{irq263: ix0}", 75.78, 0), ("tcp_server{worker", 58.06, 5), ("tcp_server{accept", 20.26, 4))
FIG2_LOWEST_LISTED = 20.26  # no kernel{ix0 que} among the threads listed: its WCPU was below the lowest shown
FIG3_CPUS = {0: (0.0, 30.5, 64.5, 5.0), 1: (0.0, 29.9, 64.3, 5.7), 2: (0.0, 30.2, 66.1, 3.6), 3: (0.0, 30.2, 66.4, 3.4),
             4: (5.7, 84.4, 0.0, 9.9), 6: (8.3, 59.1, 0.0, 32.6), 7: (8.9, 58.3, 0.0, 32.8)}
FIG3_THREADS = (("tcp_server{accept", 70.26, 4), ("intr{irq263: ix0:que 0}", 65.87, 0),
                ("intr{irq264: ix0:que 1}", 66.46, 1), ("intr{irq265: ix0:que 2}", 66.26, 2),
                ("intr{irq266: ix0:que 3}", 66.16, 3), ("tcp_server{worker 0}", 60.50, 6),
                ("tcp_server{worker 1}", 65.38, 7))
FIG3_QUE_TASKS = (8.06, 8.06, 8.06, 7.96)  # kernel{ix0 que}, last on CPUs 1, 0, 3, 2
FIG4 = {"wlock": 64.82, "wlock_tcp_input": 99.01, "rlock": 2.48, "rlock_vlan_input": 26.34}
# Figure 5: (max, wait_max, total, wait_total, count, avg, wait_avg, cnt_hold, cnt_lock) per site, in µs.
FIG5_COLUMNS = ("max", "wait_max", "total", "wait_total", "count", "avg", "wait_avg", "cnt_hold", "cnt_lock")
FIG5 = {
    "tcp_input.c:1013 (rw:tcp)": (210, 660, 2889429, 7854725, 568650, 5, 13, 0, 562770),
    "tcp_input.c:778 (rw:tcp)": (79, 294, 3346826, 7309124, 642543, 5, 11, 0, 541026),
    "tcp_usrreq.c:635 (rw:tcp)": (9, 281, 109754, 4907003, 321270, 0, 15, 0, 284203),
    "tcp_usrreq.c:984 (rw:tcp)": (6, 204, 174398, 1484774, 321267, 0, 4, 0, 284754),
    "tcp_usrreq.c:728 (rw:tcp)": (17, 207, 1252721, 1195551, 321268, 3, 3, 0, 241000),
    "in_pcb.c:1802 (rw:tcpinp)": (210, 197, 3828100, 315757, 1606362, 2, 0, 0, 90016),
}
FIG5_SITES = tuple(FIG5)[:5]
# Figure 5 counts divided by the ~321,270 connections its accept/shutdown/close rows imply.
FIG5_PER_CONNECTION = {FIG5_SITES[0]: 1.77, FIG5_SITES[1]: 2.00, FIG5_SITES[2]: 1.0, FIG5_SITES[3]: 1.0,
                       FIG5_SITES[4]: 1.0, "in_pcb.c:1802 (rw:tcpinp)": 5.0}
IRQ_SITES, WORKER_SITES = FIG5_SITES[:2], FIG5_SITES[3:]
TX_MUTEX = "sleep mutex:ix0:tx"


@dataclass
class Row:
    key: str  # stable identifier for tests and JSON consumers
    figure: str
    what: str
    article: float | str
    model: float | str | None
    ok: bool | None
    role: str  # "calibration" | "prediction"
    tolerance: str
    ci95: float | None = None  # with several seeds: the half-width of the 95% interval of the mean
    per_seed: list | None = None  # with several seeds: the model's value at each
    closed: float | str | None = None  # the same figure from the scenario's closed loop (not judged)
    known_gap: str = ""  # out of tolerance for a known reason (reproduce.KNOWN_GAPS): the mechanism


def wait_per_acquisition(rows, sites) -> float:
    """wait_total / count summed over some lock-profile sites (rows as in results["lock_profile"])."""
    picked = [r for r in rows if r["name"] in sites]
    count = sum(r["count"] for r in picked)
    return sum(r["wait_total"] for r in picked) / count if count else 0.0


def _within(model, target, rel):
    return abs(model - target) <= rel * target


def _cpu_line(result, cpu) -> tuple:
    c = result["cpus"][cpu]
    return tuple(round(c[k], 1) for k in SHARES)


def _line(values) -> str:
    return "/".join(f"{v:.1f}" for v in values)


def evaluate(fig2: dict, fig2_run, fig3: dict, fig3_run, variants: dict | None = None) -> list[Row]:
    """The rows; ``fig2_run`` and ``fig3_run`` carry the model (``.m``) and pmcstat samples (``.samples``)."""
    rows = []

    def add(key, figure, what, article, model, ok, role, tolerance):
        rows.append(Row(key, figure, what, article, model, ok, role, tolerance))

    def cpu_lines(prefix, figure, result, lines, role):
        for cpu, article in lines.items():
            model = _cpu_line(result, cpu)
            add(f"{prefix}_cpu{cpu}", figure, f"CPU {cpu} line: user/system/interrupt/idle %", _line(article),
                _line(model), all(abs(m - a) <= 10 for m, a in zip(model, article)), role, "each ±10 pts")

    def thread_rows(prefix, figure, result, listed, role):
        for command, wcpu, cpu in listed:
            t = threads_named(result, command)[0]
            add(f"{prefix}_thread {command}", figure, f"{command} WCPU % (C)", f"{wcpu:.2f} ({cpu})",
                f"{t['wcpu']:.2f} ({t['cpu']})", abs(t["wcpu"] - wcpu) <= 10 and t["cpu"] == cpu, role,
                "±10 pts, same CPU")

    # --- Figure 2: one queue -----------------------------------------------------------------------------
    g2, g3 = fig2["goodput_cps"], fig3["goodput_cps"]
    add("fig2_goodput", "Fig. 2", "1 queue: connections/s", 56000, g2, _within(g2, 56000, 0.10), "calibration", "±10%")
    cpu_lines("fig2", "Fig. 2", fig2, FIG2_CPUS, "calibration")
    thread_rows("fig2", "Fig. 2", fig2, FIG2_THREADS, "prediction")
    que = max(t["wcpu"] for t in threads_named(fig2, "kernel{ix0 que"))
    add("fig2_que_task", "Fig. 2", "kernel{ix0 que} WCPU % (not listed: below the lowest shown)",
        f"< {FIG2_LOWEST_LISTED}", round(que, 2), que < FIG2_LOWEST_LISTED, "prediction", f"< {FIG2_LOWEST_LISTED}")

    # --- Figure 3: four queues (its CPU shares were inputs neither of the prior nor of the fit) --------------
    add("fig3_goodput", "Fig. 3", "4 queues: connections/s", 62000, g3, _within(g3, 62000, 0.10), "calibration", "±10%")
    cpu_lines("fig3", "Fig. 3", fig3, FIG3_CPUS, "prediction")
    thread_rows("fig3", "Fig. 3", fig3, FIG3_THREADS, "prediction")
    tasks = sorted(threads_named(fig3, "kernel{ix0 que"), key=lambda t: t["name"])
    shares = [round(t["wcpu"], 1) for t in tasks]
    add("fig3_que_tasks", "Fig. 3", "kernel{ix0 que} WCPU % (each of four)", "/".join(map(str, FIG3_QUE_TASKS)),
        "/".join(map(str, shares)), all(abs(s - a) <= 10 for s, a in zip(shares, FIG3_QUE_TASKS)), "prediction",
        "each ±10 pts")
    qcpus = set(fig3_run.m.hardware.queue_cpus)
    last = sorted(t["cpu"] for t in tasks)
    add("fig3_que_cpus", "Fig. 3", "CPUs the queue tasks ran on last (C)", "0 1 2 3", " ".join(map(str, last)),
        set(last) <= qcpus, "prediction", "the interrupt CPUs")

    # --- Figure 4: pmcstat on an interrupt CPU of the four-queue machine --------------------------------------
    samples = fig3_run.samples[min(qcpus)]

    def pct(x):
        return round(100 * x, 1)
    spin = pct(leaf_share(samples, "__rw_wlock_hard"))
    add("fig4_wlock_share", "Fig. 4", "__rw_wlock_hard % of interrupt CPU samples", FIG4["wlock"], spin,
        50 <= spin <= 80, "calibration", "50-80")
    under = pct(caller_share(samples, "__rw_wlock_hard", "tcp_input"))
    add("fig4_under_tcp_input", "Fig. 4", "... of which under tcp_input %", FIG4["wlock_tcp_input"], under,
        under >= 90, "prediction", ">= 90")
    rlock = pct(leaf_share(samples, "__rw_rlock"))
    add("fig4_rlock_share", "Fig. 4", "__rw_rlock % of interrupt CPU samples", FIG4["rlock"], rlock,
        0.5 * FIG4["rlock"] <= rlock <= 2 * FIG4["rlock"], "prediction", "x0.5-x2")
    vlan = pct(caller_share(samples, "__rw_rlock", "vlan_input"))
    add("fig4_rlock_vlan", "Fig. 4", "... of which under vlan_input %", FIG4["rlock_vlan_input"], vlan,
        abs(vlan - FIG4["rlock_vlan_input"]) <= 15, "prediction", "±15 pts")

    # --- Figure 5: LOCK_PROFILING of the four-queue machine, by wait_total ------------------------------------
    profile = fig3["lock_profile"]
    names = [r["name"] for r in profile]
    top5 = names[:5]
    placed = set(top5) == set(FIG5_SITES) and all(abs(names.index(s) - i) <= 1 for i, s in enumerate(FIG5_SITES))
    short = lambda site: site.split()[0].replace("tcp_input.c", "in").replace("tcp_usrreq.c", "usr")  # noqa: E731
    add("fig5_top5", "Fig. 5", "top five rw:tcp rows by wait_total", " ".join(map(short, FIG5_SITES)),
        " ".join(map(short, top5)), placed, "calibration", "order ±1 place")
    tx = [n for n in names[:6] if TX_MUTEX in n]
    add("fig5_no_tx_mutex", "Fig. 5", "TX mutex rows among the top six", "none", ", ".join(map(short, tx)) or "none",
        not tx, "prediction", "none")
    by_name = {r["name"]: r for r in profile}
    for site, article in FIG5.items():
        r = by_name.get(site)
        a = dict(zip(FIG5_COLUMNS, article))
        per = r["per_connection"] if r else 0.0
        add(f"fig5_per_connection {site}", "Fig. 5", f"{site} per connection", FIG5_PER_CONNECTION[site], per,
            _within(per, FIG5_PER_CONNECTION[site], 0.15), "prediction", "±15%")
        contested = round(100 * r["cnt_lock"] / r["count"], 1) if r and r["count"] else 0.0
        want = round(100 * a["cnt_lock"] / a["count"], 1)
        add(f"fig5_contested {site}", "Fig. 5", f"{site} cnt_lock / count %", want, contested,
            abs(contested - want) <= 15, "prediction", "±15 pts")
        for col in ("avg", "wait_avg", "max"):
            m = r[col] if r else 0
            ok = abs(m - a[col]) <= max(2, a[col]) if col != "max" else a[col] / 3 <= m <= 3 * a[col]
            add(f"fig5_{col} {site}", "Fig. 5", f"{site} {col} µs", a[col], m, ok, "prediction",
                "x1/3-x3" if col == "max" else "±max(2 µs, 100%)")
    # How the race for the released lock shared out the waiting: in the article the workers' writes waited a
    # third as long per acquisition as the interrupt threads'. A fair race (the model's) gives ~1.
    waits = {s: (FIG5[s][3], FIG5[s][4]) for s in FIG5_SITES}
    article = (sum(waits[s][0] for s in WORKER_SITES) / sum(waits[s][1] for s in WORKER_SITES)) / (
        sum(waits[s][0] for s in IRQ_SITES) / sum(waits[s][1] for s in IRQ_SITES))
    irq_wait = wait_per_acquisition(profile, IRQ_SITES)
    ratio = wait_per_acquisition(profile, WORKER_SITES) / irq_wait if irq_wait else 0.0
    add("fig5_wait_ratio", "Fig. 5", "rw:tcp wait per acquisition: workers' sites / tcp_input's", round(article, 2),
        round(ratio, 2), abs(ratio - article) <= 0.15, "prediction", "±0.15")

    # --- the text: bandwidth arithmetic and the variants -------------------------------------------------------
    for r, fig, run in ((fig2, "Fig. 2", fig2_run), (fig3, "Fig. 3", fig3_run)):
        payload = run.m.clients.response_bytes
        per_conn = r["link"]["out_mbps"] * 1e6 / 8 / r["goodput_cps"] if r["goodput_cps"] else 0.0
        add(f"egress_bytes {fig}", "text", f"{fig}: egress bytes per connection (368 + {payload} payload)",
            368 + payload, round(per_conn, 1), _within(per_conn, 368 + payload, 0.02), "prediction", "±2%")
    if variants:
        g69 = variants["accept_tw_4queues"]["goodput_cps"]
        add("text_69k", "text", "accept_nolock+tw_lock, 4 queues: connections/s", 69000, g69,
            _within(g69, 69000, 0.10), "prediction", "±10%")
        g120 = variants["rlock_4queues"]["goodput_cps"]
        add("text_120k", "text", "read-locked rw:tcp, 4 queues: connections/s", "> 120,000", g120, g120 > 120000,
            "prediction", "> 120,000")
    return rows
