"""The reference engine: the model's thread programs and kernel paths interpreted step by step on SimPy.

Time is integer nanoseconds. Every thread is a SimPy process running its program (``model/programs.py``); it
holds a CPU while running or spinning and leaves it to sleep or when preempted (``simpy_sched.py``); lock
waits are ``simpy_locks.py``, the link and the NIC ``simpy_nic.py``, the clients ``simpy_clients.py``. This
module runs programs and paths and accounts every nanosecond of every CPU; everything FreeBSD-specific comes
from ``model`` (paths, programs, locks, kernel actions, driver, scheduler and rwlock rules, clients, costs).
"""
from __future__ import annotations

from array import array
from collections import defaultdict

import simpy

from .. import deadlock, invariants, kernels
from ..errors import TcpsimError
from ..model import clients, nic, programs as op
from ..model.kernel_state import Connection, Kernel
from ..model.nic import QueueState
from ..model.rwlock import LockState, runlock_function
from ..model.steps import Acquire, Act, Release, Retire, Stop, TryAcquire, When, Work, draw_ns
from ..model.threads import listen_sockets
from ..model.topology import siblings, smt_extra, smt_permille, transfer_table
from ..observe.lockprof import LockProfile
from ..observe.results import SERIES
from ..rng import Stream
from ..rss import RSS_QUEUES, RedirectionTable
from .simpy_clients import ClientMixin
from .simpy_locks import LockMixin
from .simpy_nic import NicMixin
from .simpy_sched import CATEGORIES, Cpu, SchedulerMixin, Thread

__all__ = ["SimpyEngine", "Thread"]
DONE, ABORT, STOP = "done", "abort", "stop"  # how a block of steps ended


class SimpyEngine(SchedulerMixin, LockMixin, NicMixin, ClientMixin):
    name = "simpy"

    def __init__(self, model, probes=None):
        self.m = model
        self.kernel_package = kernels.of(model)  # its thread programs and TCP dispatch
        self.env = simpy.Environment()
        self.probes = probes if probes else None  # one test per probe point when nothing is attached
        hw, k, run = model.hardware, model.kernel, model.run
        self.w0, self.w1 = run.window_ns()
        self.cost = {key: int(v) for key, v in model.costs.items() if isinstance(v, (int, float))}
        self.line_ns = transfer_table(hw, model.costs)  # [from cpu][to cpu]: a lock word's line moving
        self.smt_sibs = siblings(hw)  # [cpu] -> its core's other hardware threads; None without SMT
        if self.smt_sibs is not None:
            self.smt_busy, self.smt_spin = smt_extra(model.costs)
        # one listen socket, or one per worker with reuseport; a connection goes to one by its flow hash
        self.nlisten = listen_sockets(model.app)
        self.nic = [QueueState(hw.max_interrupt_rate, hw.enable_aim) for _ in range(hw.queues)]
        self.kernel = Kernel(k.backlog, k.maxtcptw, int(k.msl_s * 1e9), self.nlisten, self.nic, hw.tx_ring_descriptors,
                             k.socket_backlog)
        self.tx_process_limit = hw.tx_process_limit  # ixgbe_txeof's budget (kernel_state's tx_pass_begin reads it)
        self.rng_arrival = Stream(run.seed, "arrivals")
        self.rng_race = Stream(run.seed, "lock-race")
        self.rng_sched = Stream(run.seed, "sched")  # ULE's random tie-break between equally loaded CPUs
        self.rng_think = Stream(run.seed, "think")  # work of a random length (steps.DISTRIBUTIONS): the lock bench
        self.cpus = [Cpu(i) for i in range(hw.cpus)]
        self.runq_seq = 0  # FIFO order among threads of equal priority on a run queue
        self.cpu_time = [dict.fromkeys(CATEGORIES, 0) for _ in range(hw.cpus)]
        self.cpu_cycles = [0] * hw.cpus
        self.cpu_spin = [0] * hw.cpus
        self.samples = [defaultdict(int) for _ in range(hw.cpus)]
        self.sample_ns = max(1, int(model.costs["pmc_sample_cycles"] / model.costs["cpu_ghz"]))
        self.lockprof = LockProfile()
        self.order_edges = {}  # (held class, acquired class) -> (held site, acquired site, path)
        self.lock_traffic = {}  # lock display -> [hand-offs, line transfers they took], in the window
        self.grace = {}  # epoch lock display -> [objects freed, total ns, max ns, most unfreed at once], retired in the window
        self.global_locks = {n: LockState(d) for n, d in model.locks.items() if d.scope == "global"}
        self.group_locks = {}  # (lock name, RSS group or transmit ring) -> LockState
        self.listen_locks = {}  # (lock name, listen socket) -> LockState
        self.inp_decl = next(d for d in model.locks.values() if d.scope == "connection")
        bucket_decl = next((d for d in model.locks.values() if d.scope == "bucket"), None)
        self.nbuckets = int(model.costs["syncache_buckets"])
        self.buckets = [LockState(bucket_decl) for _ in range(self.nbuckets)] if bucket_decl else []
        self.rss = RedirectionTable(hw.queues, max_queues=RSS_QUEUES)
        self.nic_counts = [dict.fromkeys(op.NIC_COUNTERS, 0) for _ in range(hw.queues)]  # in the window
        self.ring_size = hw.rx_ring_descriptors
        self.link_ns_per_byte = 8.0 / hw.link_gbps  # ns per byte
        self.link_free = {"in": 0, "out": 0}
        self.link_bytes = {"in": 0, "out": 0}
        c = model.clients
        self.one_way = c.one_way_ns()
        # counters
        self.next_cid = 0
        self.started = self.completed = self.failed = 0
        self.window_started = self.window_completed = 0
        self.latencies = array("q")  # ns per completed connection: 8 bytes each, not a Python int each
        self.drops = defaultdict(int)
        self.total_drops = 0  # whole run, for the time series
        self.acts = 0  # actions run: a repeated block that runs none and takes no time would never end
        self.bench_loops = 0  # Think operations begun: the lock microbenchmark's progress (deadlock.Watch)
        self.window_loops = 0  # the same, in the window: one per acquisition, what lockbench counts
        self.retransmits = defaultdict(int)  # client segments resent after a loss, by segment, in the window
        self.segments_in = 0
        self.segments_out = 0
        # whole-run tallies of every frame's journey, for the segment invariant (invariants.segments)
        self.frames = dict.fromkeys(invariants.FRAMES, 0)
        self.threads = []
        self.series = {name: [] for name in SERIES}
        self._build_threads()

    # --- threads ---------------------------------------------------------------------------------------------
    def _build_threads(self):
        self.ithreads, self.tasks, self.workers, self.acceptors = [], [], [], []  # acceptors: one per listen socket
        for spec in self.kernel_package.thread_specs(self.m):
            th = Thread(spec.name, spec.command, spec.pid, spec.pri, spec.cpu, spec.mode, spec.kind, spec.bound)
            th.base = spec.base
            th.queue = spec.index  # an interrupt thread's or a task's NIC queue
            self.threads.append(th)
            if spec.kind == "ithread":
                self.ithreads.append(th)
            elif spec.kind == "taskqueue":
                self.tasks.append(th)
            elif spec.kind == "worker":
                self.workers.append(th)
            if spec.listen >= 0:
                th.listen = spec.listen
                self.acceptors.append(th)
            self.env.process(self._program(th, spec.program))
        self.rr = 0

    # --- thread programs (model/programs.py) ------------------------------------------------------------------
    def _program(self, th, ops):
        for o in ops:
            cls = o.__class__
            if cls is op.Run:
                yield from self._run(th, o.path)
            elif cls is op.Loop:
                while True:
                    yield from self._program(th, o.body)
            elif cls is op.If:
                yield from self._program(th, o.then if self._holds(th, o.cond) else o.else_)
            elif cls is op.Sleep:
                yield from self._sleep_for_work(th)
            elif cls is op.RxPass:
                th.budget_used = yield from self._rx_pass(th, th.queue, o)
            elif cls is op.Moderate:
                self.nic[th.queue].moderate()
            elif cls is op.Unmask:
                if self.probes:
                    self.probes.fire(o.probe, self.env.now, queue=th.queue, thread=th.name, cpu=th.cpu)
                self._enable_vector(th.queue)
            elif cls is op.WakeTask:
                self._enqueue_task(th.queue, nic.RX_TASK, th)  # the vector stays masked
            elif cls is op.TakeTask:
                th.task = self.nic[th.queue].tasks.popleft()
            elif cls is op.Count:
                self._count_nic(th.queue, o.counter, 1)
                if o.probe and self.probes:
                    self.probes.fire(o.probe, self.env.now, queue=th.queue, thread=th.name, cpu=th.cpu)
            elif cls is op.TakeReady:
                th.conn = th.ready.popleft()
            elif cls is op.HandOff:
                self._hand_off(th, o.to)
            elif cls is op.DrainBacklog:
                yield from self._drain_backlog(th, th.listen if o.socket == "listen" else th.conn)
            elif cls is op.Think:
                if not th.running:  # a bench thread's first think: it gets its CPU first
                    yield from self._on_cpu(th)
                self.bench_loops += 1
                if self.w0 <= self.env.now < self.w1:
                    self.window_loops += 1
                d = self._stretched(th, draw_ns(self.cost[o.cost], o.dist, self.rng_think), 0)  # its own advance
                if d:
                    self._charge(th, self.env.now, d, o.frames, True)
                    yield self.env.timeout(d)
            elif cls is op.Tick:
                if th.running:
                    self._off_cpu(th)
                yield self.env.timeout(int(getattr(self.m.kernel, o.period) * 1e6))
                yield from self._on_cpu(th)
            else:
                raise TypeError(f"unknown program operation {o!r}")

    def _holds(self, th, cond):
        if cond == "rx_budget_used":
            return th.budget_used
        if cond == "ready":
            return bool(th.ready)
        if cond == "accept_queue":
            return th.listen is not None and bool(self.kernel.accept_queues[th.listen])
        if cond == "task_pending":
            return bool(self.nic[th.queue].tasks)
        if cond == "task_is_rx":
            return th.task == nic.RX_TASK
        raise KeyError(f"unknown program condition {cond!r}")

    def _hand_off(self, th, to):
        """Register the connection just accepted in a worker's kqueue (round robin, or the accepting worker's)."""
        if to == "self":
            worker = th
        else:
            worker = self.workers[self.rr % len(self.workers)]
            self.rr += 1
        conn = th.conn
        conn.worker = worker
        if conn.data_ready:  # the knote fires at registration when data is already queued
            self.data_ready(conn)

    # --- accounting ------------------------------------------------------------------------------------------
    def _charge(self, th, start, dur, frames, user, base=(), spin=False):
        a = start if start > self.w0 else self.w0
        b = start + dur
        if b > self.w1:
            b = self.w1
        if b <= a:
            return
        d = b - a
        cat = "user" if user else th.mode
        th.busy[cat] += d
        cpu = th.cpu
        if th.by_cpu is not None:
            th.by_cpu[cpu] = th.by_cpu.get(cpu, 0) + d
        self.cpu_time[cpu][cat] += d
        if spin:  # inside system or interrupt time: the part spent spinning on a lock
            self.cpu_spin[cpu] += d
        c = self.cpu_cycles[cpu]
        n = (c + d) // self.sample_ns - c // self.sample_ns
        self.cpu_cycles[cpu] = c + d
        if n:
            stack = frames if user else base + frames
            self.samples[cpu][stack] += n

    # --- paths -----------------------------------------------------------------------------------------------
    def _run(self, th, name):
        """Run one declared path; return False if an action aborted it (held locks are then released)."""
        path = self.m.paths[name]
        th.path = name
        base = path.base if th.base is None else th.base(path.base)
        if self._preemptible(th):
            yield from self._yield_cpu(th)
        outcome = yield from self._steps(th, path.steps, base)
        if outcome is STOP:  # steps.Stop: the path ends releasing what it holds (model/checks.py relies on it)
            for lock in reversed(list(th.held)):
                self._release(th, lock)
        return outcome is not ABORT

    def _steps(self, th, steps, base):
        """Interpret a block of steps; return DONE, ABORT (an action refused) or STOP (a Stop step ran)."""
        env = self.env
        pend = 0
        for step in steps:
            cls = step.__class__
            if cls is Work:
                d = self.cost[step.cost]
                if d:
                    if step.dist != "constant":
                        d = draw_ns(d, step.dist, self.rng_think)
                    d = self._stretched(th, d, pend)
                    self._charge(th, env.now + pend, d, step.frames, step.user, base)
                    pend += d
                continue
            if pend:
                yield env.timeout(pend)
                pend = 0
            if self._preemptible(th):  # preemption takes effect between steps (the unit of uninterrupted work)
                yield from self._yield_cpu(th)
            if cls is Acquire:
                lock = self._resolve(th, step.lock, True)
                yield from self._acquire(th, lock, step.mode, step.site, base + step.frames)
            elif cls is Release:
                lock = self._resolve(th, step.lock, False)
                wait = self._release(th, lock)
                if wait:  # a read release waited for the lock word's line (rwlock.py)
                    yield from self._wait_line(th, base + step.frames + (runlock_function(lock.cls),), wait)
            elif cls is Act:
                self.acts += 1
                if not self.kernel.act(step.name, step.arg, th, env.now, self):
                    self._abort(th, step.abort_reason or step.name)
                    return ABORT
            elif cls is TryAcquire:
                lock = self._resolve(th, step.lock, True)
                if lock.is_recursion(th, step.mode) or lock.can_grant(th, step.mode):
                    yield from self._acquire(th, lock, step.mode, step.site, base + step.frames, ordered=False)
                    if step.locked is not None:
                        outcome = yield from self._steps(th, step.locked, base)
                        if outcome is not DONE:
                            return outcome
                else:
                    outcome = yield from self._steps(th, step.on_fail, base)
                    if outcome is not DONE:
                        return outcome
            elif cls is When:
                while self.kernel.holds(step.condition, th, env.now):
                    before = env.now, self.acts
                    outcome = yield from self._steps(th, step.steps, base)
                    if outcome is not DONE:
                        return outcome
                    if not step.repeat:
                        break
                    if (env.now, self.acts) == before:
                        # Conditions read kernel state and the clock; a round that moved neither cannot end
                        raise TcpsimError(f"variant {self.m.variant!r}: path {th.path!r}: the block repeated while "
                                          f"{step.condition!r} holds changed nothing (no action, no time), so it "
                                          "would repeat forever; allowed: a repeated block that acts or takes time")
            elif cls is Retire:
                self._retire(self._resolve(th, step.lock, False))
            elif cls is Stop:
                return STOP
        if pend:
            yield env.timeout(pend)
        return DONE

    def _stretched(self, th, d, pend):
        """SMT: ``d`` ns of work at the speed the core's other hardware threads allow, decided when the advance it
        belongs to starts (``pend``, the work it accumulated so far, is 0) and kept for the rest of that advance."""
        if self.smt_sibs is None:
            return d
        if not pend:
            th.smt = self._smt_permille(th)
        return d * th.smt // 1000

    def _smt_permille(self, th):
        """model/topology.py's rule, from what the other hardware threads of ``th``'s core are doing now."""
        states = []
        for c in self.smt_sibs[th.cpu]:
            other = self.cpus[c].current
            states.append(None if other is None or not other.running else "spin" if other.spin is not None else "run")
        return smt_permille(states, self.smt_busy, self.smt_spin)

    def _abort(self, th, reason):
        for lock in reversed(list(th.held)):
            self._release(th, lock)
        if th.deferred:  # the frame went to a socket's backlog: its owner runs it (no drop)
            return
        self._count_drop(reason)
        th.abort_reason = reason  # the caller reports the dropped segment with it

    def _resolve(self, th, name, acquiring):
        """The lock object a path's lock name means for this thread now."""
        decl = self.m.locks[name]
        scope = decl.scope
        if scope == "global":
            return self.global_locks[name]
        if scope == "connection":
            return self._inp_lock(th.conn)
        if scope == "listen":  # the accepting thread's own socket, else the connection's
            return self._keyed(self.listen_locks, decl, th.listen if th.listen is not None else th.conn.listen)
        if scope == "bucket":
            return self.buckets[th.conn.bucket]
        if scope == "timewait":
            # the TIME-WAIT entry being closed: fixed when its lock is taken, so that its release (and the
            # action that unlinks it) name the same entry even if the list head moves meanwhile
            if acquiring:
                th.tw = self.kernel.timewait_head()
            return self._inp_lock(th.tw)
        if scope == "txring":  # one per transmit ring
            return self._keyed(self.group_locks, decl, th.txring)
        if scope in ("group", "timewait_group"):
            conn = th.conn if scope == "group" else th.tw
            return self._keyed(self.group_locks, decl, conn.queue)
        raise KeyError(f"lock {name!r}: unknown scope {scope!r}")

    @staticmethod
    def _keyed(table, decl, index):
        """The lock of one listen socket / RSS group, made on first use."""
        lock = table.get((decl.name, index))
        if lock is None:
            lock = table[(decl.name, index)] = LockState(decl)
        return lock

    def _inp_lock(self, conn):
        if conn.inp_lock is None:
            conn.inp_lock = LockState(self.inp_decl)
        return conn.inp_lock

    # --- an event at a time ---------------------------------------------------------------------------------
    def _at(self, t, fn, *args):
        self.env.timeout(t - self.env.now).callbacks.append(lambda _ev: fn(*args))

    # --- what kernel actions do to the engine (model/kernel_state.py's io) --------------------------------------
    def state_change(self, conn, new):
        if self.probes:
            self.probes.fire("tcp:::state-change", self.env.now, conn=conn.cid, old=conn.state, new=new)

    def wake_acceptor(self, listen):
        self._wake(self.acceptors[listen])

    def data_ready(self, conn):
        w = conn.worker
        if w is not None:
            w.ready.append(conn)
            self._wake(w)

    def _sampler(self, interval):
        """Record the run's state every ``interval`` ns; it only reads, so the run is the same without it."""
        series = self.series
        while True:
            yield self.env.timeout(interval)
            for name, value in (("t_ns", self.env.now), ("completed", self.completed), ("started", self.started),
                                ("drops", self.total_drops), ("rx_ring", [len(q.ring) for q in self.nic]),
                                ("accept_queue", sum(map(len, self.kernel.accept_queues))),
                                ("timewait", len(self.kernel.timewait))):
                series[name].append(value)

    def _count_drop(self, reason):
        self.total_drops += 1
        if self.w0 <= self.env.now < self.w1:
            self.drops[reason] += 1

    # --- run -------------------------------------------------------------------------------------------------
    def run(self, check_every_event: bool = False):
        m = self.m
        if m.kernel.timewait_prefill:
            queues = m.hardware.queues
            self.kernel.prefill_timewait(0, int(m.kernel.slowtimo_ms * 1e6),
                                         lambda cid: Connection(cid, -cid % queues, 0, 0))
        for t in clients.closed_loop_starts(m.clients):
            self._at(t, self._new_connection)
        if m.clients.mode != "closed":
            self.env.process(self._open_loop())
        if m.run.series_ms:
            self.env.process(self._sampler(max(1, int(m.run.series_ms * 1e6))))
        self.env.process(deadlock.watchdog(self))  # stop a run caught in a lock cycle, with the cycle
        if check_every_event:
            while self.env.peek() < self.w1:
                self.env.step()
                invariants.check(self)
        else:
            self.env.run(until=self.w1)
        invariants.check(self)  # the run's tallies agree, or the run is an error with the evidence
        self.latencies = array("q", sorted(self.latencies))  # ascending, as observe.results.collect reads them
        return self
