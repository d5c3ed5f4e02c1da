"""Turn a finished engine run into plain data (one dict, JSON-ready) and into the three text views.

Engines expose the same raw accounting (see ``SimpyEngine``): per-CPU and per-thread nanoseconds by category,
per-CPU sampled call stacks, the lock profile, connection counters and latencies. Everything here is
engine-independent arithmetic on those.
"""
from __future__ import annotations

from .. import __version__, kernels, witness
from ..revision import revision
from ..model.nic import interrupt_rate
from ..model.rwlock import SPIN_FUNCTION
from .callgraph import callgraph_tree, format_callgraph, leaf_share
from .lockprof import format_stats, per_connection
from .top import format_header, format_top
from .words import words

SPIN_LEAVES = tuple(dict.fromkeys(SPIN_FUNCTION.values()))  # FreeBSD's; a kernel's own: spin_leaves()


def spin_leaves(w: dict) -> tuple[str, ...]:
    """The functions a sample spinning on a lock lands in, in a kernel's words (observe/words.py)."""
    table = w.get("spin")
    if table is None:
        return SPIN_LEAVES
    return tuple(dict.fromkeys(f if isinstance(f, str) else f[-1] for f in table.values()))


PMC_EVENT = "unhalted-cycles"  # the event the engine samples (pmc_sample_cycles of them per sample)


def busy(result: dict, cpus) -> list[float]:
    """Busy percentage (everything but idle) of each of ``cpus`` in a collected result."""
    return [100.0 - result["cpus"][c]["idle"] for c in cpus]


def threads_named(result: dict, prefix: str) -> list[dict]:
    """The threads of a collected result whose top command starts with ``prefix`` (e.g. "tcp_server{worker")."""
    return [t for t in result["threads"] if t["command"].startswith(prefix)]


def short_name(command: str) -> str:
    """A thread's top command, short enough for a chart: 'intr{irq263: ix0:que 0}' -> 'ix0:que 0 intr',
    'kernel{ix0 que}' -> 'ix0 que task', 'tcp_server{worker 0}' -> 'worker 0'."""
    inner = command[command.find("{") + 1:].rstrip("}") if "{" in command else command
    if command.startswith("intr{"):
        return inner.split(": ", 1)[-1] + " intr"
    if command.startswith("kernel{"):
        return inner + " task"
    return inner


def threads_on(result: dict) -> dict[int, list[tuple[str, float]]]:
    """Per CPU, the threads that ran on it in the window with their share of it (%), busiest first: a bound
    thread on its CPU, a thread the scheduler placed (the 10.0 queue task) on each CPU it ran on."""
    on: dict[int, list[tuple[str, float]]] = {}
    for t in result["threads"]:
        ran = t.get("ran_on") or ({t["cpu"]: t["wcpu"]} if t["wcpu"] > 0 else {})
        for cpu, share in ran.items():  # JSON makes the CPU keys strings
            if share > 0:
                on.setdefault(int(cpu), []).append((short_name(t["command"]), share))
    return {cpu: sorted(names, key=lambda n: -n[1]) for cpu, names in on.items()}


def _pct(ns: int, window_ns: int) -> float:
    return round(100.0 * ns / window_ns, 2) if window_ns else 0.0


def _percentile(sorted_values, q):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(q / 100.0 * (len(sorted_values) - 1)))))
    return sorted_values[i]


def collect(engine) -> dict:
    m = engine.m
    window_ns = engine.w1 - engine.w0
    secs = window_ns / 1e9
    hw = m.hardware
    labels = {}
    for q, cpu in enumerate(hw.queue_cpus):
        labels.setdefault(cpu, []).append("irq core")
    if m.app.acceptors == "thread":
        labels.setdefault(m.app.accept_cpu, []).append("accept() thread")
    for cpu in m.app.worker_cpus:
        labels.setdefault(cpu, []).append("worker thread")
    cpus = []
    for i, t in enumerate(engine.cpu_time):
        busy = sum(t.values())
        cpus.append({
            "cpu": i, "user": _pct(t["user"], window_ns), "nice": 0.0, "system": _pct(t["system"], window_ns),
            "interrupt": _pct(t["interrupt"], window_ns), "idle": _pct(window_ns - busy, window_ns),
            # not a top column: the part of system + interrupt time spent spinning on a lock
            "spin": _pct(engine.cpu_spin[i], window_ns),
            "label": ", ".join(dict.fromkeys(labels.get(i, []))),
        })
    threads = []
    states = thread_states(engine)
    for th in engine.threads:
        busy = sum(th.busy.values())
        threads.append({
            "name": th.name, "command": th.command, "pid": th.pid, "pri": th.pri, "cpu": th.cpu,
            "state": states[th.name],
            "user": _pct(th.busy["user"], window_ns), "system": _pct(th.busy["system"], window_ns),
            "interrupt": _pct(th.busy["interrupt"], window_ns), "wcpu": _pct(busy, window_ns),
            "time_s": busy / 1e9,
        })
        if th.by_cpu is not None:  # a thread the scheduler places: where its time went
            threads[-1]["ran_on"] = {cpu: _pct(ns, window_ns) for cpu, ns in sorted(th.by_cpu.items())}
    completed = engine.window_completed
    rows = engine.lockprof.rows()
    per_conn = per_connection(rows, completed) if completed else {}
    for r in rows:
        r["per_connection"] = round(per_conn.get(r["name"], 0.0), 4)
    lat = engine.latencies  # ascending: an engine sorts them at the end of its run (no list of a million ints)
    profile = []
    leaves = spin_leaves(words(m.kernel_name))
    for i, samples in enumerate(engine.samples):
        total = sum(samples.values())
        if not total:
            continue
        profile.append({
            "cpu": i, "samples": total,
            "spin_share": {leaf: round(leaf_share(samples, leaf), 4) for leaf in leaves},
            "tree": callgraph_tree(samples, max_depth=4),
        })
    link_bps = hw.link_gbps * 1e9
    classes = {d.display: d.cls for d in m.locks.values()}
    return {
        "scenario": m.name,
        "scenario_path": m.source,  # as given: the file the run read (its text's sha256 below)
        "variant": m.variant,
        "kernel_name": m.kernel_name,  # the kernel package it ran (tcpsim/kernels/); "kernel": its counters
        "engine": engine.name,
        "version": __version__,
        "revision": revision(),  # the code that made the numbers (tcpsim/revision.py)
        "seed": m.run.seed,
        "scenario_sha256": m.scenario_sha256,
        "duration_s": m.run.duration_s,
        "warmup_s": m.run.warmup_s,
        "goodput_cps": round(completed / secs, 1),
        "offered_cps": round(engine.window_started / secs, 1),
        "drops": dict(sorted(engine.drops.items())),
        "retransmissions": dict(sorted(engine.retransmits.items())),
        "latency_ms": {
            "p50": _ms(_percentile(lat, 50)), "p90": _ms(_percentile(lat, 90)), "p99": _ms(_percentile(lat, 99)),
            "max": _ms(lat[-1] if lat else None), "mean": _ms(sum(lat) / len(lat) if lat else None),
            # the distribution at every percentile (0 = the fastest connection, 100 = the slowest): a CDF
            "cdf": [_ms(_percentile(lat, q)) for q in range(101)] if lat else [],
        },
        "connections": {
            "started": engine.started, "completed": engine.completed, "failed": engine.failed,
            "in_flight": engine.started - engine.completed - engine.failed,
            "completed_in_window": completed, "started_in_window": engine.window_started,
        },
        "segments_in": engine.segments_in,
        "segments_out": engine.segments_out,
        "kernel": dict(engine.kernel.counters),
        "link": {
            "in_mbps": round(engine.link_bytes["in"] * 8 / secs / 1e6, 2),
            "out_mbps": round(engine.link_bytes["out"] * 8 / secs / 1e6, 2),
            "out_utilisation": round(engine.link_bytes["out"] * 8 / secs / link_bps, 4),
        },
        "interrupts": _vectors(engine, secs),
        "series": series(engine.series),
        "witness": _witness(engine),
        "cpus": cpus,
        "threads": threads,
        "lock_profile": rows,
        # per lock class name: hand-offs to a waiter and the cache-line transfers they took (model/rwlock.py)
        "lock_traffic": {d: {"class": classes.get(d, "adaptive"), "handoffs": h, "line_transfers": n,
                             "per_handoff": round(n / h, 3)} for d, (h, n) in sorted(engine.lock_traffic.items())},
        # epoch locks: objects retired in the window, freed after their grace period
        "grace": {d: {"freed": f, "mean_ns": round(total / f) if f else None, "max_ns": mx, "most_unfreed": most}
                  for d, (f, total, mx, most) in sorted(engine.grace.items())},
        "profile": profile,
    }


# What an engine's time series samples, whole run ([run] series_ms): its raw ``series`` dict has these keys
SERIES = ("t_ns", "completed", "started", "drops", "rx_ring", "accept_queue", "timewait")


def series(raw: dict) -> dict:
    """The time series a run sampled ([run] series_ms), whole run including the warm-up: per sample its time,
    the completions, attempts and drops since the previous sample as rates, and the depths then: each receive
    ring, all accept queues, the TIME-WAIT list."""
    t = raw["t_ns"]
    out = {"t_ms": [x / 1e6 for x in t], "goodput_cps": [], "offered_cps": [], "drops_per_s": [],
           "rx_ring": raw["rx_ring"], "accept_queue": raw["accept_queue"], "timewait": raw["timewait"]}
    prev_t, prev = 0, {"completed": 0, "started": 0, "drops": 0}
    for i, now in enumerate(t):
        dt = (now - prev_t) / 1e9
        for key, name in (("completed", "goodput_cps"), ("started", "offered_cps"), ("drops", "drops_per_s")):
            out[name].append(round((raw[key][i] - prev[key]) / dt, 1))
            prev[key] = raw[key][i]
        prev_t = now
    return out


# What top's STATE column shows for a thread asleep waiting for work, by the model's thread kinds: interrupt
# threads WAIT for their interrupt, the accept thread sleeps in accept(), a kqueue worker in kevent ("kqread"),
# the driver's taskqueue thread on its queue ("-").
SLEEP_STATE = {"ithread": "WAIT", "callout": "WAIT", "taskqueue": "-", "acceptor": "accept", "worker": "kqread",
               "bench": "-"}


def thread_states(engine) -> dict[str, str]:
    """Each thread's top STATE at the end of the run, as top samples it at an instant: ``CPUn`` on a CPU
    (spinning included), ``RUN`` on a run queue, ``*name`` asleep on a lock's turnstile (``*tcp`` for rw:tcp),
    else its sleep state (SLEEP_STATE)."""
    locks = [*engine.global_locks.values(), *engine.group_locks.values(), *engine.listen_locks.values(),
             *engine.buckets]
    # a connection's lock, or a TIME-WAIT entry's: only those of the connection a thread is working on
    locks += [lock for th in engine.threads for lock in (getattr(th.conn, "inp_lock", None),
                                                         getattr(th.tw, "inp_lock", None)) if lock is not None]
    blocked = {w.thread.name: "*" + lock.display.split(":", 1)[-1] for lock in locks for w in lock.sleepers}
    queued = {entry[2].name for cpu in engine.cpus for entry in cpu.runq}
    return {th.name: f"CPU{th.cpu}" if th.running else blocked.get(th.name) or ("RUN" if th.name in queued else
            SLEEP_STATE.get(th.kind, "-")) for th in engine.threads}


def _vectors(engine, secs) -> list[dict]:
    """Per NIC queue, in the window: what ``vmstat -i`` counts for its vector, the interrupt rate its EITR
    allows now (``sysctl dev.ix.0.queueN.interrupt_rate``), receive task passes, frames cleaned by each context,
    deferred transmit starts (ixgbe_deferred_mq_start) and the deepest its transmit buf_ring got (whole run)."""
    out = []
    for qi, (th, q, counts) in enumerate(zip(engine.ithreads, engine.nic, engine.nic_counts)):
        # FreeBSD's "intr{irq263: ix0:que 0}" -> "irq263: ix0:que 0"; a name in another form (Linux's
        # "irq/64-eth0-TxRx-0") as it is
        name = th.command[len("intr{"):-1] if th.command.startswith("intr{") else th.command
        out.append({"queue": qi, "name": name, "total": counts["interrupts"],
                    "rate": round(counts["interrupts"] / secs), "interrupt_rate": interrupt_rate(q.eitr),
                    "task_passes": counts["task_passes"], "frames_interrupt": counts["rx_interrupt"],
                    "frames_task": counts["rx_task"], "tx_deferred": counts["tx_deferred"],
                    "buf_ring_max": q.buf_ring_max})
    return out


def format_vmstat_view(r: dict) -> str:
    lines = ["$ vmstat -i   (measured window; task passes, frames per context and deferred transmit starts from the "
             "driver's counters; buf_ring max over the run)",
             f"{'interrupt':<24}{'total':>12}{'rate':>10}{'EITR rate':>11}{'task passes':>13}"
             f"{'frames intr':>13}{'frames task':>13}{'tx deferred':>13}{'buf_ring max':>14}"]
    for v in r["interrupts"]:
        lines.append(f"{v['name']:<24}{v['total']:>12,}{v['rate']:>10,}{v['interrupt_rate']:>11,}"
                     f"{v['task_passes']:>13,}{v['frames_interrupt']:>13,}{v['frames_task']:>13,}"
                     f"{v['tx_deferred']:>13,}{v['buf_ring_max']:>14,}")
    return "\n".join(lines)


def _witness(engine) -> dict:
    edges = witness.dynamic_edges(engine.order_edges)
    return {"edges": witness.edges_as_data(edges),
            "reversals": [witness.edges_as_data({(e.first, e.second): e for e in c})
                          for c in witness.reversals(edges, kernels.of(engine.m).documented_order)]}


def _ms(ns):
    return None if ns is None else round(ns / 1e6, 4)


def latency_ms(v) -> str:
    """A latency in ms as every view shows it: to the µs, so that the text, the HTML and the plots agree digit for
    digit (the JSON keeps the number itself)."""
    return "-" if v is None else f"{v:.3f}"


def format_summary(r: dict) -> str:
    lat = r["latency_ms"]
    drops = ", ".join(f"{k} {v}" for k, v in r["drops"].items()) or "none"
    resent = ", ".join(f"{k} {v}" for k, v in r["retransmissions"].items()) or "none"
    kernel = r.get("kernel_name", kernels.DEFAULT_KERNEL)  # named when not the default (FreeBSD 10.0)
    kernel = f"  kernel {kernel}" if kernel != kernels.DEFAULT_KERNEL else ""
    return "\n".join([
        f"tcpsim {r['version']} ({r['revision']})  scenario {r['scenario']}{kernel}  variant {r['variant']}  "
        f"engine {r['engine']}  "
        f"seed {r['seed']}  window {r['duration_s']} s after {r['warmup_s']} s warm-up",
        f"goodput {r['goodput_cps']:,.0f} connections/s   offered {r['offered_cps']:,.0f}/s   "
        f"latency ms p50 {latency_ms(lat['p50'])} p90 {latency_ms(lat['p90'])} p99 {latency_ms(lat['p99'])}",
        f"drops: {drops}   client retransmissions: {resent}   link out {r['link']['out_mbps']} Mbit/s ({100 * r['link']['out_utilisation']:.1f}%)",
    ])


def format_top_view(r: dict) -> str:
    threads = [{
        "pid": t["pid"], "username": "root", "pri": t["pri"], "nice": "-", "size": "0K", "res": "0K",
        "state": t["state"], "cpu": t["cpu"], "time_s": t["time_s"], "wcpu": t["wcpu"], "command": t["command"],
    } for t in r["threads"] if t["wcpu"] > 0]
    # load average: the window's mean number of threads on a CPU (all three: the window is far shorter than a
    # minute; threads waiting on a run queue are not counted)
    load = sum(t["wcpu"] for t in r["threads"]) / 100
    header = format_header(max(t["pid"] for t in r["threads"]), load, r["warmup_s"] + r["duration_s"],
                           [t["state"] for t in r["threads"]])
    return "$ top -SHIPz\n" + header + format_top(r["cpus"], threads)


def format_lock_view(r: dict, limit: int | None = 12) -> str:
    """The lock profile's first ``limit`` rows by wait_total (None: all), saying how many were left out."""
    rows = r["lock_profile"]
    shown = rows if limit is None else rows[:limit]
    more = f"\n({len(rows) - len(shown)} more rows with less waiting: --lock-rows {len(rows)} shows all {len(rows)})" \
        if len(shown) < len(rows) else ""
    return "# sysctl debug.lock.prof.stats (sorted by wait_total)" + format_stats(shown) + more + _handoffs(r)


def _handoffs(r: dict) -> str:
    """Not a FreeBSD view: per lock, the releases that handed it to a waiting CPU and the cache-line transfers
    each took (model/rwlock.py's handoff_cost), and an epoch lock's grace periods."""
    secs = r["duration_s"]
    rows = sorted(r.get("lock_traffic", {}).items(), key=lambda kv: -kv[1]["handoffs"])
    out = ["\n", "# lock hand-offs to a waiting CPU (tcpsim's own view)",
           f"{'hand-offs/s':>12} {'lines/hand-off':>15}  {'class':<9} name"]
    out += [f"{t['handoffs'] / secs:>12,.0f} {t['per_handoff']:>15.2f}  {t['class']:<9} {d}" for d, t in rows]
    for d, g in sorted(r.get("grace", {}).items()):
        out.append(f"# epoch {d}: {g['freed'] / secs:,.0f} objects freed/s, {g['mean_ns'] / 1e6:.3f} ms after their "
                   f"retire on average (max {g['max_ns'] / 1e6:.3f} ms), at most {g['most_unfreed']:,} unfreed at once")
    return "\n".join(out) if rows or r.get("grace") else ""


def no_samples(cpus) -> str:
    """Why profiled CPUs have no call graph and no stacks."""
    one = len(cpus) == 1
    return (f"no samples of CPU{'' if one else 's'} {', '.join(map(str, cpus))}: {'it was' if one else 'they were'} "
            "idle in the measured window (pmcstat samples the cycles a CPU spends busy)")


def format_profile_view(engine, cpus) -> str:
    out = []
    for cpu in cpus:
        samples = engine.samples[cpu]
        out.append(f"# pmcstat -c {cpu} -S {PMC_EVENT} -O sample.pmc; pmcstat -R sample.pmc -G call.graph")
        if samples:
            # pmcstat heads the graph with the event's name; the CPU is added, as several graphs follow
            out.append(format_callgraph(samples, f"{PMC_EVENT} (CPU {cpu})", max_depth=4, threshold=1.0))
        else:  # said, not left out: an empty section would look like a missing option
            out.append(no_samples([cpu]))
    return "\n".join(out)
