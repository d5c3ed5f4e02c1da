"""Where FreeBSD 10.0's ULE scheduler runs a thread with no CPU binding when it wakes up.

Only one such thread matters here: the ixgbe queue task, ``kernel{ix0 que}``, started without a CPU binding
(every other thread of the test bed is pinned by cpuset or bus_bind_intr). The rule is ``sched_pickcpu`` in
10.0's ``sys/kern/sched_ule.c`` for a thread woken from thread context (the interrupt thread's wakeup of its
task: no interrupt nesting, so the "run interrupt threads where the interrupt came in" shortcut does not
apply), on a machine whose cores share one last-level cache (so the cache-group search is the whole-machine
search). Priorities are numbers where lower is better, as in the kernel; ``IDLE_PRI`` stands for a CPU with
nothing to run.

A woken thread with a better priority than the one running where it is placed preempts it
(``sched_shouldpreempt``: anything better than PRI_MIN_KERN preempts at once, by IPI on another CPU); an
equal priority waits on the run queue. The engines do that part.
"""
from __future__ import annotations

IDLE_PRI = 1 << 30  # a CPU whose run queue is empty (tdq_lowpri >= PRI_MIN_IDLE)
TICK_NS = 1_000_000  # hz = 1000
SWITCH_STACK = ("mi_switch", "sched_switch")  # where a context switch's cost shows in a profile
AFFINITY_TICKS = 2  # SCHED_AFFINITY(ts, CG_SHARE_L2): it switched out on this CPU less than 2 ticks ago


def warm(now: int, last_off: int) -> bool:
    """Whether a thread that left its CPU at ``last_off`` still has cache affinity to it at ``now``."""
    return now // TICK_NS - last_off // TICK_NS < AFFINITY_TICKS


def pick_cpu(pri: int, last: int, waker: int, lowpri: list[int], load: list[int], affine: bool, rnd) -> int:
    """The CPU for a thread of priority ``pri`` that last ran on ``last``, woken by a thread on ``waker``.

    ``lowpri[c]``: the best priority among CPU c's running and queued threads (IDLE_PRI: idle);
    ``load[c]``: how many threads it has running or queued; ``affine``: the thread ran on ``last`` recently
    (``warm``); ``rnd()``: a draw from 0 to 63 (cpu_search's random tie-break).

    1. Its last CPU, if that CPU is idle and the thread still has affinity to it.
    2. Else the least loaded CPU where it would run at once (everything there has a worse priority or nothing
       runs), else the least loaded CPU: a score of 256 per thread, minus a random 0..63, minus 64 for its
       last CPU (so the last CPU wins ties of load, and other ties are broken at random).
    3. The waking CPU instead, if the thread would run there at once, the chosen CPU is not idle and the
       waking CPU is at most one thread busier.
    """
    if affine and 0 <= last < len(lowpri) and lowpri[last] >= IDLE_PRI:
        return last
    cpu = _lowest(lowpri, load, pri, last, rnd)
    if cpu < 0:
        cpu = _lowest(lowpri, load, None, last, rnd)
    if 0 <= waker < len(lowpri) and lowpri[waker] > pri and lowpri[cpu] < IDLE_PRI and load[waker] <= load[cpu] + 1:
        cpu = waker
    return cpu


def _lowest(lowpri, load, pri, prefer, rnd) -> int:
    """sched_lowest over the whole machine: the lowest score among CPUs whose best priority is worse than
    ``pri`` (None: any CPU); -1 if none qualifies. CPUs are searched from the highest number down."""
    best, best_score = -1, None
    for c in range(len(lowpri) - 1, -1, -1):
        if pri is not None and lowpri[c] <= pri:
            continue
        score = load[c] * 256 - rnd() - (64 if c == prefer else 0)
        if best_score is None or score < best_score:
            best, best_score = c, score
    return best
