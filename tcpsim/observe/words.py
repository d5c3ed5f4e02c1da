"""The words a kernel's views speak: which views a run prints, and the kernel's own names in them.

A kernel package (``tcpsim/kernels``) carries ``words``, a dict; ``words(name)`` is that dict over the defaults
below, so a package only states what differs. The keys:

* ``views``: ``"freebsd"`` (``top -SHIPz``, ``vmstat -i``, LOCK_PROFILING, ``pmcstat -G``, DTrace probe names) or
  ``"linux"`` (``mpstat -P ALL``, ``top -H``, ``/proc/interrupts``, ``/proc/lock_stat``, ``perf report -g``,
  tracepoint names);
* ``release``: the kernel release the views name (``uname -r``);
* ``lock_stat``: the ``/proc/lock_stat`` version, which fixes its columns (observe/lockstat.py);
* ``perf_event``: the event ``perf record`` samples;
* ``not_tasks``: the thread kinds (model/threads.py) that stand for a context the kernel does not run as a task
  (Linux's softirq on an interrupt's exit): ``top -H`` leaves them out, their time shows on the CPU lines alone;
* ``spin``: where a lock waiter's spinning shows in a sampled stack, keyed ``(class, kind, mode)`` like
  ``model/rwlock.py``'s CLASS_SPIN_FUNCTION, each value the frames below the caller (outermost first). Absent:
  FreeBSD's (rwlock.py). Read by both engines when they lower a lock step (spin_frames);
* ``probes``: the kernel's name for each of the model's probes (observe/probes.py) that has one; the probes
  without one keep the model's name;
* ``switch_stack``: where a context switch's cost shows (the engines read it from the package itself:
  ``KernelPackage.word``).

A package's ``words`` are laid over its DEFAULTS entry here for the views; the engines' own lookups
(``KernelPackage.word``) read the package's dict alone, so a Linux package passes ``words=LINUX_310`` (or a dict
built on it) for both to agree.

Linux 3.10.0's names, each read in that version's source (``ghosteyezz/my-study-linux-3.10``; 4.4.1:
``zanpocc/linux-4.4.1``):

* spinlock_t (ticket lock, class ``ticket``): ``spin_lock`` is ``_raw_spin_lock`` (kernel/spinlock.c:135) with
  ``arch_spin_lock``'s ticket loop inlined (arch/x86/include/asm/spinlock.h); ``spin_lock_bh`` sites are
  ``_raw_spin_lock_bh`` in the kernel, shown as ``_raw_spin_lock`` here (the model's lock step has no bh flag);
* rwlock_t (class ``spin``, kind ``rw``): ``_raw_write_lock`` / ``_raw_read_lock`` whose inlined ``arch_write_lock``
  / ``arch_read_lock`` call ``__write_lock_failed`` / ``__read_lock_failed`` on contention
  (arch/x86/include/asm/spinlock.h:172-185, arch/x86/lib/rwlock.S:14, :30): the spinning is in those;
* mutex (class ``adaptive``): ``mutex_lock`` -> ``__mutex_lock_slowpath`` (kernel/mutex.c:547; the common part is
  inline) spins in ``mutex_spin_on_owner`` (noinline, :187) while the owner runs;
* rw_semaphore (``adaptive`` rw): ``rwsem_down_write_failed`` / ``rwsem_down_read_failed`` (lib/rwsem.c:193, :146);
* 4.4's qspinlock (class ``mcs``): ``_raw_spin_lock`` -> ``queued_spin_lock_slowpath``
  (include/asm-generic/qspinlock.h:83; kernel/locking/spinlock.c:149);
* an RCU-protected structure's updaters (class ``epoch``) take a spinlock: ``_raw_spin_lock``.

Tracepoints of 3.10 (include/trace/events/: ``net.h``, ``napi.h``, ``irq.h``, ``lock.h``, ``skb.h``, ``sched.h``;
neither 3.10.0 nor 4.4.1 has a ``tcp.h`` there, nor ``lock:contention_begin/end``, which came later): a state
change is a kprobe on ``tcp_set_state`` (net/ipv4/tcp.c:1945; ``perf probe -a tcp_set_state`` names it
``probe:tcp_set_state``); a frame received ``net:netif_receive_skb``, sent ``net:net_dev_xmit``, dropped
``skb:kfree_skb``; lockdep's (CONFIG_LOCK_STAT) ``lock:lock_acquired`` when a lock is obtained, ``lock:lock_contended`` for a contended wait
(the model fires it when the wait ends, with its length), ``lock:lock_release``; ``sched:sched_switch`` when a
thread gets a CPU; the NIC vector's ``irq:irq_handler_entry``, which is also ``irq:softirq_raise`` (its handler,
ixgbe_msix_clean_rings, schedules NAPI, which raises NET_RX); a NAPI poll's end ``napi:napi_poll``; the vector
re-enabled when a poll is done, a kprobe on ``napi_complete`` (net/core/dev.c:4091; ixgbe_irq_enable_queues is
inline). ``irq:softirq_entry`` and ``irq:softirq_exit`` have no model event (a softirq pass is not one); the
model's probes without a Linux name (``sched:::off-cpu``, ``sched:::preempt``, ``lockstat:::*-block``: Linux
spinlocks never sleep, FreeBSD's deferred transmit start) keep the model's names.
"""
from __future__ import annotations

from ..kernels import package
from ..model.steps import READ, WRITE

__all__ = ["FREEBSD", "LINUX_310", "LINUX_44", "LINUX_PROBES", "words"]

FREEBSD = {"views": "freebsd", "release": "10.0-RELEASE"}

# The model's probe -> Linux's name (the docstring says where each comes from).
LINUX_PROBES = {
    "tcp:::state-change": "probe:tcp_set_state", "tcp:::receive": "net:netif_receive_skb",
    "tcp:::send": "net:net_dev_xmit", "tcp:::drop": "skb:kfree_skb",
    "lockstat:::rw-acquire": "lock:lock_acquired", "lockstat:::adaptive-acquire": "lock:lock_acquired",
    "lockstat:::rw-spin": "lock:lock_contended", "lockstat:::adaptive-spin": "lock:lock_contended",
    "lockstat:::rw-release": "lock:lock_release", "lockstat:::adaptive-release": "lock:lock_release",
    "sched:::on-cpu": "sched:sched_switch",
    # the vector's handler schedules NAPI, which raises NET_RX: one model event, two of Linux's
    "fbt::ixgbe_msix_que:entry": ("irq:irq_handler_entry", "irq:softirq_raise"),
    "fbt::ixgbe_rxeof:return": "napi:napi_poll", "fbt::ixgbe_enable_queue:entry": "probe:napi_complete",
}

LINUX_310 = {
    "views": "linux", "release": "3.10.0", "lock_stat": "0.3", "perf_event": "cycles",
    # the thread kinds that stand for softirq context, not a task (top -H leaves them out; their time is si)
    "not_tasks": ("ithread", "callout"),
    "spin": {
        ("ticket", "mtx", WRITE): ("_raw_spin_lock",), ("spin", "mtx", WRITE): ("_raw_spin_lock",),
        ("spin", "rw", WRITE): ("_raw_write_lock", "__write_lock_failed"),
        ("spin", "rw", READ): ("_raw_read_lock", "__read_lock_failed"),
        ("adaptive", "mtx", WRITE): ("__mutex_lock_slowpath", "mutex_spin_on_owner"),
        ("adaptive", "rw", WRITE): ("rwsem_down_write_failed",), ("adaptive", "rw", READ): ("rwsem_down_read_failed",),
        ("mcs", "mtx", WRITE): ("_raw_spin_lock", "queued_spin_lock_slowpath"),
        ("epoch", "rw", WRITE): ("_raw_spin_lock",),
    },
    "probes": LINUX_PROBES,
    # where a context switch shows (KernelPackage.word("switch_stack"): the engines read the package's own words,
    # so a Linux package gives words=LINUX_310): schedule -> __schedule, context_switch inline
    # (kernel/sched/core.c:3041, :2950, :1979)
    "switch_stack": ("schedule", "__schedule"),
}

# Linux 4.4 (kernels/linux44.py): the same names (its spinlocks are the qspinlock's, class mcs, above), the
# release, and /proc/lock_stat version 0.4 (4.4.1 kernel/locking/lockdep_proc.c: the average columns)
LINUX_44 = {**LINUX_310, "release": "4.4.1", "lock_stat": "0.4"}

# What a package's words are laid over, by kernel name; a kernel not named here gets FreeBSD's.
DEFAULTS = {"freebsd10": FREEBSD, "linux310": LINUX_310, "linux44": LINUX_44}


def words(kernel_name: str) -> dict:
    """The view words of a kernel: its package's ``words`` over DEFAULTS."""
    return {**DEFAULTS.get(kernel_name, FREEBSD), **package(kernel_name).words}
