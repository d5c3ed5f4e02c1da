"""Linux 4.4 as a kernel package: Linux 3.10's (``kernels/linux310``) with the changes between them on this
workload's path applied as patches (``linux310/variants.py``: ``LINUX44``) -- the lockless listener, TIME-WAIT
timers instead of the death row, fd_install under RCU, epoll_ctl ADD without the global epmutex, queued
spinlocks -- and every site at its 4.4.1 line (``LINES_441``). Same driver, application, dispatch, costs and
defaults as 3.10, except where said below.

Not carried over from 4.4 (not modelled): the ixgbe driver's 4.4 changes, the scheduler's, TCP's own per-segment
work (the costs are 3.10's), SO_REUSEPORT's 4.4 socket groups (4.6: BPF selection; 4.4 still scores the chain).
"""
from __future__ import annotations

from dataclasses import replace

from ..model import checks
from ..model.patches import apply
from ..model.variants import Variant
from .linux310 import PACKAGE as LINUX310
from .linux310 import locks as l310
from .linux310.variants import LINUX44, REUSEPORT


def _build():
    paths, locks, options = LINUX310.paths, LINUX310.locks, {}
    for v in LINUX44:
        paths, locks, options = apply(paths, locks, v.patches, f"Linux 4.4 ({v.name})", options)
        checks.check(paths, locks, f"Linux 4.4 ({v.name})", LINUX310.connectionless)
    return paths, locks


PATHS, LOCKS = _build()

# lockdep's order on 4.4's paths: the handshake takes the child's spinlock, the bind bucket, the ehash lock,
# then the accept queue's rskq_lock, then the listener's wait queue; no listener spinlock in softirq any more
# (accept()'s lock_sock still takes it, alone); no SYN table lock, no death_lock
DOCUMENTED_ORDER = (
    l310.LISTENER_SLOCK, l310.SLOCK, "&(&tcp_hashinfo.bhash[i].lock)->rlock", "&(&hashinfo->ehash_locks[i])->rlock",
    "&queue->rskq_lock", "&wq->wait", "&(&sch->q.lock)->rlock", "_xmit_ETHER", "&(&newf->file_lock)->rlock",
    "epmutex",
)

PACKAGE = replace(
    LINUX310,
    name="linux44",
    title="Linux 4.4",
    paths=PATHS,
    locks=LOCKS,
    documented_order=DOCUMENTED_ORDER,
    variants={"baseline": Variant("baseline", "Linux 4.4 as modelled: Linux 3.10's paths with the 4.4 changes "
                                  "(kernels/linux44.py)."), "reuseport": REUSEPORT},
    # TIME-WAIT socks expire on their own timers, run by the timer softirq every jiffy (HZ = 1000): the callout
    # that kills expired entries runs every 1 ms instead of the 3.10 death row's 7.5 s
    defaults={**LINUX310.defaults, "kernel.slowtimo_ms": 1.0},
)
