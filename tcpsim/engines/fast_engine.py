"""The fast engine: the model lowered to integer tables (``lowering.py``) and run by a C-level interpreter
(``cython_core/_fast.pyx``, the private extension ``tcpsim._fast``), event for event what the SimPy engine
does (``tests/test_differential.py`` holds them to the same probe trace).

After a run, the C counters become the attributes the reference engine exposes (``cpu_time``, ``threads``,
``lockprof``, ``samples``...), so ``observe``, ``invariants`` and ``deadlock`` read either engine alike.
"""
from __future__ import annotations

from array import array

from .. import _fast, deadlock, invariants
from ..model import clients
from ..model.kernel_state import COUNTERS
from ..model.programs import NIC_COUNTERS
from ..observe.lockprof import LockProfile
from ..observe.results import SERIES
from .lowering import CATEGORIES, KINDS, SCOPES, lower

__all__ = ["FastEngine"]


class View:
    """A thread, lock or queue of the fast engine's state, with the reference's attribute names (compared and
    hashed by identity, as the reference's objects are)."""

    def __init__(self, **attrs):
        self.__dict__.update(attrs)


class LockView(View):
    def free(self) -> bool:
        return self.owner is None and self.nreaders == 0 and not self.in_transit


class KernelView:
    """The kernel's lists as kernel_state.Kernel names them, read from the core when asked (a TIME-WAIT list
    can hold millions of entries: they are not copied unless someone looks)."""

    def __init__(self, core):
        self.core = core
        self.counters = dict(zip(COUNTERS, core.kernel_counters()))

    @property
    def timewait(self) -> list:
        return [View(tw_expire=t) for t in self.core.timewait_expiries()]

    @property
    def accept_queues(self) -> list:
        return [[None] * n for n in self.core.accept_queue_lengths()]


class FastEngine:
    name = "fast"

    def __init__(self, model, probes=None):
        self.m = model
        self.probes = probes if probes else None
        self.w0, self.w1 = model.run.window_ns()
        self.low = lower(model)
        self.decls = list(model.locks.values())
        self._idle = {}  # lock id -> the view of that named lock while it is idle
        self.core = _fast.Core(self.low, model, self, self.probes, deadlock.EVERY_NS)

    # --- run -------------------------------------------------------------------------------------------------
    def run(self, check_every_event: bool = False):
        m = self.m
        self.core.start(clients.closed_loop_starts(m.clients), int(bool(m.kernel.timewait_prefill)),
                        int(m.kernel.slowtimo_ms * 1e6))
        if check_every_event:
            while self.core.run(self.w1, 1):
                self._export()
                invariants.check(self)
        else:
            self.core.run(self.w1)
        self._export()
        invariants.check(self)
        return self

    # --- the deadlock watchdog (the core calls these) --------------------------------------------------------------
    def _counts(self):
        """The counters the watchdog compares between looks, as the reference names them."""
        for name in ("started", "completed", "failed", "window_started", "window_completed", "total_drops",
                     "segments_in", "segments_out", "bench_loops", "window_loops"):
            setattr(self, name, getattr(self.core, name))

    def watch_start(self):
        self._counts()
        self._watch = deadlock.Watch(self, prepare=self._export_state)

    def watch_look(self, now):
        self._counts()
        self._watch.look(self, now)

    # --- the reference engine's attributes ------------------------------------------------------------------------
    def _export(self):
        core, low = self.core, self.low
        acc = core.accounts()
        self._export_state()
        stacks = low["stacks"]
        self.cpu_time = [dict(zip(CATEGORIES, row)) for row in acc["cpu_time"]]
        self.cpu_spin = acc["cpu_spin"]
        self.samples = [{stacks[s]: n for s, n in d.items()} for d in acc["samples"]]
        self.lockprof = LockProfile()
        rows, sites, displays = low["rows"], low["sites"], low["displays"]
        for r, counters in acc["prof"].items():
            site, display = rows[r]
            self.lockprof._stats[(sites[site], displays[display])] = counters
        self.latencies = array("q")  # ascending, as collect() wants them
        self.latencies.frombytes(core.sorted_latencies())
        reasons, segments = low["reasons"], low["segments"]
        self.drops = {reasons[r]: n for r, n in acc["drops"].items()}
        self.retransmits = {segments[s]: n for s, n in acc["retransmits"].items()}
        self.frames = dict(zip(invariants.FRAMES, acc["frames"]))
        self.link_bytes = dict(zip(("in", "out"), acc["link_bytes"]))
        self.live_connections = acc["live_connections"]
        self._counts()
        self.kernel = KernelView(core)
        paths = low["paths"]
        self.lock_traffic = {displays[d]: v for d, v in acc["traffic"].items()}
        self.grace = {displays[d]: v for d, v in acc["grace"].items()}
        self.order_edges = {}
        for hd, d, hsite, site, path in core.order_edges:
            self.order_edges[(displays[hd], displays[d])] = (sites[hsite], sites[site], paths[path])
        self.series = core.series or {name: [] for name in SERIES}

    def _lock_view(self, decl_index, d, threads):
        """A lock as the reference's LockState shows it; ``d`` None: idle."""
        decl = self.decls[decl_index]
        if d is None:
            return LockView(display=decl.display, kind=decl.kind, nreaders=0, in_transit=False, owner=None,
                            readers={}, ep_readers={}, epoch=decl.cls == "epoch", spinners=[], sleepers=[])
        sites = self.low["sites"]

        def waiters(entries):
            return [View(thread=threads[w], mode="W" if m else "R", site=sites[s]) for w, m, s in entries]
        return LockView(display=decl.display, kind=decl.kind, nreaders=d["nreaders"], in_transit=d["in_transit"],
                        owner=threads[d["owner"]] if d["owner"] >= 0 else None, readers={}, ep_readers={},
                        epoch=decl.cls == "epoch", spinners=waiters(d["spinners"]), sleepers=waiters(d["sleepers"]))

    def _export_state(self):
        """Threads, CPUs, locks and NIC queues as objects shaped like the reference engine's."""
        low, st = self.low, self.core.state()
        threads = []
        for spec, s in zip(low["threads"], st["threads"]):
            spin = View(event=View(triggered=s["spin_triggered"])) if s["spin"] else None  # the waiter it spins as
            threads.append(View(name=spec["name"], command=spec["command"], pid=spec["pid"], pri=spec["pri"],
                                kind=KINDS[spec["kind"]], mode=CATEGORIES[spec["mode"]], cpu=s["cpu"],
                                running=s["running"], busy=dict(zip(CATEGORIES, s["busy"])), by_cpu=s["by_cpu"],
                                held=[], sites={}, conn=None, tw=None, path=low["paths"][s["path"]], spin=spin))
        locks = {}
        for lid, d in st["locks"].items():
            locks[lid] = self._lock_view(d["decl"], d, threads)
        for lid, decl in enumerate(low["slot_decl"]):  # the idle named locks, left out of the state (made once)
            if lid not in locks:
                if lid not in self._idle:
                    self._idle[lid] = self._lock_view(decl, None, threads)
                locks[lid] = self._idle[lid]
        for th, s in zip(threads, st["threads"]):
            for lid, mode, site in s["held"]:
                lock = locks[lid]
                th.held.append(lock)
                th.sites.setdefault(lock, low["sites"][site])
                if not mode:  # an epoch lock's read section is in no lock word: the reference's ep_readers
                    readers = lock.ep_readers if lock.epoch else lock.readers
                    readers[th] = readers.get(th, 0) + 1
            if s["pending_grant"] >= 0 and s["pending_grant"] in locks:  # granted at a hand-off, not yet resumed
                lock = locks[s["pending_grant"]]
                if lock.owner is not th:
                    lock.readers.setdefault(th, 1)
            for attr in ("conn", "tw"):
                if s[attr] >= 0:
                    setattr(th, attr, View(inp_lock=locks.get(st["nslots"] + s[attr])))
        self.threads = threads
        # the named lock tables of the reference (global by name, listen and group by (name, index), buckets)
        self.global_locks, self.listen_locks, self.group_locks, self.buckets = {}, {}, {}, []
        for i, scope in enumerate(low["decl_scope"]):
            name, base = self.decls[i].name, low["decl_slot"][i]
            if SCOPES[scope] == "global":
                self.global_locks[name] = locks[base]
            elif SCOPES[scope] in ("listen", "group", "timewait_group", "txring"):
                table = self.listen_locks if SCOPES[scope] == "listen" else self.group_locks
                for k in range(low["decl_nslots"][i]):
                    table[(name, k)] = locks[base + k]
        self.buckets = [locks[low["bucket_slot"] + k] for k in range(low["nbuckets"])] \
            if any(SCOPES[s] == "bucket" for s in low["decl_scope"]) else []
        self.cpus = [View(index=i, current=threads[c["current"]] if c["current"] >= 0 else None,
                          runq=[(threads[t].pri, 0, threads[t], None) for t in c["runq"]])  # (pri, seq, thread, event)
                     for i, c in enumerate(st["cpus"])]
        self.nic = [View(ring=[None] * q["ring"], tx_done=[None] * q["tx_done"], buf_ring=[None] * q["buf_ring"],
                         buf_ring_max=q["buf_max"], tasks=[None] * q["tasks"], eitr=q["eitr"])  # sizes only
                    for q in st["queues"]]
        self.nic_counts = [dict(zip(NIC_COUNTERS, q["counts"])) for q in st["queues"]]
        kinds = {"ithread": "ithreads", "taskqueue": "tasks", "worker": "workers"}
        for attr in kinds.values():
            setattr(self, attr, [])
        for th in threads:
            if th.kind in kinds:
                getattr(self, kinds[th.kind]).append(th)

