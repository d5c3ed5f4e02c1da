# Part of tcpsim._fast (included by _fast.pyx): the constants, the enums that number the model's names (checked
# against the model at import) and the C records -- locks, connections, held locks, rings, threads, CPUs, NIC
# queues -- with the helpers that set them up.

DEF W = 10          # fields per instruction
DEF BOUNDARY_FIELD = 9  # of a step's instruction: what happens before it (0, or BOUNDARY_* below)
DEF MAXHELD = 24    # locks one thread holds at once (recursion included)
DEF MAXWHEN = 4     # conditional blocks nested in one path

WIDTH = W
MAX_WHEN = MAXWHEN
BOUNDARY = BOUNDARY_FIELD
BOUNDARY_PREEMPT = 1  # take a pending preemption first
BOUNDARY_FLUSH = 2    # wait out the pending work first, then take a pending preemption

cdef enum:
    OP_WORK, OP_FLUSH, OP_PREEMPT, OP_STEP, OP_ENTER, OP_ACQ, OP_TRY, OP_REL, OP_ACT, OP_WHEN, OP_AGAIN, OP_STOP, OP_RET,
    OP_JUMP, OP_IFNOT, OP_SLEEP, OP_TICK, OP_CALL, OP_RXBEGIN, OP_RXNEXT, OP_RXDISP, OP_RXDRET, OP_RXEND,
    OP_TAKETASK, OP_MODERATE, OP_UNMASK, OP_WAKETASK, OP_COUNT, OP_TAKEREADY, OP_HANDOFF, OP_RETIRE, OP_THINK,
    OP_BLBEGIN, OP_BLNEXT, OP_BLEND

OPCODES = dict(
    WORK=OP_WORK, FLUSH=OP_FLUSH, PREEMPT=OP_PREEMPT, STEP=OP_STEP, ENTER=OP_ENTER, ACQ=OP_ACQ, TRY=OP_TRY, REL=OP_REL,
    ACT=OP_ACT, WHEN=OP_WHEN, AGAIN=OP_AGAIN, STOP=OP_STOP, RET=OP_RET, JUMP=OP_JUMP, IFNOT=OP_IFNOT,
    SLEEP=OP_SLEEP, TICK=OP_TICK, CALL=OP_CALL, RXBEGIN=OP_RXBEGIN, RXNEXT=OP_RXNEXT, RXDISP=OP_RXDISP,
    RXDRET=OP_RXDRET, RXEND=OP_RXEND, TAKETASK=OP_TAKETASK, MODERATE=OP_MODERATE,
    UNMASK=OP_UNMASK, WAKETASK=OP_WAKETASK, COUNT=OP_COUNT, TAKEREADY=OP_TAKEREADY, HANDOFF=OP_HANDOFF,
    RETIRE=OP_RETIRE, THINK=OP_THINK, BLBEGIN=OP_BLBEGIN, BLNEXT=OP_BLNEXT, BLEND=OP_BLEND,
)

# event kinds
cdef enum:
    EV_RESUME, EV_NIC_RX, EV_INTERRUPT, EV_CLIENT_RX, EV_CLIENT_SEND, EV_NEWCONN, EV_ARRIVAL, EV_HANDOFF,
    EV_RSPIN, EV_SAMPLE, EV_WATCHDOG

# what a thread does when its resume event pops
cdef enum:
    RK_CONT, RK_GRANTED, RK_ONCPU, RK_SPIN, RK_LOCKRETRY

# a spinning waiter's outcomes (the values the reference's waiter events succeed with)
cdef enum:
    OUT_GRANTED, OUT_RETRY, OUT_PREEMPT, OUT_SLEEP

# lock scopes, program conditions (SCOPES, PROGRAM_CONDITIONS below), kernel conditions and actions
# (kernel_state.CONDITIONS / ACTIONS, in that order: checked below)
cdef enum:
    SC_GLOBAL, SC_CONNECTION, SC_LISTEN, SC_BUCKET, SC_TIMEWAIT, SC_GROUP, SC_TWGROUP, SC_TXRING
cdef enum:
    PC_BUDGET, PC_READY, PC_ACCEPTQ, PC_TASKPEND, PC_TASKRX
cdef enum:
    KC_TWFULL, KC_TWEXPIRED, KC_TXPEND, KC_TXRECLAIM, KC_TXLOW, KC_LOWNED, KC_COWNED
cdef enum:
    A_STATE, A_LISTEN_CHECK, A_ACCEPT_ENQ, A_WAKE_ACCEPTOR, A_ACCEPT_DEQ, A_RCV_DATA, A_TW_INSERT, A_TW_CLOSE,
    A_FLOWID, A_TX_ENQ, A_TX_DEFER, A_TX_XMIT, A_TX_OWN, A_TX_BEGIN, A_TX_RECLAIM,
    A_OWN_L, A_UNOWN_L, A_OWN_C, A_UNOWN_C, A_BL_L, A_BL_C
# a queue's tasks (nic.RX_TASK, nic.TX_TASK)
cdef enum:
    TASK_RX, TASK_TX

# probe points, in observe.probes.PROBES order (checked below): each has its own flag, so an attached probe costs
# only where it fires
cdef enum:
    P_STATE, P_RECEIVE, P_SEND, P_DROP, P_LOCK, P_ONCPU = 12, P_OFFCPU, P_PREEMPT, P_MSIX, P_RXEOF, P_ENABLE, P_DEFERRED, NPROBES
if (PROBES[P_STATE], PROBES[P_LOCK], PROBES[P_LOCK + 4], PROBES[P_ONCPU], PROBES[P_MSIX], len(PROBES)) != (
        "tcp:::state-change", "lockstat:::rw-acquire", "lockstat:::adaptive-acquire", "sched:::on-cpu",
        INTERRUPT_PROBE, NPROBES):
    raise ImportError("tcpsim._fast: its probe numbering no longer matches observe.probes.PROBES")

cdef enum:
    K_ITHREAD, K_TASKQUEUE, K_ACCEPTOR, K_WORKER, K_CALLOUT, K_BENCH
# lock classes (model/lockclasses.CLASSES, in that order: checked below)
cdef enum:
    CL_ADAPTIVE, CL_SPIN, CL_TICKET, CL_MCS, CL_EPOCH
cdef enum:
    CAT_USER, CAT_SYSTEM, CAT_INTERRUPT
cdef enum:
    OUTC_NONE, OUTC_COMPLETED, OUTC_SYN_TIMEOUT, OUTC_PREFILL
DEF REASON_RING_FULL = 0
DEF REASON_SYN_TIMEOUT = 1
DEF NSEG = 9
DEF NSTATES = 6
DEF NCOUNTERS = 5

# The numbering of the enums above, as names (lowering.py numbers the model's names with these), and a check at
# import that the model's own lists still have the order the enums assume.
SCOPES = ("global", "connection", "listen", "bucket", "timewait", "group", "timewait_group", "txring")
PROGRAM_CONDITIONS = ("rx_budget_used", "ready", "accept_queue", "task_pending", "task_is_rx")
KINDS = ("ithread", "taskqueue", "acceptor", "worker", "callout", "bench")
if (tuple(ACTIONS), CONDITIONS, CATEGORIES, len(CLIENT_SEGMENTS + SERVER_SEGMENTS), len(STATES),
        len(NIC_COUNTERS)) != (
        ("state", "listen_queue_check", "accept_enqueue", "wake_acceptor", "accept_dequeue", "rcv_data",
         "timewait_insert", "tw_close_oldest", "flowid", "tx_enqueue", "tx_defer", "tx_xmit", "tx_own_ring",
         "tx_pass_begin", "tx_reclaim", "own_listen", "unown_listen", "own_conn", "unown_conn", "backlog_listen",
         "backlog_conn"),
        ("timewait_full", "timewait_expired", "tx_pending", "tx_reclaimable", "tx_below_threshold", "listen_owned",
         "conn_owned"),
        ("user", "system", "interrupt"), NSEG, NSTATES, NCOUNTERS) or (RX_TASK, TX_TASK) != ("rx", "tx"):
    raise ImportError("tcpsim._fast: its numbering of actions, conditions, CPU time categories, segments, states or "
                      "NIC counters no longer matches the model's")
if tuple(LOCK_CLASSES) != ("adaptive", "spin", "ticket", "mcs", "epoch"):
    raise ImportError("tcpsim._fast: its numbering of lock classes no longer matches model.lockclasses.CLASSES")


ctypedef struct Lock:
    int64_t hold_start
    int32_t hold_row     # lock-profile row of the current write hold, -1: outside the window
    int16_t decl         # the declaration it is an instance of (kind, recursion, display)
    int16_t owner        # write owner (thread), -1 none
    int16_t wrec         # write recursion beyond the first hold
    int16_t nreaders
    int64_t ep_seq       # epoch class: read sections entered so far
    int64_t line_free    # when the lock word's line's last transfer under way ends (rwlock.LockState.line_free)
    int16_t last_cpu     # CPU that last updated the lock word (where its line is), -1 never
    int16_t spin_head, spin_tail, sleep_head, sleep_tail   # waiters, intrusive through the threads
    int16_t nspin        # spinners listed (the race draws among them without counting the list)
    int16_t won          # the writer the race picked, its hand-off pending (-1: none, or readers won)
    int8_t in_transit

ctypedef struct Conn:
    int64_t t_start
    int64_t tw_expire
    Lock lock            # its inpcb lock
    int32_t cid
    int32_t refs         # whatever still names it: the client, events, rings, queues, threads, the TIME-WAIT list
    int32_t tw_next, tw_prev   # TIME-WAIT list links (tw_next: free list link when unused)
    int16_t queue, bucket, listen, worker
    int8_t state, syn_tries, rto_tries, data_ready, outcome, in_tw, used, flowid
    int8_t owned         # a user thread owns its socket (Linux's lock_sock): frames go to its backlog

ctypedef struct Held:
    int64_t start        # read hold: when it began
    int32_t lock
    int32_t site
    int32_t row          # read hold: its lock-profile row, -1 outside the window
    int16_t display
    int8_t mode

ctypedef struct Ring:        # a circular buffer of int32 (a growable one when cap grows)
    int32_t* buf
    int32_t head, n, cap

ctypedef struct Thread:
    int64_t last_off, pend
    int64_t w_first, w_spin_start, w_gen
    int64_t when_t[MAXWHEN]
    int64_t when_acts[MAXWHEN]
    int64_t busy[3]
    int64_t* by_cpu
    int32_t pc, ret, resume, after
    int32_t cpu, pri, bound, mode, kind, queue, listen, basevar
    int32_t running, preempt, wake_wait, spin_active
    int32_t preempted_here  # it yielded its CPU at the boundary of the step at pc: do not take it again
    int32_t conn, tw, rlocks, path, ok, abort_reason, budget_used
    int32_t rx_n, rx_conn, rx_seg, ndisp, disp_i
    int32_t deferred     # its last aborted path queued its frame on a socket's backlog (not a drop)
    int32_t bl_own       # DrainBacklog: the thread's own connection, current again when the backlog is empty
    int32_t txring, tx_budget, task   # the ring its TX work is on; txeof's budget left; the task taken
    int32_t smt          # SMT: its current work advance's time in thousandths of its costs (model/topology.py)
    int32_t disp[2]
    int32_t w_lock, w_mode, w_row, w_site, w_sidx, w_spin_sidx
    int32_t w_spinning, w_on_readers, w_triggered, w_outcome, w_won, w_next, w_prev
    int32_t w_listed     # on its lock's spinner list
    int32_t nheld
    Held held[MAXHELD]
    Ring ready

ctypedef struct Cpu:
    int32_t current
    int32_t nrunq
    int32_t* rq_thread
    int64_t* rq_seq

ctypedef struct Queue:
    int32_t* ring_conn
    int8_t* ring_seg
    int32_t ring_head, ring_n
    Ring tx_done
    Ring buf_ring        # frames queued by ixgbe_mq_start: connection << 4 | segment
    int32_t buf_max      # the deepest the buf_ring got
    int32_t ntasks
    int8_t tasks[2]      # pending on the queue's taskqueue, oldest first (TASK_RX, TASK_TX), each at most once
    int64_t last_intr, rx_bytes, tx_bytes, tx_packets
    int32_t masked, scheduled, eitr, eitr_setting
    int64_t counts[NCOUNTERS]


cdef inline void ring_init(Ring* r, int32_t cap) noexcept:
    r.buf = <int32_t*>malloc(cap * sizeof(int32_t))
    r.head = 0
    r.n = 0
    r.cap = cap


cdef inline void ring_push(Ring* r, int32_t v) noexcept:
    cdef int32_t i, j
    cdef int32_t* nb
    if r.n == r.cap:
        nb = <int32_t*>malloc(2 * r.cap * sizeof(int32_t))
        for i in range(r.n):
            j = r.head + i
            if j >= r.cap:
                j -= r.cap
            nb[i] = r.buf[j]
        free(r.buf)
        r.buf = nb
        r.head = 0
        r.cap *= 2
    j = r.head + r.n
    if j >= r.cap:
        j -= r.cap
    r.buf[j] = v
    r.n += 1


cdef inline int32_t ring_pop(Ring* r) noexcept:
    cdef int32_t v = r.buf[r.head]
    r.head += 1
    if r.head == r.cap:
        r.head = 0
    r.n -= 1
    return v


cdef inline void _lock_init(Lock* L, int decl) noexcept:
    memset(L, 0, sizeof(Lock))
    L.decl = decl
    L.owner = -1
    L.last_cpu = -1
    L.hold_row = -1
    L.spin_head = L.spin_tail = L.sleep_head = L.sleep_tail = -1
    L.won = -1


cdef inline void seed_stream(uint64_t* s, uint64_t seed, str name):
    """tcpsim.rng.Stream(seed, name)'s state: the same draws as the reference engine's streams."""
    _xoshiro_seed(s, seed, stream_id(name))
