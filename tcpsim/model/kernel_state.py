"""Kernel data structures the paths act on, and the meaning of every ``Act`` and ``When`` name.

Engine-independent: an engine calls ``act``/``holds`` with the running thread's context and gives the kernel
a small ``io`` object for the effects that cross into the engine (transmit a segment, wake a thread).
"""
from __future__ import annotations

from collections import deque

from .tcp import SERVER_SEGMENTS, STATES

# What paths may name (checked when a variant is built): actions with the arguments each takes (() for none),
# the actions that may refuse and so abort their path, and the conditions of When blocks.
ACTIONS = {"state": STATES, "listen_queue_check": (), "accept_enqueue": (),
           "wake_acceptor": (), "accept_dequeue": (), "rcv_data": (), "timewait_insert": (), "tw_close_oldest": (),
           # the transmit path (model/nic.py has the driver's rules; the engine, through ``io``, the time):
           "flowid": (),  # tcp_input: the pcb learns the received frame's flow id (once; never a listen socket's)
           "tx_enqueue": SERVER_SEGMENTS,  # ixgbe_mq_start: the ring by flow id (else curcpu), drbr_enqueue
           "tx_defer": (),  # the ring's TX mutex was held: taskqueue_enqueue(txq_task) on the ring's queue
           "tx_xmit": (),  # ixgbe_xmit + the TDT doorbell for the oldest frame on the thread's ring: on the wire
           "tx_own_ring": (),  # the driver's passes work on their own queue's ring
           "tx_pass_begin": (),  # ixgbe_txeof starts: its budget is tx_process_limit frames
           "tx_reclaim": (),  # ixgbe_txeof frees one sent frame of the thread's ring
           # a socket owned by a user thread (Linux: lock_sock sets sk_lock.owned; release_sock clears it)
           "own_listen": (), "unown_listen": (),  # the accepting thread's listen socket (its ctx.listen)
           "own_conn": (), "unown_conn": (),  # the path's connection
           # sk_add_backlog: the frame being received goes to its listen socket's / connection's backlog, where
           # the owner runs it (programs.DrainBacklog); its path ends here. Full (socket_backlog frames): a drop
           "backlog_listen": (), "backlog_conn": (),
           # Linux's sk_acceptq_is_full (sock.h:723-726): refuse when the accept queue holds more than the backlog
           "acceptq_check": ()}
ABORTING_ACTIONS = ("listen_queue_check", "backlog_listen", "backlog_conn", "acceptq_check")
DEFERRING_ACTIONS = ("backlog_listen", "backlog_conn")  # a refusal that queued the frame: its path ends, no drop
GIVES_CONNECTION = ("accept_dequeue",)  # the path's connection is the one this action returns
ON_LISTEN_SOCKET = ("own_listen", "unown_listen")  # act on the thread's listen socket, not on a connection
# what an action works on besides the path's connection: tw_close_oldest the TIME-WAIT list's entry, the driver's
# transmit work its ring; every other action needs a connection (or, accept_dequeue, a listen socket of its own)
NEEDS_NO_CONNECTION = ("tw_close_oldest", "tx_defer", "tx_xmit", "tx_own_ring", "tx_pass_begin", "tx_reclaim")
CONDITIONS = ("timewait_full", "timewait_expired", "tx_pending", "tx_reclaimable", "tx_below_threshold",
              "listen_owned",  # the listen socket of the path's connection is owned (sock_owned_by_user)
              "conn_owned",  # the path's connection is owned
              # the path's connection is ESTABLISHED or later: its handshake was completed by another frame while
              # this one waited (Linux: tcp_v4_hnd_req finds the child in ehash under the listener's lock)
              "handshake_done")
COUNTERS = ("tw_recycled", "tw_expired", "listen_queue_overflow",  # Kernel.counters (a result's "kernel")
            "backlog_queued")  # frames a socket's owner ran from its backlog (sk_add_backlog succeeded)


class Connection:
    """One client connection as the server kernel and the client model see it (slots only: a TIME-WAIT list
    holds tens of thousands of them)."""

    __slots__ = (
        "cid", "queue", "bucket", "state", "t_start", "syn_tries", "rto_tries", "data_ready", "worker", "inp_lock",
        "outcome", "tw_expire", "listen", "flowid",
    )

    def __init__(self, cid: int, queue: int, bucket: int, t_start: int):
        self.cid = cid
        self.queue = queue  # RSS queue (and transmit ring) of its flow
        self.bucket = bucket  # syncache bucket
        self.state = "CLOSED"
        self.t_start = t_start
        self.syn_tries = 0
        self.rto_tries = 0
        self.data_ready = False
        self.worker = None
        self.inp_lock = None
        self.outcome = ""  # "", "completed" or a drop reason
        self.tw_expire = 0
        self.listen = 0  # listen socket (several with SO_REUSEPORT)
        self.flowid = False  # its pcb learnt the flow id of a received frame (INP_HW_FLOWID): its ring is known


class Kernel:
    """Listen queues, TIME-WAIT list and their limits (``kernel`` section of a scenario)."""

    def __init__(self, backlog: int, maxtcptw: int, msl_ns: int, listen_sockets: int = 1, nic=(),
                 tx_descriptors: int = 2048, socket_backlog: int = 0):
        self.nic = nic  # the NIC's queues (nic.QueueState): the transmit conditions read their rings
        self.tx_descriptors = tx_descriptors
        self.accept_queues = [deque() for _ in range(listen_sockets)]  # one per listen socket
        self.backlog = backlog
        self.maxtcptw = maxtcptw
        self.two_msl_ns = 2 * msl_ns
        self.timewait: deque = deque()  # oldest first; each a Connection in TIME_WAIT
        self.counters = dict.fromkeys(COUNTERS, 0)
        # socket ownership and backlogs: owned listen sockets by index, owned connections; every socket's
        # backlog in one FIFO of (socket, connection, segment), socket = a listen index or a Connection
        self.listen_owned = [False] * listen_sockets
        self.owned: set = set()
        self.backlogs: list = []  # (listen index or Connection, Connection, segment), oldest first
        self.socket_backlog = socket_backlog  # frames a socket's backlog holds (sk_add_backlog's limit)

    def prefill_timewait(self, now: int, spread_ns: int, make_conn) -> None:
        """Start as a machine that has served this load for a while: the TIME-WAIT list already at maxtcptw.

        The entries entered TIME-WAIT evenly over the last ``spread_ns``, so none expires during a short run
        and, as on the test bed, every new TIME-WAIT recycles the oldest entry inline.
        """
        n = self.maxtcptw
        for i in range(n):
            c = make_conn(-1 - i)
            c.state = "TIME_WAIT"
            c.tw_expire = now - spread_ns + (spread_ns * i) // max(n, 1) + self.two_msl_ns
            self.timewait.append(c)

    # --- conditions (When) ---------------------------------------------------------------------------------
    def holds(self, condition: str, ctx, now: int) -> bool:
        if condition == "timewait_full":
            return len(self.timewait) >= self.maxtcptw and bool(self.timewait)
        if condition == "timewait_expired":
            return bool(self.timewait) and self.timewait[0].tw_expire <= now
        if condition == "tx_pending":
            return bool(self.nic[ctx.txring].buf_ring)
        if condition == "tx_reclaimable":
            return ctx.tx_budget > 0 and bool(self.nic[ctx.txring].tx_done)
        if condition == "tx_below_threshold":
            return self.nic[ctx.txring].descriptors_low(self.tx_descriptors)
        if condition == "listen_owned":
            return self.listen_owned[ctx.conn.listen]
        if condition == "handshake_done":
            return STATES.index(ctx.conn.state) >= STATES.index("ESTABLISHED")
        if condition == "conn_owned":
            return ctx.conn in self.owned
        raise KeyError(f"unknown condition {condition!r}")

    def timewait_head(self):
        return self.timewait[0] if self.timewait else None

    # --- actions (Act) ---------------------------------------------------------------------------------------
    def act(self, name: str, arg: str, ctx, now: int, io) -> bool:
        """Apply one action; return False to abort the path."""
        conn = ctx.conn
        if name == "state":
            io.state_change(conn, arg)
            conn.state = arg
        elif name == "flowid":
            conn.flowid = True
        elif name == "tx_enqueue":
            io.tx_enqueue(ctx, conn, arg)
        elif name == "tx_defer":
            io.tx_defer(ctx)
        elif name == "tx_xmit":
            io.tx_xmit(ctx.txring)
        elif name == "tx_own_ring":
            ctx.txring = ctx.queue
        elif name == "tx_pass_begin":
            ctx.tx_budget = io.tx_process_limit
        elif name == "tx_reclaim":
            io.tx_reclaim(ctx)
        elif name == "listen_queue_check":
            # sonewconn refuses a new socket when so_qlen > 3 * so_qlimit / 2.
            if len(self.accept_queues[conn.listen]) > 3 * self.backlog // 2:
                self.counters["listen_queue_overflow"] += 1
                return False
        elif name == "acceptq_check":
            # tcp_v4_syn_recv_sock / tcp_v4_conn_request: sk_ack_backlog > sk_max_ack_backlog is full
            if len(self.accept_queues[conn.listen]) > self.backlog:
                self.counters["listen_queue_overflow"] += 1
                return False
        elif name == "accept_enqueue":
            self.accept_queues[conn.listen].append(conn)
        elif name == "wake_acceptor":
            io.wake_acceptor(conn.listen)
        elif name == "accept_dequeue":
            ctx.conn = self.accept_queues[ctx.listen].popleft()
        elif name == "rcv_data":
            conn.data_ready = True
            io.data_ready(conn)
        elif name == "timewait_insert":
            conn.tw_expire = now + self.two_msl_ns
            self.timewait.append(conn)
        elif name == "tw_close_oldest":
            # the entry whose lock the path took (ctx.tw); another thread may have unlinked it meanwhile
            old = ctx.tw if ctx.tw is not None else self.timewait[0]
            if self.timewait and self.timewait[0] is old:
                self.timewait.popleft()
            else:
                try:
                    self.timewait.remove(old)
                except ValueError:
                    return True
            old.state = "CLOSED"
            key = "tw_expired" if old.tw_expire <= now else "tw_recycled"
            self.counters[key] += 1
        elif name in ("own_listen", "unown_listen"):
            self.listen_owned[ctx.listen] = name == "own_listen"
        elif name == "own_conn":
            self.owned.add(conn)
        elif name == "unown_conn":
            self.owned.discard(conn)
        elif name in DEFERRING_ACTIONS:
            sock = conn.listen if name == "backlog_listen" else conn
            if sum(1 for b in self.backlogs if b[0] == sock) >= self.socket_backlog:
                return False  # sk_add_backlog failed: the frame is dropped
            self.backlogs.append((sock, conn, ctx.rx_seg))
            self.counters["backlog_queued"] += 1
            ctx.deferred = True
            return False
        else:
            raise KeyError(f"unknown action {name!r}")
        return True

    def backlog_take(self, sock):
        """The oldest frame (connection, segment) in ``sock``'s backlog, removed; None when it has none."""
        for i, b in enumerate(self.backlogs):
            if b[0] == sock:  # a listen index, or a Connection (compared by identity)
                del self.backlogs[i]
                return b[1], b[2]
        return None
