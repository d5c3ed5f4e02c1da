"""The SimPy engine's threads and CPUs: run queues, placement of unbound threads, preemption, sleep and wake-up.

Generic scheduling mechanics; where an unbound thread goes is ULE's rule in ``model/sched.py``.
"""
from __future__ import annotations

from collections import deque

from ..invariants import CATEGORIES
from ..model.sched import IDLE_PRI, SWITCH_STACK, pick_cpu, warm



class Thread:
    """A kernel or application thread: pinned to one CPU, or placed by the scheduler when it wakes."""

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
        self.rx_seg = None  # the segment of the frame being received (a backlog action queues it)
        self.deferred = False  # the last aborted path queued its frame on a socket's backlog (not a drop)
        self.preempt = False  # a better-priority thread waits for this CPU: yield it at the next step boundary
        self.spin = None  # the Waiter it spins as, if it is spinning on a lock
        self.wake_ev = None
        self.ready = deque()  # worker: connections with a readable event
        self.busy = dict.fromkeys(CATEGORIES, 0)
        self.by_cpu = None if bound else {}  # an unbound thread's busy time per CPU it ran on
        self.last_off = 0  # when it last left a CPU (the scheduler's cache affinity)
        self.base = None  # maps a path's base stack to this thread's (the driver's task runs rx code)
        self.queue = 0  # NIC queue of an interrupt thread or a queue task
        self.budget_used = False  # whether its last receive pass used its whole budget
        self.txring = 0  # the transmit ring its last send chose, or (the driver's threads) its own queue's
        self.tx_budget = 0  # frames its running ixgbe_txeof may still reclaim
        self.task = None  # the task a queue's thread took last (nic.RX_TASK or nic.TX_TASK)
        self.smt = 1000  # SMT: its current work advance's time, in thousandths of its costs (model/topology.py)


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


class SchedulerMixin:
    """CPU ownership for SimpyEngine: a thread holds its CPU while running or spinning, gives it up to sleep."""

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
        stack = self.kernel_package.word("switch_stack", SWITCH_STACK)
        self._charge(th, self.env.now, cs, stack[1:], False, base=stack[:1])
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
            if lock.owner is th and lock.sleeps:
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
        if w is not None and w.spinning and w.preemptible and not w.event.triggered:
            w.event.succeed("preempt")  # a spinning thread is preemptible; it resumes spinning afterwards

    @staticmethod
    def _preemptible(th):
        """A preemption takes effect at a step boundary, unless the thread holds a lock of a class that never
        sleeps (its holder is in a critical section: spinlock_enter, preempt_disable) -- then at the boundary
        after its release."""
        return th.preempt and all(lock.sleeps for lock in th.held)

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
