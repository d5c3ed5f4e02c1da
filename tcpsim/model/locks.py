"""Lock declarations: the kernel locks the paths use, named as FreeBSD's lock profiler prints them.

``scope`` says how a path's lock name resolves to a lock object at run time:
``global`` (one object), ``connection`` (the connection's own inpcb lock), ``listen`` (the listen socket's
inpcb lock, shared by every SYN and handshake ACK), ``bucket`` (the syncache hash bucket of the connection),
``timewait`` (the inpcb lock of the TIME-WAIT entry being recycled), ``group`` / ``timewait_group`` (the
connection's or the TIME-WAIT entry's RSS group), ``txring`` (the transmit ring the thread works on: the one its
last send chose, or a driver thread's own queue's).
Facts: ``shared/reference/freebsd10-locking.md`` (locks table and lock order).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LockDecl:
    name: str  # name used in paths
    kind: str  # "rw" or "mtx"
    display: str  # as LOCK_PROFILING prints it: "rw:tcp"
    scope: str
    recursive: bool = False
    cls: str = "adaptive"  # the implementation (lockclasses.CLASSES): how waiters wait and a release hands off


BASE_LOCKS = {
    d.name: d
    for d in (
        # V_tcbinfo.ipi_lock, the global TCP pcbinfo lock; recursive (tcp_attach re-takes it under tcp_input)
        LockDecl("tcp", "rw", "rw:tcp", "global", recursive=True),
        LockDecl("pcbinfohash", "rw", "rw:pcbinfohash", "global"),
        LockDecl("inp", "rw", "rw:tcpinp", "connection", recursive=True),
        LockDecl("listen_inp", "rw", "rw:tcpinp", "listen", recursive=True),
        LockDecl("tw_inp", "rw", "rw:tcpinp", "timewait", recursive=True),
        # accept_mtx: ONE mutex for every listen queue in 10.0 (ACCEPT_LOCK)
        LockDecl("accept", "mtx", "sleep mutex:accept", "global"),
        LockDecl("syncache", "mtx", "sleep mutex:tcp_sc_head", "bucket"),
        # ixgbe 2.5.15's per-ring TX mutex (txr->tx_mtx, MTX_DEF, named "ix0:tx(N)" by ixgbe_allocate_queues;
        # the model's rows sum the rings: one row per site). A mutex's class prints as "sleep mutex", as
        # LOCK_PROFILING prints lock_class_mtx_sleep's lc_name (lock_prof_output, kern/subr_lock.c)
        LockDecl("txring", "mtx", "sleep mutex:ix0:tx", "txring"),
        # if_vlan's trunk lock (struct ifvlantrunk's rw, named VLANNAME "vlan"): one per parent interface,
        # read-locked by vlan_input for every tagged frame ([hardware] vlan)
        LockDecl("vlan", "rw", "rw:vlan", "global"),
        # read-locked by ip_output for every frame sent: the IPv4 routing table's radix head (rnh_lock, "radix
        # node head") and the outgoing interface's if_afdata_lock ("if_afdata", the ARP table)
        LockDecl("rtable", "rw", "rw:radix node head", "global"),
        LockDecl("afdata", "rw", "rw:if_afdata", "global"),
    )
}

# The documented order, by lock class: rw:tcp before any rw:tcpinp before rw:pcbinfohash (and, after r286227,
# rw:pcbinfolist after the pcb lock). WITNESS reports the edge that goes against it as the reversal.
DOCUMENTED_ORDER = ("rw:tcp", "rw:tcpinp", "rw:pcbinfohash", "rw:pcbinfolist")
