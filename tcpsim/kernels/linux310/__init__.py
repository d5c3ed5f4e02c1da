"""Linux 3.10 (its in-tree ixgbe driver, and the article's server application as on Linux) as a kernel
package (issue #17, items 2, 3, 6): ``[scenario] kernel = "linux310"``.

Facts, with the 3.10.0 ``file:line`` of each: ``docs/linux-facts.md``; the sites table and each site's status
in the model: ``docs/linux-lock-sites.md``. Modules: ``locks`` (declarations, lockdep order), ``paths``
(receive, TCP segments, transmit, the TIME-WAIT hangman), ``syscalls`` (the application's system calls),
``threads`` (softirq, ksoftirqd, accept thread, epoll workers, hangman), ``dispatch`` (which paths a segment
runs), costs ``tcpsim/data/linux310.toml``.
"""
from __future__ import annotations

from ...model.programs import connectionless_paths
from ...rss import RSS_QUEUES
from .. import KernelPackage
from . import dispatch, locks, paths, syscalls, threads, variants

PATHS = {**paths.RECEIVE_PATHS, **syscalls.SYSCALL_PATHS}

# Scenario keys whose Linux 3.10 value differs from the schema's (FreeBSD's) default: a file that gives the key
# keeps its own value.
DEFAULTS = {
    # ixgbe_poll's weight (netif_napi_add(..., 64), ixgbe_lib.c:812): the RX pass of one NAPI poll
    "hardware.rx_process_limit": threads.NAPI_WEIGHT,
    # IXGBE_DEFAULT_RXD / TXD (ixgbe.h:60, :65)
    "hardware.rx_ring_descriptors": 512,
    "hardware.tx_ring_descriptors": 512,
    # ixgbe's initial ITR, IXGBE_20K_ITR (ixgbe_lib.c:835-836), kept fixed: its dynamic ITR is not FreeBSD's AIM
    # and is not modelled (threads.py)
    "hardware.max_interrupt_rate": 20_000,
    "hardware.enable_aim": False,
    # ksoftirqd/N is per CPU, bound (the engines' queue task)
    "hardware.que_task_cpu": "queue",
    # the death row's period: TCP_TIMEWAIT_LEN / INET_TWDR_TWKILL_SLOTS = 60 s / 8 (inet_timewait_sock.h:62)
    "kernel.slowtimo_ms": 7500.0,
    # TCP_TIMEWAIT_LEN = 60 s (tcp.h:117) = 2 MSL
    "kernel.msl_s": 30.0,
    # tcp_max_tw_buckets = ehash size / 2 (tcp.c:3424); the ehash has one slot per 128 KB of memory, at most
    # 512K (tcp.c:3390-3398): 262,144 slots on the 32 GB this assumes (the article does not give its memory)
    "kernel.maxtcptw": 131_072,
    # sk_add_backlog's limit (tcp_v4_rcv, tcp_ipv4.c:2039-2040): sk_rcvbuf + sk_sndbuf bytes of skb truesize,
    # refused once backlog + receive queue exceed it (sk_rcvqueues_full, sock.h:768-786). A listener's buffers
    # are tcp_rmem[1] + tcp_wmem[1] = 87,380 + 16,384 = 103,764 bytes (tcp.c:416-417). ixgbe copies a frame of at
    # most IXGBE_RX_HDR_SIZE = 256 bytes (all of this workload's) into an skb allocated for 256 bytes
    # (ixgbe_add_rx_frag, ixgbe_main.c:1752; netdev_alloc_skb_ip_align, :1825): truesize = SKB_TRUESIZE of its
    # 320-byte aligned data = 320 + sk_buff + skb_shared_info ~ 896 bytes (the two structs' sizes are this
    # package's estimate: 3.10 x86-64, not measured). So 116 frames fit: frame n is refused when
    # (n - 1) x 896 > 103,764. Not modelled: __release_sock zeroes the byte count only when the whole backlog
    # is drained, so frames run meanwhile still count against the limit.
    "kernel.socket_backlog": 116,
}

PACKAGE = KernelPackage(
    name="linux310",
    title="Linux 3.10",
    paths=PATHS,
    locks=locks.LOCKS,
    documented_order=locks.DOCUMENTED_ORDER,
    variants=variants.BUILTIN,
    thread_specs=threads.thread_specs,
    paths_for=dispatch.paths_for,
    backlog_paths_for=dispatch.backlog_paths_for,
    costs_file="linux310.toml",
    sites_doc="docs/linux-lock-sites.md",
    connectionless=connectionless_paths(threads.PROGRAMS),
    defaults=DEFAULTS,
    # RSS queues: min(IXGBE_MAX_RSS_INDICES = 16, CPUs) (ixgbe.h:280; ixgbe_sw_init, ixgbe_main.c:4561). Flow
    # Director's ATR, on by default (atr_sample_rate 20), makes min(63, CPUs) queues and steers a sampled flow to
    # the queue of the CPU that sent it (ixgbe_set_rss_queues, ixgbe_lib.c:599; ixgbe_atr): not modelled
    max_queues=RSS_QUEUES,
    # a context switch shows under __schedule (sched/core.c:2969, where it takes the runqueue lock)
    words={"switch_stack": ("schedule", "__schedule")},
)
