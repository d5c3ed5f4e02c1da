"""The reference engine: the model's declared paths interpreted step by step on SimPy.

Time is integer nanoseconds. Every thread is a SimPy process pinned to one CPU (a priority resource it holds
while running or spinning and gives up while it sleeps). The engine knows how to run a path, how to wait for
a lock, how frames cross the link and the NIC, and how to account every nanosecond of every CPU; everything
FreeBSD-specific comes from ``model`` (paths, locks, kernel actions, rwlock rules, costs).
"""
from __future__ import annotations

from collections import defaultdict, deque

import simpy

from .. import deadlock, invariants
from ..errors import TcpsimError
from ..model import app, tcp
from ..model.kernel_state import Connection, Kernel
from ..model.nic import DRIVER_FRAME_OVERHEAD, QueueState
from ..model.paths import deferred_base
from ..model.sched import IDLE_PRI, pick_cpu, warm
from ..model.threads import thread_specs
from ..model.rwlock import SPIN_FUNCTION, LockState, Waiter
from ..model.steps import READ, WRITE, Acquire, Act, Release, Stop, TryAcquire, When, Work
from ..observe.lockprof import LockProfile
from ..observe.probes import lock_provider
from ..rng import Stream
from ..rss import RedirectionTable, hash_ipv4_tcp

CATEGORIES = ("user", "system", "interrupt")
DONE, ABORT, STOP = "done", "abort", "stop"  # how a block of steps ended
NIC_COUNTERS = ("interrupts", "task_passes", "rx_interrupt", "rx_task")  # per queue: passes and frames by context


class Thread:
    """A kernel or application thread pinned to one CPU."""

    def __init__(self, name, command, pid, pri, cpu, mode, kind, bound=True):
        self.name = name
        self.command = command
        self.pid = pid
        self.pri = pri
        self.cpu = cpu  # the CPU it runs on, or last ran on
        self.bound = bound  # pinned (cpuset, bus_bind_intr) or placed by the scheduler at every wake-up
        self.mode = mode  # "interrupt" or "system": what its kernel time counts as
        self.kind = kind
        self.running = False
        self.rlocks = 0  # read locks held (rwlock lets such a thread past writer preference)
        self.held = []  # locks held, in acquisition order (to unwind an aborted path)
        self.conn = None  # connection the current path works on
        self.tw = None  # TIME-WAIT entry the current path is closing
        self.sites = {}  # lock -> site of its outermost acquisition by this thread (for WITNESS)
        self.path = ""  # name of the path running
        self.listen = None  # listen socket this thread accepts on, if it does
        self.abort_reason = ""  # why the last aborted path gave up
        self.preempt = False  # a better-priority thread waits for this CPU: yield it at the next step boundary
        self.spin = None  # the Waiter it spins as, if it is spinning on a lock
        self.wake_ev = None
        self.ready = deque()  # worker: connections with a readable event
        self.busy = dict.fromkeys(CATEGORIES, 0)
        self.by_cpu = None if bound else {}  # an unbound thread's busy time per CPU it ran on
        self.last_off = 0  # when it last left a CPU (the scheduler's cache affinity)
        self.base = None  # maps a path's base stack to this thread's (the driver's task runs rx code)


class Cpu:
    """One core: the thread on it and its run queue (best priority first, FIFO among equals)."""

    __slots__ = ("index", "current", "runq")

    def __init__(self, index):
        self.index = index
        self.current = None
        self.runq = []  # (pri, seq, thread, event)

    def lowpri(self):
        """ULE's tdq_lowpri: the best priority among its running and runnable threads (IDLE_PRI if none)."""
        if self.current is None:
            return IDLE_PRI
        return min(self.current.pri, self.runq[0][0]) if self.runq else self.current.pri

    def load(self):
        """ULE's tdq_load: running and runnable threads."""
        return (self.current is not None) + len(self.runq)


def _runq_order(entry):
    return entry[0], entry[1]


class SimpyEngine:
    name = "simpy"

    def __init__(self, model, probes=None):
        self.m = model
        self.env = simpy.Environment()
        self.probes = probes if probes else None  # one test per probe point when nothing is attached
        hw, k, run = model.hardware, model.kernel, model.run
        self.w0 = int(run.warmup_s * 1e9)
        self.w1 = self.w0 + int(run.duration_s * 1e9)
        self.cost = {key: int(v) for key, v in model.costs.items() if isinstance(v, (int, float))}
        # one listen socket, or one per worker with reuseport; a connection goes to one by its flow hash
        self.nlisten = len(model.app.worker_cpus) if model.app.acceptors == "per_worker" else 1
        self.kernel = Kernel(k.backlog, k.maxtcptw, int(k.msl_s * 1e9), self.nlisten)
        self.rng_arrival = Stream(run.seed, "arrivals")
        self.rng_race = Stream(run.seed, "lock-race")
        self.rng_sched = Stream(run.seed, "sched")  # ULE's random tie-break between equally loaded CPUs
        self.cpus = [Cpu(i) for i in range(hw.cpus)]
        self.runq_seq = 0  # FIFO order among threads of equal priority on a run queue
        self.cpu_time = [dict.fromkeys(CATEGORIES, 0) for _ in range(hw.cpus)]
        self.cpu_cycles = [0] * hw.cpus
        self.samples = [defaultdict(int) for _ in range(hw.cpus)]
        self.sample_ns = max(1, int(model.costs["pmc_sample_cycles"] / model.costs["cpu_ghz"]))
        self.lockprof = LockProfile()
        self.order_edges = {}  # (held class, acquired class) -> (held site, acquired site, path)
        self.global_locks = {n: LockState(d) for n, d in model.locks.items() if d.scope == "global"}
        self.group_locks = {}  # (lock name, RSS group) -> LockState
        self.listen_locks = {}  # (lock name, listen socket) -> LockState
        self.inp_decl = next(d for d in model.locks.values() if d.scope == "connection")
        bucket_decl = next((d for d in model.locks.values() if d.scope == "bucket"), None)
        self.nbuckets = int(model.costs["syncache_buckets"])
        self.buckets = [LockState(bucket_decl) for _ in range(self.nbuckets)] if bucket_decl else []
        self.rss = RedirectionTable(hw.queues)
        self.nic = [QueueState(hw.max_interrupt_rate, hw.enable_aim) for _ in range(hw.queues)]
        self.nic_counts = [dict.fromkeys(NIC_COUNTERS, 0) for _ in range(hw.queues)]  # in the window
        self.ring_size = hw.rx_ring_descriptors
        self.link_ns_per_byte = 8.0 / hw.link_gbps  # ns per byte
        self.link_free = {"in": 0, "out": 0}
        self.link_bytes = {"in": 0, "out": 0}
        c = model.clients
        self.one_way = int(c.rtt_us * 500)
        # counters
        self.next_cid = 0
        self.started = self.completed = self.failed = 0
        self.window_started = self.window_completed = 0
        self.latencies = []
        self.drops = defaultdict(int)
        self.segments_in = 0
        self.segments_out = 0
        self.threads = []
        self._build_threads()

    # --- threads ---------------------------------------------------------------------------------------------
    def _build_threads(self):
        env = self.env
        per_worker = self.m.app.acceptors == "per_worker"
        self.ithreads, self.tasks, self.workers, self.acceptors = [], [], [], []  # acceptors: one per listen socket
        for spec in thread_specs(self.m):
            th = Thread(spec.name, spec.command, spec.pid, spec.pri, spec.cpu, spec.mode, spec.kind, spec.bound)
            self.threads.append(th)
            if spec.kind == "ithread":
                self.ithreads.append(th)
                env.process(self._ithread(th, spec.index))
            elif spec.kind == "taskqueue":
                th.base = deferred_base
                self.tasks.append(th)
                env.process(self._que_task(th, spec.index))
            elif spec.kind == "acceptor":
                th.listen = spec.index
                self.acceptors.append(th)
                env.process(self._acceptor(th))
            elif spec.kind == "worker":
                self.workers.append(th)
                if per_worker:  # reuseport: each worker accepts on its own listen socket
                    th.listen = spec.index
                    self.acceptors.append(th)
                env.process(self._worker(th))
            else:
                env.process(self._slowtimo(th))
        self.rr = 0

    # --- CPUs: run queues, placement, preemption --------------------------------------------------------------
    def _on_cpu(self, th):
        yield from self._switch_in(th, self._sched_add(th))

    def _sched_add(self, th, waker=None):
        """Make ``th`` runnable now (sched_add): an unbound thread is placed first (model.sched); a thread with a
        better priority than the running one preempts it at its next step boundary. Return the event that
        fires when ``th`` has the CPU."""
        if not th.bound:
            now = self.env.now
            th.cpu = pick_cpu(th.pri, th.cpu, waker.cpu if waker is not None else -1,
                              [c.lowpri() for c in self.cpus], [c.load() for c in self.cpus],
                              warm(now, th.last_off), self._sched_rnd)
        cpu = self.cpus[th.cpu]
        ev = self.env.event()
        if cpu.current is None:
            cpu.current = th
            ev.succeed()
        else:
            self.runq_seq += 1
            cpu.runq.append((th.pri, self.runq_seq, th, ev))
            cpu.runq.sort(key=_runq_order)
            if th.pri < cpu.current.pri:
                self._request_preempt(cpu.current)
        return ev

    def _switch_in(self, th, granted):
        yield granted  # cpu.current was set to this thread when the CPU was handed over
        th.running = True
        if self.probes:
            self.probes.fire("sched:::on-cpu", self.env.now, thread=th.name, cpu=th.cpu)
        cs = self.cost["context_switch"]
        self._charge(th, self.env.now, cs, ("sched_switch",), False, base=("mi_switch",))
        yield self.env.timeout(cs)

    def _sched_rnd(self):
        return self.rng_sched.randrange(64)

    def _off_cpu(self, th):
        th.running = False
        th.last_off = self.env.now
        th.preempt = False
        if self.probes:
            self.probes.fire("sched:::off-cpu", self.env.now, thread=th.name, cpu=th.cpu)
        # Spinners on locks this thread write-owns see a sleeping owner: they go to the turnstile.
        for lock in th.held:
            if lock.owner is th:
                for w in list(lock.spinners):
                    if not w.on_readers and not w.event.triggered:
                        w.event.succeed("sleep")
        cpu = self.cpus[th.cpu]
        cpu.current = None
        if cpu.runq:
            _pri, _seq, nxt, ev = cpu.runq.pop(0)
            cpu.current = nxt
            ev.succeed()

    def _request_preempt(self, th):
        th.preempt = True
        w = th.spin
        if w is not None and w.spinning and not w.event.triggered:
            w.event.succeed("preempt")  # a spinning thread is preemptible; it resumes spinning afterwards

    def _yield_cpu(self, th):
        """Preempted: go back on the run queue of the same CPU (ULE keeps a preempted thread where it was)."""
        if self.probes:
            self.probes.fire("sched:::preempt", self.env.now, thread=th.name, cpu=th.cpu)
        self._off_cpu(th)
        bound, th.bound = th.bound, True
        yield from self._on_cpu(th)
        th.bound = bound

    def _sleep_for_work(self, th):
        self._off_cpu(th)
        th.wake_ev = self.env.event()
        granted = yield th.wake_ev
        th.wake_ev = None
        yield from self._switch_in(th, granted)

    def _wake(self, th, waker=None):
        """wakeup(): a sleeping thread becomes runnable at once; ``waker`` is the thread whose CPU calls it (ULE
        looks at that CPU when it places an unbound thread)."""
        if th.wake_ev is not None and not th.wake_ev.triggered:
            th.wake_ev.succeed(self._sched_add(th, waker))

    # --- accounting ------------------------------------------------------------------------------------------
    def _charge(self, th, start, dur, frames, user, base=()):
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
        if th.preempt:
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
                    self._charge(th, env.now + pend, d, step.frames, step.user, base)
                    pend += d
                continue
            if pend:
                yield env.timeout(pend)
                pend = 0
            if th.preempt:  # preemption takes effect between steps (the model's unit of uninterrupted work)
                yield from self._yield_cpu(th)
            if cls is Acquire:
                lock = self._resolve(th, step.lock, True)
                yield from self._acquire(th, lock, step.mode, step.site, base + step.frames)
            elif cls is Release:
                self._release(th, self._resolve(th, step.lock, False))
            elif cls is Act:
                if not self.kernel.act(step.name, step.arg, th, env.now, self):
                    self._abort(th, step.abort_reason or step.name)
                    return ABORT
            elif cls is TryAcquire:
                lock = self._resolve(th, step.lock, True)
                if lock.is_recursion(th, step.mode) or lock.can_grant(th, step.mode):
                    yield from self._acquire(th, lock, step.mode, step.site, base + step.frames, ordered=False)
                else:
                    outcome = yield from self._steps(th, step.on_fail, base)
                    if outcome is not DONE:
                        return outcome
            elif cls is When:
                while self.kernel.holds(step.condition, th, env.now):
                    outcome = yield from self._steps(th, step.steps, base)
                    if outcome is not DONE:
                        return outcome
                    if not step.repeat:
                        break
            elif cls is Stop:
                return STOP
        if pend:
            yield env.timeout(pend)
        return DONE

    def _abort(self, th, reason):
        for lock in reversed(list(th.held)):
            self._release(th, lock)
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

    # --- locks -----------------------------------------------------------------------------------------------
    def _acquire(self, th, lock, mode, site, stack, ordered=True):
        env = self.env
        if lock.is_recursion(th, mode):
            lock.recurse(th, mode)
            if mode == WRITE:  # write recursion counts as one hold and is not profiled
                th.held.append(lock)
            else:  # a read lock has no owner to recurse on: FreeBSD profiles every read acquisition
                self._granted(th, lock, mode, site, env.now, False, ordered=False)
            return
        if lock.can_grant(th, mode):
            moved = lock.grant(th, mode)
            self._granted(th, lock, mode, site, env.now, False, ordered)
            if moved:
                yield from self._pull_line(th, stack)
            return
        if mode == WRITE and th in lock.readers:
            raise TcpsimError(f"path {th.path!r}: {th.name} asks for {lock.display} W at {site} while it holds it R "
                              "(an rwlock cannot be upgraded: the thread would wait for itself forever)")
        first = env.now
        spin_frames = stack + (SPIN_FUNCTION[(lock.kind, mode)],)
        while True:
            w = Waiter(th, mode, env.event(), first, site, stack)
            if lock.should_spin():
                w.on_readers = lock.owner is None and lock.nreaders > 0 and not lock.in_transit
                w.spin_start = env.now
                lock.spinners.append(w)
                if w.on_readers:
                    self._bound_reader_spin(w)
                th.spin = w
                outcome = yield w.event
                th.spin = None
                self._charge(th, w.spin_start, env.now - w.spin_start, spin_frames, False)
                if self.probes:
                    self.probes.fire(f"lockstat:::{lock_provider(lock.kind)}-spin", env.now, lock=lock.display,
                                     mode=mode, site=site, thread=th.name, ns=env.now - w.spin_start)
                if w in lock.spinners:
                    lock.spinners.remove(w)
                if outcome == "granted":  # the hand-off delay already moved the lock word's line
                    self._granted(th, lock, mode, site, first, True)
                    return
                if outcome == "retry":
                    if lock.can_grant(th, mode):
                        break
                    continue
                if outcome == "preempt":  # off the CPU mid-spin; back on it, the thread looks at the lock again
                    yield from self._yield_cpu(th)
                    if lock.can_grant(th, mode):
                        break
                    continue
                # "sleep": the owner left its CPU; block on the turnstile instead
            lock.sleepers.append(w)
            w.spinning = False
            if self.probes:
                self.probes.fire(f"lockstat:::{lock_provider(lock.kind)}-block", env.now, lock=lock.display, mode=mode,
                                 site=site, thread=th.name)
            w.event = env.event()
            self._off_cpu(th)
            yield w.event  # turnstile_broadcast: retry, no hand-off
            yield from self._on_cpu(th)
            if lock.can_grant(th, mode):
                break
        moved = lock.grant(th, mode)
        self._granted(th, lock, mode, site, first, True)
        if moved:
            yield from self._pull_line(th, stack)

    def _pull_line(self, th, stack):
        """The lock word was last updated on another CPU: its cache line moves, inside the hold."""
        d = self.cost["lock_line_transfer"]
        self._charge(th, self.env.now, d, stack[-1:], False, stack[:-1])
        yield self.env.timeout(d)

    def _bound_reader_spin(self, w):
        """Against a read-held lock a waiter spins at most rowner_retries x rowner_loops, then sleeps."""
        ev = w.event  # only this spin: by expiry the waiter may sleep on the turnstile or have won the race

        def expire(_):
            if w.event is ev and w.spinning and not ev.triggered and w.on_readers:
                ev.succeed("sleep")
        self.env.timeout(self.cost["rw_reader_spin"]).callbacks.append(expire)

    def _granted(self, th, lock, mode, site, since, contested, ordered=True):
        now = self.env.now
        wait = now - since if contested else 0
        if self.probes:
            self.probes.fire(f"lockstat:::{lock_provider(lock.kind)}-acquire", now, lock=lock.display, mode=mode,
                             site=site, thread=th.name, wait=wait)
        if ordered:  # WITNESS, dynamically: which lock classes this thread held when it took this one
            for h in th.held:
                if h.display != lock.display and (h.display, lock.display) not in self.order_edges:
                    self.order_edges[(h.display, lock.display)] = (th.sites.get(h, "?"), site, th.path)
        th.held.append(lock)
        th.sites.setdefault(lock, site)  # the outermost acquisition's site
        key = None
        if self.w0 <= now < self.w1:
            key = self.lockprof.acquired(site, lock.display, wait, contested)
        if mode == WRITE:
            lock.hold_start = now
            lock.hold_key = key
        else:
            lock.read_holds.setdefault(th, []).append((now, key))

    def _release(self, th, lock):
        for i in range(len(th.held) - 1, -1, -1):
            if th.held[i] is lock:
                del th.held[i]
                break
        was_writer = lock.owner is th
        outermost = lock.release(th)
        if outermost:
            th.sites.pop(lock, None)
        if was_writer:
            if not outermost:
                return  # write recursion is one hold
            start, key = lock.hold_start, lock.hold_key
            lock.hold_key = None
        else:  # every read acquisition is its own hold in the profile, nested ones too
            holds = lock.read_holds[th]
            start, key = holds.pop()
            if not holds:
                del lock.read_holds[th]
        if key is not None:
            self.lockprof.released(key, self.env.now - start)
        if self.probes:
            self.probes.fire(f"lockstat:::{lock_provider(lock.kind)}-release", self.env.now, lock=lock.display,
                             thread=th.name, hold=self.env.now - start)
        if outermost and lock.free():
            self._lock_freed(lock)

    def _lock_freed(self, lock):
        for w in lock.turnstile_broadcast():
            w.event.succeed("retry")
        winners = lock.race(self.rng_race, self.m.hardware.lock_race_weight)
        if not winners:
            return
        for w in winners:
            w.spinning = False  # its compare-and-set landed: no longer preemptible as a spinner
        lock.in_transit = True
        n = len(lock.spinners)
        delay = self.cost["lock_line_transfer"] + self.cost["lock_handoff_per_spinner"] * (n - 1)
        self.env.timeout(delay).callbacks.append(lambda _ev: self._handoff(lock, winners))

    def _handoff(self, lock, winners):
        lock.in_transit = False
        for w in winners:
            lock.spinners.remove(w)
            lock.grant(w.thread, w.mode)
            w.event.succeed("granted")
        if lock.owner is not None:
            # A writer took it: the lock word was rewritten, so no waiter is flagged against readers any more.
            for w in lock.spinners:
                w.on_readers = False
        if lock.nreaders:
            # Readers that arrived meanwhile may share; writers now spin against readers (WRITE_SPINNER).
            for w in list(lock.spinners):
                if w.mode == READ and lock.can_grant(w.thread, READ):
                    lock.spinners.remove(w)
                    lock.grant(w.thread, READ)
                    w.event.succeed("granted")
            for w in lock.spinners:
                if not w.on_readers:
                    w.on_readers = True
                    self._bound_reader_spin(w)

    # --- NIC, link and clients -------------------------------------------------------------------------------
    def _at(self, t, fn, *args):
        self.env.timeout(t - self.env.now).callbacks.append(lambda _ev: fn(*args))

    def _wire(self, direction, now, nbytes):
        """Serialise a frame on one direction of the link; return when its last bit has left."""
        start = max(now, self.link_free[direction])
        done = start + int(nbytes * self.link_ns_per_byte)
        self.link_free[direction] = done
        if self.w0 <= done < self.w1:
            self.link_bytes[direction] += nbytes
        return done

    def _frame_bytes(self, seg):
        c = self.m.clients
        return tcp.frame_bytes(seg, c.request_bytes, c.response_bytes)

    def client_send(self, conn, seg):
        arrive = self._wire("in", self.env.now + self.one_way, self._frame_bytes(seg))
        self._at(arrive, self._nic_rx, conn, seg)

    def transmit(self, conn, seg):
        """Inline transmit from the running context; the client answers after the other half of the RTT."""
        nbytes = self._frame_bytes(seg)
        done = self._wire("out", self.env.now, nbytes)
        # the transmit ring follows the flow's RSS queue (ixgbe_mq_start: flowid % queues)
        self.nic[conn.queue].tx_done.append(nbytes - DRIVER_FRAME_OVERHEAD)
        self.segments_out += 1
        if self.probes:
            self.probes.fire("tcp:::send", self.env.now, conn=conn.cid, segment=seg)
        self._cause(conn.queue)
        self._at(done + self.one_way, self._client_receive, conn, seg)

    def _nic_rx(self, conn, seg):
        q = self.nic[conn.queue]
        if len(q.ring) >= self.ring_size:
            self._count_drop("rx_ring_full")
            self._client_dropped(conn, seg, "rx_ring_full")
            return
        q.ring.append((conn, seg))
        if self.probes:
            self.probes.fire("tcp:::receive", self.env.now, conn=conn.cid, segment=seg)
        self._cause(conn.queue)

    # --- the ixgbe driver (model.nic): interrupt passes, task passes, moderation ------------------------------
    def _cause(self, qi):
        """A queue has work: its vector fires once enabled and its moderation interval has run out."""
        q = self.nic[qi]
        if q.masked or q.scheduled or not q.has_cause():
            return
        q.scheduled = True
        self._at(q.next_interrupt(self.env.now), self._interrupt, qi)

    def _interrupt(self, qi):
        q = self.nic[qi]
        q.interrupt(self.env.now)
        self._count_nic(qi, "interrupts", 1)
        if self.probes:
            self.probes.fire("fbt::ixgbe_msix_que:entry", self.env.now, queue=qi, eitr=q.eitr)
        self._wake(self.ithreads[qi])

    def _enable_vector(self, qi, th):
        if self.probes:
            self.probes.fire("fbt::ixgbe_enable_queue:entry", self.env.now, queue=qi, thread=th.name, cpu=th.cpu)
        self.nic[qi].masked = False
        self._cause(qi)

    def _count_nic(self, qi, counter, n):
        if self.w0 <= self.env.now < self.w1:
            self.nic_counts[qi][counter] += n

    def _ithread(self, th, qi):
        """ixgbe_msix_que: one rx pass and one tx pass, moderation, then the task if frames remain."""
        q = self.nic[qi]
        while True:
            yield from self._sleep_for_work(th)
            yield from self._run(th, "interrupt")
            more = yield from self._rx_pass(th, qi, "rx_interrupt")
            yield from self._tx_pass(th, q)
            q.moderate()
            if more:
                self._wake(self.tasks[qi], th)  # taskqueue_enqueue: the vector stays masked
            else:
                self._enable_vector(qi, th)

    def _que_task(self, th, qi):
        """ixgbe_handle_que: one more rx pass and tx pass, then the vector is unmasked whatever remains."""
        q = self.nic[qi]
        while True:
            yield from self._sleep_for_work(th)
            self._count_nic(qi, "task_passes", 1)
            yield from self._rx_pass(th, qi, "rx_task")
            yield from self._tx_pass(th, q)
            self._enable_vector(qi, th)

    def _rx_pass(self, th, qi, counter):
        """ixgbe_rxeof: at most rx_process_limit frames, including those that land during the pass; return
        whether it used its whole budget (it does not look at the next descriptor)."""
        q = self.nic[qi]
        ring = q.ring
        limit = n = self.m.hardware.rx_process_limit
        while ring and n:
            n -= 1
            conn, seg = ring.popleft()
            self.segments_in += 1
            q.rx_bytes += self._frame_bytes(seg) - DRIVER_FRAME_OVERHEAD
            yield from self._run(th, "rx_packet")
            th.conn = conn
            for name in tcp.paths_for(seg, conn.state):
                ok = yield from self._run(th, name)
                if not ok:
                    self._client_dropped(conn, seg, th.abort_reason)
                    break
        self._count_nic(qi, counter, limit - n)
        if self.probes:
            self.probes.fire("fbt::ixgbe_rxeof:return", self.env.now, queue=qi, thread=th.name, cpu=th.cpu,
                             frames=limit - n, more=n == 0)
        return n == 0

    def _tx_pass(self, th, q):
        """ixgbe_txeof: reclaim at most tx_process_limit sent frames."""
        for _ in range(min(len(q.tx_done), self.m.hardware.tx_process_limit)):
            q.reclaim()
            yield from self._run(th, "tx_clean")

    def _acceptor(self, th):
        queue = self.kernel.accept_queues[th.listen]
        while True:
            if not queue:
                yield from self._sleep_for_work(th)
                continue
            worker = self.workers[self.rr % len(self.workers)]
            self.rr += 1
            yield from self._accept_one(th, worker)

    def _accept_one(self, th, worker):
        """accept() one connection and register it in ``worker``'s kqueue."""
        for name in app.ACCEPT:
            yield from self._run(th, name)
        conn = th.conn
        conn.worker = worker
        if conn.data_ready:  # the knote fires at registration when data is already queued
            self.data_ready(conn)

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

    def _worker(self, th):
        queue = self.kernel.accept_queues[th.listen] if th.listen is not None else None
        while True:
            if th.ready:
                th.conn = th.ready.popleft()
                for name in app.SERVE:
                    yield from self._run(th, name)
            elif queue:  # reuseport: this worker accepts on its own listen socket
                yield from self._accept_one(th, th)
            else:
                yield from self._sleep_for_work(th)

    def _slowtimo(self, th):
        period = int(self.m.kernel.slowtimo_ms * 1e6)
        while True:
            yield self.env.timeout(period)
            yield from self._on_cpu(th)
            yield from self._run(th, "slowtimo")
            self._off_cpu(th)

    # --- the client side --------------------------------------------------------------------------------------
    def _new_connection(self):
        c = self.m.clients
        cid = self.next_cid
        self.next_cid += 1
        src = f"10.{(cid % c.addresses) >> 16 & 255}.{(cid % c.addresses) >> 8 & 255}.{cid % c.addresses & 255}"
        sport = 1024 + (cid // c.addresses) % 64511
        h = hash_ipv4_tcp(src, c.server_address, sport, c.server_port, key=self.m.hardware.rss_key)
        conn = Connection(cid, src, sport, self.rss.queue_for(h), h % max(self.nbuckets, 1), self.env.now)
        conn.listen = (h >> 8) % self.nlisten  # SO_REUSEPORT_LB: the flow hash picks the listen socket
        self.started += 1
        if self.w0 <= self.env.now < self.w1:
            self.window_started += 1
        conn.syn_tries = 1
        self.client_send(conn, tcp.SYN)
        return conn

    def _client_receive(self, conn, seg):
        if seg == tcp.SYNACK:
            self.client_send(conn, tcp.HS_ACK)
            self.client_send(conn, tcp.REQUEST)
        elif seg == tcp.SERVER_FIN:
            self.client_send(conn, tcp.RESP_ACK)
            self.client_send(conn, tcp.CLIENT_FIN)
        elif seg == tcp.FINAL_ACK and not conn.outcome:
            conn.outcome = "completed"
            conn.t_done = self.env.now
            self.completed += 1
            if self.w0 <= self.env.now < self.w1:
                self.window_completed += 1
                self.latencies.append(conn.t_done - conn.t_start)
            self._client_done(conn)

    def _client_dropped(self, conn, seg, reason):
        """The client's TCP notices a lost segment by timeout and retransmits it (pure ACKs are not resent)."""
        if self.probes:
            self.probes.fire("tcp:::drop", self.env.now, conn=conn.cid, segment=seg, reason=reason)
        c = self.m.clients
        if seg == tcp.SYN:
            if conn.syn_tries > c.max_syn_retries:
                conn.outcome = "syn_timeout"
                self.failed += 1
                self._count_drop("connection_syn_timeout")
                self._client_done(conn)
                return
            delay = int(c.syn_rto_ms * 1e6) << (conn.syn_tries - 1)
            conn.syn_tries += 1
        elif seg in (tcp.REQUEST, tcp.CLIENT_FIN):
            delay = int(c.rto_ms * 1e6) << min(conn.rto_tries, 6)
            conn.rto_tries += 1
        else:
            return
        self._at(self.env.now + delay, self.client_send, conn, seg)

    def _client_done(self, conn):
        c = self.m.clients
        if c.mode == "closed":
            self._at(self.env.now + int(c.think_us * 1000), self._new_connection)

    def _open_loop(self):
        rate = self.m.clients.rate
        while True:
            yield self.env.timeout(max(1, int(self.rng_arrival.expovariate(rate) * 1e9)))
            self._new_connection()

    def _count_drop(self, reason):
        if self.w0 <= self.env.now < self.w1:
            self.drops[reason] += 1

    # --- run -------------------------------------------------------------------------------------------------
    def run(self):
        m = self.m
        if m.kernel.timewait_prefill:
            queues = m.hardware.queues
            self.kernel.prefill_timewait(0, int(m.kernel.slowtimo_ms * 1e6),
                                         lambda cid: Connection(cid, "", 0, -cid % queues, 0, 0))
        c = m.clients
        if c.mode == "closed":
            for i in range(c.concurrency):
                # stagger the first connections over one RTT so the clients do not move in lockstep
                self._at(int(i * 2 * self.one_way / max(c.concurrency, 1)), self._new_connection)
        else:
            self.env.process(self._open_loop())
        self.env.process(deadlock.watchdog(self))  # issue #11: stop a run caught in a lock cycle
        self.env.run(until=self.w1)
        invariants.check(self)  # issue #11: the run's tallies agree
        return self
