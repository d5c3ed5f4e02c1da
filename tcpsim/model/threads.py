"""The threads of the test bed, named and prioritised as FreeBSD's top shows them, pinned as the article's
cpusets pin them. Engines create one runnable thread per spec; the names are the model's, not an engine's."""
from __future__ import annotations

from dataclasses import dataclass

from . import bench, programs
from .paths import deferred_base

IRQ_BASE = 263  # the first ix0 MSI-X vector on the test bed (Figures 2 and 3: irq263...)


@dataclass(frozen=True)
class ThreadSpec:
    kind: str  # ithread | taskqueue | acceptor | worker | callout | bench (model/bench.py)
    name: str
    command: str  # as top -SHIPz prints it
    pid: int
    pri: int
    cpu: int
    mode: str  # what its kernel time counts as: interrupt or system
    index: int = 0  # queue of an ithread/taskqueue, worker number, listen socket of an acceptor
    bound: bool = True  # pinned to ``cpu``; otherwise ``cpu`` is only where it starts (model/sched.py places it)
    listen: int = -1  # the listen socket it accepts on (-1: none)
    program: tuple = ()  # what it does (programs.py)
    base: object = None  # maps a path's base call stack to this thread's (the queue task runs interrupt code)


def listen_sockets(app) -> int:
    """How many listen sockets the application has: one, or one per worker with SO_REUSEPORT (``per_worker``)."""
    return len(app.worker_cpus) if app.acceptors != "thread" else 1


def thread_specs(model) -> list[ThreadSpec]:
    if model.bench is not None:  # the workload selector: the lock microbenchmark's threads alone
        return bench_threads(model)
    hw, app = model.hardware, model.app
    out = []
    for q, cpu in enumerate(hw.queue_cpus):
        irq = f"intr{{irq{IRQ_BASE + q}: {'ix0' if hw.queues == 1 else f'ix0:que {q}'}}}"
        out.append(ThreadSpec("ithread", irq, irq, 12, -92, cpu, "interrupt", q, program=programs.ITHREAD))
        # The queue's task (ixgbe_handle_que): 10.0's driver starts its thread with no CPU binding
        # (taskqueue_start_threads at PI_NET); later drivers pin it to the queue's CPU.
        out.append(ThreadSpec("taskqueue", f"kernel{{ix0 que {q}}}", "kernel{ix0 que}", 0, -92, cpu, "system", q,
                              bound=hw.que_task_cpu == "queue", program=programs.QUE_TASK, base=deferred_base))
    if app.acceptors == "thread":
        out.append(ThreadSpec("acceptor", "acceptor", "tcp_server{accept}", 1000, -21, app.accept_cpu, "system", 0,
                              program=programs.ACCEPTOR, listen=0))
    worker = programs.WORKER_ACCEPTING if app.acceptors != "thread" else programs.WORKER
    for i, cpu in enumerate(app.worker_cpus):
        # with reuseport each worker accepts on its own listen socket
        out.append(ThreadSpec("worker", f"worker{i}", f"tcp_server{{worker {i}}}", 1000, 52, cpu, "system", i,
                              program=worker, listen=i if app.acceptors != "thread" else -1))
    out.append(ThreadSpec("callout", "clock", "intr{swi4: clock}", 11, -88, model.kernel.timer_cpu, "system", 0,
                          program=programs.CALLOUT))
    return out


def bench_threads(model) -> list[ThreadSpec]:
    """The lock microbenchmark's threads (model/bench.py): one per CPU of its spec, pinned there, all running
    its program, as one process (``lockbench``) shows them in top."""
    spec = model.bench
    program = bench.program(spec)
    return [ThreadSpec("bench", f"bench{i}", f"lockbench{{thread {i}}}", bench.PID, bench.PRI, cpu, "system", i,
                       program=program) for i, cpu in enumerate(spec.cpus)]
