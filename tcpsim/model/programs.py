"""What each thread of the test bed does, as data: the loops of the NIC driver, the application and the callout.

A thread program is a tuple of operations that an engine interprets, the way it interprets a path's steps.
The vocabulary is small and knows nothing of FreeBSD; the programs below are where FreeBSD 10.0, its ixgbe
driver (2.5.15) and the article's server application are written down:

``Loop(body)``           run ``body`` forever
``Sleep()``              leave the CPU until another thread or the hardware wakes this one
``Tick(period)``         leave the CPU until the next multiple of a ``[kernel]`` period (a callout)
``Run(path)``            run a kernel path (``paths.py``) for the thread's current connection
``RxPass(counter)``      clean at most ``rx_process_limit`` received frames of the thread's NIC queue; each runs
                         ``frame_path`` then the paths ``tcp.paths_for`` names; remembers whether the budget ran
                         out; counts the frames under ``counter``; fires ``probe`` at the end
``Moderate()``           adaptive interrupt moderation at the end of an interrupt (``nic.QueueState.moderate``)
``Unmask()``             re-enable the queue's vector (fires ``probe``)
``WakeTask()``           enqueue the queue's receive task on its taskqueue (wake its thread; the vector stays masked)
``TakeTask()``           take the oldest task pending on the thread's taskqueue (``task_is_rx`` tells which)
``Count(counter)``       count one event of the thread's NIC queue (``vmstat -i``-style counters); fires ``probe``
``If(cond, then, else_)``  branch on a condition: ``rx_budget_used`` (the last RxPass ran out of budget),
                         ``ready`` (a connection of this thread has a readable event), ``accept_queue`` (the
                         thread's listen socket has a connection to accept), ``task_pending`` (a task waits on
                         the thread's taskqueue), ``task_is_rx`` (the task taken is the receive task, not the
                         deferred transmit start)
``TakeReady()``          make the oldest readable connection the thread's current one
``HandOff(to)``          after accept(): register the accepted connection in a worker's kqueue: ``next_worker``
                         (round robin) or ``self``
``DrainBacklog(socket)`` release_sock's __release_sock: while the socket's backlog (``socket``: "listen", the
                         thread's listen socket, or "conn", its current connection) holds frames, run the oldest
                         one's ``backlog_paths_for`` paths (the kernel package's) with its connection current;
                         then the thread's own connection is current again
``Think(cost, dist)``    user-mode CPU work outside any path and lock: the cost ``cost`` names (ns), or an
                         exponential draw of that mean (``steps.DISTRIBUTIONS``); the lock microbenchmark's
                         pause between two acquisitions (``bench.py``)
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import app


@dataclass(frozen=True)
class Loop:
    body: tuple


@dataclass(frozen=True)
class Sleep:
    pass


@dataclass(frozen=True)
class Tick:
    period: str  # a [kernel] key in milliseconds, e.g. "slowtimo_ms"


@dataclass(frozen=True)
class Run:
    path: str


@dataclass(frozen=True)
class RxPass:
    counter: str
    frame_path: str = "rx_packet"  # run for every frame before the TCP paths
    probe: str = "fbt::ixgbe_rxeof:return"


@dataclass(frozen=True)
class Moderate:
    pass


@dataclass(frozen=True)
class Unmask:
    probe: str = "fbt::ixgbe_enable_queue:entry"


@dataclass(frozen=True)
class WakeTask:
    pass


@dataclass(frozen=True)
class TakeTask:
    pass


@dataclass(frozen=True)
class Count:
    counter: str
    probe: str = ""  # fired with the queue, thread and CPU ("": none)


@dataclass(frozen=True)
class If:
    cond: str
    then: tuple = ()
    else_: tuple = field(default=())


@dataclass(frozen=True)
class TakeReady:
    pass


@dataclass(frozen=True)
class HandOff:
    to: str  # "next_worker" | "self"


@dataclass(frozen=True)
class DrainBacklog:
    socket: str  # "listen" | "conn"


@dataclass(frozen=True)
class Think:
    cost: str  # a cost of the model (ns): the duration, or the mean of the draw
    dist: str = "constant"  # steps.DISTRIBUTIONS
    frames: tuple = ("lockbench_think",)  # its call stack in profiles (user mode: no kernel base)


NIC_COUNTERS = ("interrupts", "task_passes", "rx_interrupt", "rx_task", "tx_deferred")  # per queue, in the window
INTERRUPT_PROBE = "fbt::ixgbe_msix_que:entry"  # fired when a queue's vector goes off

# ixgbe_msix_que: mask, one rx pass, then under the queue's TX mutex a tx pass and a drain of the transmit
# ring (paths.TX_SERVICE), AIM, then the task if rxeof used its budget, else unmask.
ITHREAD = (Loop((
    Sleep(),
    Run("interrupt"),
    RxPass("rx_interrupt"),
    Run("tx_service"),
    Moderate(),
    If("rx_budget_used", (WakeTask(),), (Unmask(),)),
)),)

# The queue's taskqueue thread (kernel{ix0 que}) runs two tasks, oldest first, each once however often it was
# enqueued meanwhile (taskqueue_enqueue coalesces a pending task): the receive task ixgbe_handle_que (one more
# rx pass and the same TX work, then unmask whatever remains: it never requeues itself) and the deferred
# transmit start ixgbe_deferred_mq_start (a sender found the ring's TX mutex held: drain the ring under it).
QUE_TASK = (Loop((
    If("task_pending", (
        TakeTask(),
        If("task_is_rx", (
            RxPass("rx_task"),
            Count("task_passes"),  # with the frames it cleaned, so that a window's edge cuts neither apart
            Run("tx_service_task"),
            Unmask(),
        ), (
            Count("tx_deferred", probe="fbt::ixgbe_deferred_mq_start:entry"),
            Run("deferred_start"),
        )),
    ), (Sleep(),)),
)),)

_ACCEPT = tuple(Run(p) for p in app.ACCEPT)
_SERVE = tuple(Run(p) for p in app.SERVE)

# The article's accept thread: accept(), hand the descriptor to the next worker's kqueue.
ACCEPTOR = (Loop((
    If("accept_queue", _ACCEPT + (HandOff("next_worker"),), (Sleep(),)),
)),)

# A kqueue worker: serve a readable connection; with its own listen socket (SO_REUSEPORT) accept on it too.
WORKER = (Loop((
    If("ready", (TakeReady(),) + _SERVE, (Sleep(),)),
)),)
WORKER_ACCEPTING = (Loop((
    If("ready", (TakeReady(),) + _SERVE,
       (If("accept_queue", _ACCEPT + (HandOff("self"),), (Sleep(),)),)),
)),)

# tcp_slowtimo from softclock every slowtimo_ms.
CALLOUT = (Loop((
    Tick("slowtimo_ms"),
    Run("slowtimo"),
)),)

PROGRAMS = (ITHREAD, QUE_TASK, ACCEPTOR, WORKER, WORKER_ACCEPTING, CALLOUT)


def _ops(ops):
    for o in ops:
        yield o
        if isinstance(o, Loop):
            yield from _ops(o.body)
        elif isinstance(o, If):
            yield from _ops(o.then)
            yield from _ops(o.else_)


def connectionless_paths(programs=PROGRAMS) -> frozenset:
    """The paths a thread runs with no connection of its own: the frame paths of receive passes (a frame's
    connection is known only after them), and the paths of a program that never takes one (TakeReady) nor
    accepts one (HandOff after accept): the interrupt pass and its TX work, the queue task's, the callout."""
    out = set()
    for program in programs:
        ops = list(_ops(program))
        out |= {o.frame_path for o in ops if isinstance(o, RxPass)}
        if not any(isinstance(o, (TakeReady, HandOff)) for o in ops):
            out |= {o.path for o in ops if isinstance(o, Run)}
    return frozenset(out)


CONNECTIONLESS = connectionless_paths()
