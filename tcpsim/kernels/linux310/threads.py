"""Linux 3.10's threads and their programs on the article's machines: the NIC's interrupt and NET_RX softirq,
ksoftirqd, the application's accept thread and epoll workers, the TIME-WAIT hangman.

Receive (docs/linux-facts.md, section 1): the queue vector's hard interrupt (ixgbe_msix_clean_rings ->
napi_schedule) and the NET_RX softirq it raises run on the CPU that took it, before any thread of that CPU:
one top-priority thread per queue CPU whose time counts as interrupt time (``si``).

* net_rx_action (dev.c:4149) polls the NAPI context with its weight, 64 (``hardware.rx_process_limit``), while
  netdev_budget (300) lasts and jiffies is before its start + 2 (both checked before each poll, :4166): at
  most five polls (300, 236, 172, 108 and 44 left before each), each ixgbe_poll a TX clean, then an RX pass.
  A poll that does not use its weight completes NAPI and re-enables the vector (napi_complete,
  ixgbe_irq_enable_queues). Budget or time gone: softnet_break re-raises NET_RX (:4238-4240).
* __do_softirq (softirq.c:213) then restarts while jiffies is before its start + MAX_SOFTIRQ_TIME (2 ms = 2
  jiffies at HZ=1000) and fewer than MAX_SOFTIRQ_RESTART = 10 passes ran; otherwise it wakes ksoftirqd
  (:278). One deadline (``Deadline(2)`` at __do_softirq's start) serves both limits: a restarted
  net_rx_action's own limit starts later than __do_softirq's and is taken as never binding before its budget
  (a pass of five polls is about a millisecond of this workload's work). need_resched() is not modelled (on
  the article's machines no task shares a queue CPU).
* ksoftirqd/N (one per CPU, pinned, at the workers' priority) runs the same __do_softirq while NET_RX is
  pending; its softirq work also counts as ``si`` (irqtime accounting, cputime.c:341-348).

Interrupt moderation: 3.10's ixgbe starts a vector at IXGBE_20K_ITR (ixgbe_lib.c:835-836) and ixgbe_update_itr
(ixgbe_main.c:2079) moves it between 100K, 20K and 8K interrupts/s by bytes per interrupt interval. The model
keeps the initial 20,000/s (``hardware.max_interrupt_rate``, AIM off): FreeBSD's AIM rule (model/nic.py) is not
Linux's, and Linux's is not modelled yet; under load NAPI keeps the vector masked and the rate matters little.
"""
from __future__ import annotations

from ...model import programs as op
from ...model.threads import ThreadSpec, bench_threads
from .paths import ksoftirqd_base

IRQ_BASE = 64  # /proc/interrupts numbers of the first ixgbe queue vector: an example machine's, only a name
NICE0 = 120  # a SCHED_OTHER task's prio at nice 0 (the workers, the accept thread, ksoftirqd)
SOFTIRQ_PRI = 0  # better than every task: a softirq runs on interrupt exit, before any task of the CPU
NETDEV_BUDGET, NAPI_WEIGHT = 300, 64  # dev.c:2870, ixgbe_lib.c:812


MAX_SOFTIRQ_TIME_TICKS, MAX_SOFTIRQ_RESTART = 2, 10  # softirq.c:210-211 (2 ms at HZ = 1000)


def polls(budget: int = NETDEV_BUDGET, weight: int = NAPI_WEIGHT) -> int:
    """ixgbe_poll calls per net_rx_action when every poll uses its whole weight: polls run while budget > 0."""
    n = 0
    while budget > 0:
        budget -= weight
        n += 1
    return n


def net_rx_action(counter: str, timed: bool, softnet_break: tuple) -> tuple:
    """net_rx_action for one NAPI context: ixgbe_poll (TX clean, RX pass of the weight) while the budget -- and,
    if ``timed``, the time -- lasts; a poll under its weight: napi_complete and re-enable the vector; budget or
    time gone: ``softnet_break``."""
    ops = softnet_break
    for k in range(polls(), 0, -1):
        poll = (op.Run("tx_clean"), op.RxPass(counter), op.If("rx_budget_used", ops, (op.Unmask(),)))
        ops = poll if k == 1 or not timed else (op.If("before_deadline", poll, softnet_break),)
    return ops


def do_softirq(counter: str) -> tuple:
    """__do_softirq for NET_RX: its deadline, net_rx_action, then restarts while before the deadline and under
    MAX_SOFTIRQ_RESTART passes; past them, NET_RX is left pending for ksoftirqd (WakeTask)."""
    ops = (op.WakeTask(),)
    for k in range(MAX_SOFTIRQ_RESTART, 0, -1):
        restart = ops if k == MAX_SOFTIRQ_RESTART else (op.If("before_deadline", ops, (op.WakeTask(),)),)
        ops = net_rx_action(counter, k == 1, restart)
    return (op.Deadline(MAX_SOFTIRQ_TIME_TICKS),) + ops


# the queue CPU: hard interrupt, then NET_RX on interrupt exit
SOFTIRQ = (op.Loop((
    op.Sleep(),
    op.Run("hardirq"),
    *do_softirq("rx_interrupt"),
)),)
# ksoftirqd/N: NET_RX pending (its task) -> the same __do_softirq; still pending after it: run again
KSOFTIRQD = (op.Loop((
    op.If("task_pending", (
        op.TakeTask(),
        *do_softirq("rx_task"),
        op.Count("task_passes"),
    ), (op.Sleep(),)),
)),)

def owned(path: str, socket: str) -> tuple:
    """A system call's ``path`` that ends owning ``socket`` (lock_sock), then release_sock: __release_sock runs
    the backlog (DrainBacklog), the ``*_release`` path re-takes the spinlock and clears the owner flag. Linux
    checks the backlog and clears the flag under the spinlock, so nothing can slip in between; here the
    backlog is drained before the release path takes the spinlock, and a frame queued while it waited for it
    would stay queued with nobody owning the socket (a connection's last owner never comes back): a second
    drain right after the release runs such a frame in the same thread, as release_sock would have."""
    return (op.Run(path), op.DrainBacklog(socket), op.Run(f"{path}_release"), op.DrainBacklog(socket))


# the article's accept thread on Linux: accept4 (the listener owned across the dequeue: its backlog is run at
# release_sock), inet_accept's lock_sock of the child, then epoll_ctl ADD in the next worker's epoll
ACCEPT_OPS = (
    op.Run("accept_enter"), *owned("accept", "listen"), *owned("accept_child", "conn"), op.Run("epoll_ctl_add"),
)
ACCEPTOR = (op.Loop((
    op.If("accept_queue", ACCEPT_OPS + (op.HandOff("next_worker"),), (op.Sleep(),)),
)),)
# a worker: epoll_wait, then recv, send, shutdown, close, each owning the socket and running its backlog
SERVE_OPS = (
    op.Run("epoll_wait"), op.TakeReady(),
    *owned("recv", "conn"), *owned("send", "conn"), *owned("shutdown", "conn"), *owned("close", "conn"),
)
WORKER = (op.Loop((op.If("ready", SERVE_OPS, (op.Sleep(),)),)),)
WORKER_ACCEPTING = (op.Loop((
    op.If("ready", SERVE_OPS, (op.If("accept_queue", ACCEPT_OPS + (op.HandOff("self"),), (op.Sleep(),)),)),
)),)
# the death row's hangman: a timer every 7.5 s (kernel.slowtimo_ms: this kernel's default is the period)
HANGMAN = (op.Loop((op.Tick("slowtimo_ms"), op.Run("tw_expiry"))),)

PROGRAMS = (SOFTIRQ, KSOFTIRQD, ACCEPTOR, WORKER, WORKER_ACCEPTING, HANGMAN)


def thread_specs(model) -> list[ThreadSpec]:
    if model.bench is not None:  # the lock microbenchmark's threads are the same on every kernel
        return bench_threads(model)
    hw, app = model.hardware, model.app
    out = []
    for q, cpu in enumerate(hw.queue_cpus):
        name = f"ixgbe-TxRx-{q}" if hw.queues > 1 else "ixgbe"
        irq = f"irq/{IRQ_BASE + q}-eth0-TxRx-{q}"
        # kind "ithread": the NIC's interrupt wakes it; "taskqueue": WakeTask wakes it (the engines' names)
        out.append(ThreadSpec("ithread", f"softirq{{{name}}}", irq, 0, SOFTIRQ_PRI, cpu, "interrupt", q,
                              program=SOFTIRQ))
        out.append(ThreadSpec("taskqueue", f"ksoftirqd/{cpu}", f"ksoftirqd/{cpu}", 3 + 6 * cpu, NICE0, cpu,
                              "interrupt", q, program=KSOFTIRQD, base=ksoftirqd_base))
    if app.acceptors == "thread":
        out.append(ThreadSpec("acceptor", "acceptor", "tcp_server{accept}", 1000, NICE0, app.accept_cpu, "system", 0,
                              program=ACCEPTOR, listen=0))
    worker = WORKER_ACCEPTING if app.acceptors != "thread" else WORKER
    for i, cpu in enumerate(app.worker_cpus):
        out.append(ThreadSpec("worker", f"worker{i}", f"tcp_server{{worker {i}}}", 1000, NICE0, cpu, "system", i,
                              program=worker, listen=i if app.acceptors != "thread" else -1))
    out.append(ThreadSpec("callout", "hangman", "softirq{TIMER}", 0, SOFTIRQ_PRI, model.kernel.timer_cpu,
                          "interrupt", 0, program=HANGMAN))
    return out
