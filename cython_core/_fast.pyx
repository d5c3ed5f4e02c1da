# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The fast engine's runtime (private; use ``tcpsim.engines.fast_engine``).

It interprets the tables ``tcpsim.engines.lowering`` makes of a ``Model`` -- the same thread programs and kernel
paths the SimPy engine interprets -- with its own event heap keyed by (time, sequence), and keeps threads, CPUs,
locks, NIC queues and connections in C structs. It mirrors the SimPy engine event for event: every place that
engine schedules a SimPy event that resumes a process or runs a callback, this one pushes a heap entry, in the
same order, so equal times break the same way and both engines produce the same probe trace (the differential
tests compare them). Names of the reference's methods are given where a function here mirrors one.

No Python object is made per event or per connection: a connection is a slot in a pool (its inpcb lock
embedded), found again by index. Probes, the time series, the deadlock watchdog and errors call back into
Python; one flag test each when nothing is attached.
"""

from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc, qsort, realloc
from libc.string cimport memset

from prims cimport _bounded, _expovariate, _to_unit, _toeplitz, _xoshiro_next, _xoshiro_seed

cimport cython

from tcpsim.errors import TcpsimError
from tcpsim.invariants import CATEGORIES
from tcpsim.model.kernel_state import ACTIONS, CONDITIONS
from tcpsim.model.nic import DESCRIPTORS_PER_FRAME, RX_TASK, TX_TASK
from tcpsim.model.programs import INTERRUPT_PROBE, NIC_COUNTERS
from tcpsim.model.tcp import CLIENT_SEGMENTS, SERVER_SEGMENTS, STATES
from tcpsim.observe.probes import PROBES
from tcpsim.observe.results import SERIES
from tcpsim.rng import stream_id

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
    OP_TAKETASK, OP_MODERATE, OP_UNMASK, OP_WAKETASK, OP_COUNT, OP_TAKEREADY, OP_HANDOFF

OPCODES = dict(
    WORK=OP_WORK, FLUSH=OP_FLUSH, PREEMPT=OP_PREEMPT, STEP=OP_STEP, ENTER=OP_ENTER, ACQ=OP_ACQ, TRY=OP_TRY, REL=OP_REL,
    ACT=OP_ACT, WHEN=OP_WHEN, AGAIN=OP_AGAIN, STOP=OP_STOP, RET=OP_RET, JUMP=OP_JUMP, IFNOT=OP_IFNOT,
    SLEEP=OP_SLEEP, TICK=OP_TICK, CALL=OP_CALL, RXBEGIN=OP_RXBEGIN, RXNEXT=OP_RXNEXT, RXDISP=OP_RXDISP,
    RXDRET=OP_RXDRET, RXEND=OP_RXEND, TAKETASK=OP_TAKETASK, MODERATE=OP_MODERATE,
    UNMASK=OP_UNMASK, WAKETASK=OP_WAKETASK, COUNT=OP_COUNT, TAKEREADY=OP_TAKEREADY, HANDOFF=OP_HANDOFF,
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
    KC_TWFULL, KC_TWEXPIRED, KC_TXPEND, KC_TXRECLAIM, KC_TXLOW
cdef enum:
    A_STATE, A_LISTEN_CHECK, A_ACCEPT_ENQ, A_WAKE_ACCEPTOR, A_ACCEPT_DEQ, A_RCV_DATA, A_TW_INSERT, A_TW_CLOSE,
    A_FLOWID, A_TX_ENQ, A_TX_DEFER, A_TX_XMIT, A_TX_OWN, A_TX_BEGIN, A_TX_RECLAIM
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
    K_ITHREAD, K_TASKQUEUE, K_ACCEPTOR, K_WORKER, K_CALLOUT
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
KINDS = ("ithread", "taskqueue", "acceptor", "worker", "callout")
if (tuple(ACTIONS), CONDITIONS, CATEGORIES, len(CLIENT_SEGMENTS + SERVER_SEGMENTS), len(STATES),
        len(NIC_COUNTERS)) != (
        ("state", "listen_queue_check", "accept_enqueue", "wake_acceptor", "accept_dequeue", "rcv_data",
         "timewait_insert", "tw_close_oldest", "flowid", "tx_enqueue", "tx_defer", "tx_xmit", "tx_own_ring",
         "tx_pass_begin", "tx_reclaim"),
        ("timewait_full", "timewait_expired", "tx_pending", "tx_reclaimable", "tx_below_threshold"),
        ("user", "system", "interrupt"), NSEG, NSTATES, NCOUNTERS) or (RX_TASK, TX_TASK) != ("rx", "tx"):
    raise ImportError("tcpsim._fast: its numbering of actions, conditions, CPU time categories, segments, states or "
                      "NIC counters no longer matches the model's")

cdef extern from *:
    """
    typedef unsigned __int128 tcpsim_u128;
    """
    ctypedef unsigned long long u128 "tcpsim_u128"

ctypedef struct Ev:
    u128 key             # time (high 64 bits) then sequence: one comparison orders the heap
    int32_t kind
    int32_t a
    int32_t b

ctypedef struct Heap:
    Ev* a
    int64_t n, cap


cdef inline void heap_init(Heap* h, int64_t cap) noexcept:
    h.a = <Ev*>malloc(cap * sizeof(Ev))
    h.n = 0
    h.cap = cap


cdef inline void heap_push(Heap* h, u128 key, int kind, int a, int b) noexcept:
    cdef int64_t i, parent
    cdef Ev e
    if h.n == h.cap:
        h.cap *= 2
        h.a = <Ev*>realloc(h.a, h.cap * sizeof(Ev))
    e.key = key
    e.kind = kind
    e.a = a
    e.b = b
    i = h.n
    h.n += 1
    while i > 0:
        parent = (i - 1) >> 1
        if h.a[parent].key < key:
            break
        h.a[i] = h.a[parent]
        i = parent
    h.a[i] = e


cdef inline Ev heap_pop(Heap* h) noexcept:
    """Remove the first event: the hole goes down to a leaf along the smaller children (one comparison per
    level), then the last entry climbs back from there (usually not far)."""
    cdef Ev top = h.a[0]
    cdef Ev last
    cdef int64_t i = 0, c, n, parent
    h.n -= 1
    n = h.n
    if n > 0:
        last = h.a[n]
        c = 1
        while c < n:
            if c + 1 < n and h.a[c + 1].key < h.a[c].key:
                c += 1
            h.a[i] = h.a[c]
            i = c
            c = 2 * i + 1
        while i > 0:
            parent = (i - 1) >> 1
            if h.a[parent].key < last.key:
                break
            h.a[i] = h.a[parent]
            i = parent
        h.a[i] = last
    return top


ctypedef struct Lock:
    int64_t hold_start
    int32_t hold_row     # lock-profile row of the current write hold, -1: outside the window
    int16_t decl         # the declaration it is an instance of (kind, recursion, display)
    int16_t owner        # write owner (thread), -1 none
    int16_t wrec         # write recursion beyond the first hold
    int16_t nreaders
    int16_t last_cpu     # CPU that last updated the lock word, -1 never
    int16_t spin_head, spin_tail, sleep_head, sleep_tail   # waiters, intrusive through the threads
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
    int32_t txring, tx_budget, task   # the ring its TX work is on; txeof's budget left; the task taken
    int32_t disp[2]
    int32_t w_lock, w_mode, w_row, w_site, w_sidx, w_spin_sidx
    int32_t w_spinning, w_on_readers, w_triggered, w_outcome, w_won, w_next, w_prev
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


cdef inline void seed_stream(uint64_t* s, uint64_t seed, str name):
    """tcpsim.rng.Stream(seed, name)'s state: the same draws as the reference engine's streams."""
    _xoshiro_seed(s, seed, stream_id(name))


@cython.final
cdef class Core:
    # --- tables (lowering.lower) ---
    cdef int64_t* code
    cdef int32_t* stack_sets
    cdef int nvar, nstacks, nrows, nslots, nthreads, ncpus, nqueues
    cdef int32_t* decl_scope
    cdef int32_t* decl_slot
    cdef int32_t* decl_kind
    cdef int32_t* decl_rec
    cdef int32_t* decl_display
    cdef int inp_decl, bucket_slot, nbuckets, nlisten, switch_stack
    cdef int32_t dispatch[NSEG][NSTATES][2]
    cdef int32_t ndispatch[NSEG][NSTATES]
    cdef int32_t answers[NSEG][2]
    cdef int32_t nanswers[NSEG]
    cdef int32_t frame_bytes[NSEG]
    cdef int32_t resend[NSEG]
    cdef int opens, completes, state_closed, state_tw
    cdef int32_t* acceptors
    cdef int32_t* workers
    cdef int nworkers
    cdef int32_t* ithreads
    cdef int32_t* tasks
    cdef int32_t* reta
    cdef uint8_t rss_key[64]
    cdef uint8_t server_addr[4]
    cdef int server_port, addresses
    # --- parameters ---
    cdef int64_t until, w0, w1, now, seq, one_way, think_ns, syn_rto_ns, rto_ns, two_msl, reader_spin, line_ns
    cdef int64_t handoff_ns, cs_ns, sample_ns, rx_limit, tx_limit, ring_size, backlog, maxtcptw, txd
    cdef int64_t idle_pri, tick_ns, affinity_ticks, eitr_mask, eitr_unit, frame_overhead
    cdef int max_syn_retries, aim, closed
    cdef double ns_per_byte, rate, jitter
    cdef bint paced
    cdef double* race_weight
    cdef int nrace_weight
    # --- state ---
    cdef Heap near, far            # threads' resumes; everything else (see push)
    cdef Ev* fifo                 # events for the current instant, in push order (see push)
    cdef int64_t fhead, fend, capfifo
    cdef Thread* th
    cdef Cpu* cpus
    cdef Lock* slots
    cdef Conn* conns
    cdef int32_t nconns, capconns, free_conn
    cdef Queue* q
    cdef Ring* accept_q
    cdef int32_t tw_head, tw_tail, tw_len
    cdef uint64_t rng_arrival[4]
    cdef uint64_t rng_race[4]
    cdef uint64_t rng_sched[4]
    cdef int64_t runq_seq, rr, acts, next_cid
    cdef int64_t link_free_in, link_free_out, link_bytes_in, link_bytes_out
    # --- accounting ---
    cdef int64_t* cpu_time      # [cpu][3]
    cdef int64_t* to_sample     # per CPU: cycles left before its next pmc sample
    cdef int64_t* cpu_spin
    cdef int64_t* samples       # [cpu][stack]
    cdef int64_t* prof          # [row][6]: max hold, wait max, total hold, wait total, count, contested
    cdef uint8_t* edge_seen     # [display][display]
    cdef int ndisplays
    cdef int64_t* lat
    cdef int64_t nlat, caplat
    cdef int64_t* drops
    cdef int nreasons
    cdef public int64_t started, completed, failed, window_started, window_completed, total_drops
    cdef public int64_t segments_in, segments_out
    cdef int64_t tw_recycled, tw_expired, listen_overflow   # kernel_state.COUNTERS, in that order
    cdef int64_t retransmits[NSEG]
    cdef int64_t frames[6]       # client_sent, arrived, ring_accepted, ring_dropped, reclaimed, client_received
    # --- Python side ---
    cdef object owner, probes, t_names, strings
    cdef public list order_edges        # (held display, display, held site, site, path) ids, first sight
    cdef public object series
    cdef int probing
    cdef uint8_t pon[NPROBES]
    cdef int64_t series_ns, watchdog_ns
    cdef object error

    def __cinit__(self):
        self.near.a = NULL
        self.far.a = NULL

    def __init__(self, dict low, model, owner, probes, int64_t watchdog_ns):
        cdef int i, j, s
        cdef Thread* t
        self.owner = owner
        self.probes = probes
        self.probing = 1 if probes else 0
        for i in range(NPROBES):
            self.pon[i] = 1 if probes and probes.enabled(PROBES[i]) else 0
        self.strings = low
        self.error = None
        hw, k, run, c, costs = model.hardware, model.kernel, model.run, model.clients, model.costs
        code = low["code"]
        self.code = <int64_t*>malloc(len(code) * sizeof(int64_t))
        for i in range(len(code)):
            self.code[i] = code[i]
        self.nvar = low["nvariants"]
        sets = low["stack_sets"]
        self.stack_sets = <int32_t*>malloc((len(sets) * self.nvar + 1) * sizeof(int32_t))
        for i in range(len(sets)):
            for j in range(self.nvar):
                self.stack_sets[i * self.nvar + j] = sets[i][j]
        self.nstacks = len(low["stacks"])
        self.nrows = len(low["rows"])
        self.ndisplays = len(low["displays"])
        self.nreasons = len(low["reasons"])
        self.decl_scope = _ints(low["decl_scope"])
        self.decl_slot = _ints(low["decl_slot"])
        self.decl_kind = _ints(low["decl_kind"])
        self.decl_rec = _ints(low["decl_recursive"])
        self.decl_display = _ints(low["decl_display"])
        self.inp_decl = low["inp_decl"]
        self.bucket_slot = low["bucket_slot"]
        self.nbuckets = low["nbuckets"]
        self.nlisten = low["nlisten"]
        self.switch_stack = low["switch_stack"]
        for i in range(NSEG):
            self.frame_bytes[i] = low["frame_bytes"][i]
            self.resend[i] = low["resend"][i]
            self.nanswers[i] = len(low["answers"][i])
            for j in range(self.nanswers[i]):
                self.answers[i][j] = low["answers"][i][j]
            for s in range(NSTATES):
                d = low["dispatch"][i * NSTATES + s]
                self.ndispatch[i][s] = len(d)
                for j in range(len(d)):
                    self.dispatch[i][s][j] = d[j]
        self.opens, self.completes = low["opens"], low["completes"]
        self.state_closed, self.state_tw = low["state_closed"], low["state_tw"]
        self.idle_pri, self.tick_ns, self.affinity_ticks = low["idle_pri"], low["tick_ns"], low["affinity_ticks"]
        self.eitr_mask, self.eitr_unit, self.frame_overhead = low["eitr_mask"], low["eitr_unit"], low["frame_overhead"]
        # parameters, computed exactly as the reference computes them
        self.w0, self.w1 = run.window_ns()
        self.one_way = c.one_way_ns()
        self.think_ns = int(c.think_us * 1000)
        self.syn_rto_ns = int(c.syn_rto_ms * 1e6)
        self.rto_ns = int(c.rto_ms * 1e6)
        self.max_syn_retries = c.max_syn_retries
        self.closed = c.mode == "closed"
        self.rate = c.rate
        self.paced, self.jitter = c.arrivals == "paced", c.jitter
        self.addresses = c.addresses
        self.server_port = c.server_port
        for i, b in enumerate(bytes(int(x) for x in c.server_address.split("."))):
            self.server_addr[i] = b
        key = bytes(hw.rss_key)
        if not 16 <= len(key) <= 64:
            raise TcpsimError(f"[hardware] rss_key: {len(key)} bytes; the fast engine allows 16 to 64 (40 is the "
                              "82599's); allowed: such a key, or --engine simpy")
        for i in range(len(key)):
            self.rss_key[i] = key[i]
        self.two_msl = 2 * int(k.msl_s * 1e9)
        self.maxtcptw = k.maxtcptw
        self.backlog = k.backlog
        self.reader_spin = int(costs["rw_reader_spin"])
        self.line_ns = int(costs["lock_line_transfer"])
        self.handoff_ns = int(costs["lock_handoff_per_spinner"])
        self.cs_ns = int(costs["context_switch"])
        self.sample_ns = max(1, int(costs["pmc_sample_cycles"] / costs["cpu_ghz"]))
        self.rx_limit, self.tx_limit = hw.rx_process_limit, hw.tx_process_limit
        self.txd = hw.tx_ring_descriptors
        self.ring_size = hw.rx_ring_descriptors
        self.ns_per_byte = 8.0 / hw.link_gbps
        self.aim = hw.enable_aim
        self.nrace_weight = -1
        if hw.lock_race_weight is not None:
            self.nrace_weight = len(hw.lock_race_weight)
            self.race_weight = <double*>malloc((self.nrace_weight + 1) * sizeof(double))
            for i, x in enumerate(hw.lock_race_weight):
                self.race_weight[i] = x
        seed_stream(self.rng_arrival, run.seed, "arrivals")
        seed_stream(self.rng_race, run.seed, "lock-race")
        seed_stream(self.rng_sched, run.seed, "sched")
        # heap
        heap_init(&self.near, 256)
        heap_init(&self.far, 1024)
        self.capfifo = 1024
        self.fifo = <Ev*>malloc(self.capfifo * sizeof(Ev))
        self.fhead = self.fend = 0
        self.seq = 0
        self.now = 0
        # CPUs, threads
        self.ncpus = hw.cpus
        threads = low["threads"]
        self.nthreads = len(threads)
        self.t_names = [spec["name"] for spec in threads]
        self.cpus = <Cpu*>calloc(self.ncpus, sizeof(Cpu))
        for i in range(self.ncpus):
            self.cpus[i].current = -1
            self.cpus[i].rq_thread = <int32_t*>malloc((self.nthreads + 1) * sizeof(int32_t))
            self.cpus[i].rq_seq = <int64_t*>malloc((self.nthreads + 1) * sizeof(int64_t))
        self.th = <Thread*>calloc(self.nthreads, sizeof(Thread))
        self.nqueues = hw.queues
        self.ithreads = <int32_t*>malloc(self.nqueues * sizeof(int32_t))
        self.tasks = <int32_t*>malloc(self.nqueues * sizeof(int32_t))
        self.workers = <int32_t*>malloc((self.nthreads + 1) * sizeof(int32_t))
        self.nworkers = 0
        for i, spec in enumerate(threads):
            t = &self.th[i]
            t.pc = spec["pc"]
            t.cpu, t.pri, t.bound, t.mode = spec["cpu"], spec["pri"], spec["bound"], spec["mode"]
            t.kind, t.queue, t.listen, t.basevar = spec["kind"], spec["queue"], spec["listen"], spec["basevar"]
            t.conn = t.tw = t.rx_conn = -1
            t.w_lock = -1
            t.w_next = t.w_prev = -1
            t.abort_reason = -1
            t.by_cpu = NULL if t.bound else <int64_t*>calloc(self.ncpus, sizeof(int64_t))
            ring_init(&t.ready, 16)
            if t.kind == K_ITHREAD:
                self.ithreads[t.queue] = i
            elif t.kind == K_TASKQUEUE:
                self.tasks[t.queue] = i
            elif t.kind == K_WORKER:
                self.workers[self.nworkers] = i
                self.nworkers += 1
        self.acceptors = _ints(low["acceptors"] or [0])
        # locks that are not a connection's
        slot_decl = low["slot_decl"]
        self.nslots = len(slot_decl)
        self.slots = <Lock*>calloc(self.nslots + 1, sizeof(Lock))
        for i in range(self.nslots):
            _lock_init(&self.slots[i], slot_decl[i])
        # connections
        self.capconns = 1024
        self.conns = <Conn*>calloc(self.capconns, sizeof(Conn))
        self.nconns = 0
        self.free_conn = -1
        self.tw_head = self.tw_tail = -1
        self.tw_len = 0
        self.accept_q = <Ring*>malloc(self.nlisten * sizeof(Ring))
        for i in range(self.nlisten):
            ring_init(&self.accept_q[i], 64)
        # NIC
        self.reta = <int32_t*>malloc(128 * sizeof(int32_t))
        for i in range(128):
            self.reta[i] = i % self.nqueues
        self.q = <Queue*>calloc(self.nqueues, sizeof(Queue))
        for i in range(self.nqueues):
            self.q[i].ring_conn = <int32_t*>malloc(self.ring_size * sizeof(int32_t))
            self.q[i].ring_seg = <int8_t*>malloc(self.ring_size * sizeof(int8_t))
            ring_init(&self.q[i].tx_done, 256)
            ring_init(&self.q[i].buf_ring, 64)
            self.q[i].eitr = low["eitr"]
            self.q[i].last_intr = -self._interval(self.q[i].eitr)
        # accounting
        self.cpu_time = <int64_t*>calloc(self.ncpus * 3, sizeof(int64_t))
        self.to_sample = <int64_t*>malloc(self.ncpus * sizeof(int64_t))
        for i in range(self.ncpus):
            self.to_sample[i] = self.sample_ns
        self.cpu_spin = <int64_t*>calloc(self.ncpus, sizeof(int64_t))
        self.samples = <int64_t*>calloc(self.ncpus * self.nstacks + 1, sizeof(int64_t))
        self.prof = <int64_t*>calloc(self.nrows * 6 + 1, sizeof(int64_t))
        self.edge_seen = <uint8_t*>calloc(self.ndisplays * self.ndisplays + 1, 1)
        self.caplat = 1024
        self.lat = <int64_t*>malloc(self.caplat * sizeof(int64_t))
        self.drops = <int64_t*>calloc(self.nreasons + 1, sizeof(int64_t))
        self.order_edges = []
        self.series = None
        self.series_ns = max(1, int(run.series_ms * 1e6)) if run.series_ms else 0
        self.watchdog_ns = watchdog_ns

    def __dealloc__(self):
        cdef int i
        if self.near.a == NULL:
            return
        free(self.near.a)
        free(self.far.a)
        free(self.fifo)
        free(self.code)
        free(self.stack_sets)
        free(self.decl_scope); free(self.decl_slot); free(self.decl_kind)
        free(self.decl_rec); free(self.decl_display)
        for i in range(self.ncpus):
            free(self.cpus[i].rq_thread)
            free(self.cpus[i].rq_seq)
        free(self.cpus)
        for i in range(self.nthreads):
            free(self.th[i].by_cpu)
            free(self.th[i].ready.buf)
        free(self.th)
        free(self.ithreads); free(self.tasks); free(self.workers); free(self.acceptors)
        free(self.slots)
        free(self.conns)
        for i in range(self.nlisten):
            free(self.accept_q[i].buf)
        free(self.accept_q)
        free(self.reta)
        for i in range(self.nqueues):
            free(self.q[i].ring_conn)
            free(self.q[i].ring_seg)
            free(self.q[i].tx_done.buf)
            free(self.q[i].buf_ring.buf)
        free(self.q)
        free(self.cpu_time); free(self.to_sample); free(self.cpu_spin); free(self.samples); free(self.prof)
        free(self.edge_seen); free(self.lat); free(self.drops)
        if self.nrace_weight >= 0:
            free(self.race_weight)

    # ============================================================================================================
    # the event queue: (time, sequence) order, as SimPy's (time, priority, event id) for NORMAL events
    # ============================================================================================================
    cdef void push(self, int64_t t, int kind, int a, int b) noexcept:
        """Schedule an event. One due now goes to a FIFO: every heap entry due now was pushed before the clock got
        here, so it comes first anyway, and FIFO order is sequence order. The others go to one of two heaps
        by kind -- threads' resumes (most events, a few microseconds ahead, a short heap) and the rest (wire
        delays, timers) -- and ``run`` takes the smaller of the two heads, so the order is the same as one heap's."""
        cdef u128 key = (<u128>t << 64) | <u128>self.seq
        self.seq += 1
        if t == self.now:
            if self.fend == self.capfifo:
                self.capfifo *= 2
                self.fifo = <Ev*>realloc(self.fifo, self.capfifo * sizeof(Ev))
            self.fifo[self.fend].key = key
            self.fifo[self.fend].kind = kind
            self.fifo[self.fend].a = a
            self.fifo[self.fend].b = b
            self.fend += 1
        else:
            heap_push(&self.near if kind == EV_RESUME else &self.far, key, kind, a, b)

    cdef inline Heap* first_heap(self) noexcept:
        """The heap whose head is the next event after the FIFO's (NULL: both empty)."""
        if self.near.n == 0:
            return &self.far if self.far.n else NULL
        if self.far.n == 0 or self.near.a[0].key < self.far.a[0].key:
            return &self.near
        return &self.far

    cdef inline bint advance(self, int64_t t) noexcept:
        """A thread about to wait until ``t`` for nothing but time: if its resume would be the very next event
        (nothing due now, nothing in the heaps before ``t``, ``t`` inside the run), move the clock there and let
        it go on -- the same order of events without the heap round trip."""
        cdef Heap* h = self.first_heap()
        if self.fend or t >= self.until or (h != NULL and <int64_t>(h.a[0].key >> 64) <= t):
            return False
        self.now = t
        self.seq += 1
        return True

    # ============================================================================================================
    # running
    # ============================================================================================================
    def start(self, list initial_connections, int prefill, int64_t prefill_spread):
        """The reference's ``run()`` up to ``env.run``: TIME-WAIT prefill, the closed loop's staggered first
        connections (timers made before any process starts), then every process's first step in creation
        order (threads, then the open loop, the sampler and the watchdog)."""
        cdef int i
        if prefill:
            self.prefill_timewait(prefill_spread)
        for t in initial_connections:
            self.push(t, EV_NEWCONN, 0, 0)
        for i in range(self.nthreads):
            self.interp(i)
        if not self.closed:
            self.push(self.now + self.arrival_gap(), EV_ARRIVAL, 0, 0)
        if self.series_ns:
            self.series = {name: [] for name in SERIES}
            self.push(self.series_ns, EV_SAMPLE, 0, 0)
        self.owner.watch_start()
        self.push(self.watchdog_ns, EV_WATCHDOG, 0, 0)
        self.check_error()

    def run(self, int64_t until, int64_t max_events=-1):
        """Process events while the next one is before ``until`` (at most ``max_events``; -1: no limit);
        return whether events remain before ``until``."""
        cdef Ev e
        cdef Heap* h
        cdef int64_t n = 0
        # with a step limit (checking after every event) no event is skipped: see advance
        self.until = until if max_events < 0 else -1
        while max_events < 0 or n < max_events:
            h = self.first_heap()
            if self.fhead < self.fend and not (h != NULL and <int64_t>(h.a[0].key >> 64) == self.now):
                e = self.fifo[self.fhead]
                self.fhead += 1
                if self.fhead == self.fend:  # drained (it always is before the clock moves): start over
                    self.fhead = self.fend = 0
            elif h != NULL and <int64_t>(h.a[0].key >> 64) < until:
                e = heap_pop(h)
                self.now = <int64_t>(e.key >> 64)
            else:
                break
            n += 1
            self.handle(e)
        self.check_error()
        h = self.first_heap()
        return bool(self.fend or (h != NULL and <int64_t>(h.a[0].key >> 64) < until))

    cdef inline void handle(self, Ev e) noexcept:
        cdef int kind = e.kind
        if kind == EV_RESUME:
            self.resume(e.a)
        elif kind == EV_NIC_RX:
            self.nic_rx(e.a, e.b)
        elif kind == EV_CLIENT_RX:
            self.client_receive(e.a, e.b)
        elif kind == EV_INTERRUPT:
            self.interrupt(e.a)
        elif kind == EV_HANDOFF:
            self.handoff(e.a)
        elif kind == EV_RSPIN:
            self.reader_spin_expired(e.a, e.b)
        elif kind == EV_CLIENT_SEND:
            self.client_send(e.a, e.b)
            self.unref(e.a)  # the timer's
        elif kind == EV_NEWCONN:
            self.new_connection()
        elif kind == EV_ARRIVAL:
            self.new_connection()
            self.push(self.now + self.arrival_gap(), EV_ARRIVAL, 0, 0)
        elif kind == EV_SAMPLE:
            self.sample()
            self.push(self.now + self.series_ns, EV_SAMPLE, 0, 0)
        elif kind == EV_WATCHDOG:
            self.watchdog()
            self.push(self.now + self.watchdog_ns, EV_WATCHDOG, 0, 0)

    cdef void fail(self, object exc) noexcept:
        """Stop the run with ``exc`` (raised by ``run`` once the current event is done)."""
        if self.error is None:
            self.error = exc
        self.near.n = self.far.n = 0
        self.fhead = self.fend = 0

    def check_error(self):
        if self.error is not None:
            exc, self.error = self.error, None
            raise exc

    cdef int64_t arrival_gap(self) noexcept:
        """The open loop's next gap in ns, at least 1: clients.arrival_gap_ns, draw for draw."""
        cdef double ns
        if self.paced:
            ns = (1.0 + self.jitter * (2.0 * _to_unit(_xoshiro_next(self.rng_arrival)) - 1.0)) / self.rate * 1e9
        else:
            ns = _expovariate(self.rng_arrival, self.rate) * 1e9
        if ns >= 9.2e18:
            return <int64_t>9.2e18
        return max(1, <int64_t>ns)

    # ============================================================================================================
    # accounting (_charge)
    # ============================================================================================================
    cdef inline void charge(self, int ti, int64_t start, int64_t dur, int sidx_stack, int user, int spin) noexcept:
        """``sidx_stack``: the stack id itself (already resolved for this thread's base variant)."""
        cdef Thread* t = &self.th[ti]
        cdef int64_t a = start if start > self.w0 else self.w0
        cdef int64_t b = start + dur
        cdef int64_t d, c, n
        cdef int cat, cpu
        if b > self.w1:
            b = self.w1
        if b <= a:
            return
        d = b - a
        cat = CAT_USER if user else t.mode
        t.busy[cat] += d
        cpu = t.cpu
        if t.by_cpu != NULL:
            t.by_cpu[cpu] += d
        self.cpu_time[cpu * 3 + cat] += d
        if spin:
            self.cpu_spin[cpu] += d
        # pmcstat's sampling: one sample each time the CPU's cycle count crosses a multiple of sample_ns
        # (to_sample: what is left before the next one, so that the common case needs no division)
        c = self.to_sample[cpu]
        if d < c:
            self.to_sample[cpu] = c - d
        else:
            n = 1 + (d - c) // self.sample_ns
            self.to_sample[cpu] = self.sample_ns - (d - c) % self.sample_ns
            self.samples[cpu * self.nstacks + sidx_stack] += n

    cdef inline int stack_of(self, int ti, int sidx) noexcept:
        return self.stack_sets[sidx * self.nvar + self.th[ti].basevar]

    # ============================================================================================================
    # connections: a pool of slots, freed when nothing names them any more
    # ============================================================================================================
    cdef int alloc_conn(self) noexcept:
        cdef int ci
        if self.free_conn >= 0:
            ci = self.free_conn
            self.free_conn = self.conns[ci].tw_next
        else:
            if self.nconns == self.capconns:
                self.capconns *= 2
                self.conns = <Conn*>realloc(self.conns, self.capconns * sizeof(Conn))
            ci = self.nconns
            self.nconns += 1
        memset(&self.conns[ci], 0, sizeof(Conn))
        _lock_init(&self.conns[ci].lock, self.inp_decl)
        self.conns[ci].tw_next = self.conns[ci].tw_prev = -1
        self.conns[ci].worker = -1
        self.conns[ci].used = 1
        return ci

    cdef inline void ref(self, int ci) noexcept:
        if ci >= 0:
            self.conns[ci].refs += 1

    cdef inline void unref(self, int ci) noexcept:
        if ci >= 0:
            self.conns[ci].refs -= 1
            if self.conns[ci].refs == 0:
                self.maybe_free(ci)

    cdef void maybe_free(self, int ci) noexcept:
        cdef Conn* c = &self.conns[ci]
        cdef Lock* L = &c.lock
        if not c.used or c.refs or L.owner >= 0 or L.nreaders or L.in_transit or L.spin_head >= 0 or \
                L.sleep_head >= 0:
            return
        c.used = 0
        c.tw_next = self.free_conn
        self.free_conn = ci

    cdef inline void set_conn(self, int ti, int ci) noexcept:
        cdef int old = self.th[ti].conn
        self.ref(ci)
        self.th[ti].conn = ci
        self.unref(old)

    cdef inline void set_tw(self, int ti, int ci) noexcept:
        cdef int old = self.th[ti].tw
        self.ref(ci)
        self.th[ti].tw = ci
        self.unref(old)

    # ============================================================================================================
    # threads: the program and path interpreter (_program, _run, _steps)
    # ============================================================================================================
    cdef inline void resume(self, int ti) noexcept:
        cdef Thread* t = &self.th[ti]
        cdef int k = t.resume
        if k == RK_CONT:
            self.interp(ti)
        elif k == RK_GRANTED:
            self.switch_in(ti)
        elif k == RK_ONCPU:
            self.on_cpu(ti, 0)
        elif k == RK_SPIN:
            self.spin_done(ti)
        elif k == RK_LOCKRETRY:
            self.lock_retry(ti)

    cdef void interp(self, int ti) noexcept:
        """Run thread ``ti`` from its pc until it has to wait for time, a CPU, a lock or a wake-up."""
        cdef Thread* t = &self.th[ti]
        cdef int64_t* ins
        cdef int op, ci, seg, st, lid, r
        cdef Queue* qu
        while True:
            if self.error is not None:
                return
            ins = &self.code[t.pc * W]
            op = <int>ins[0]
            if ins[BOUNDARY_FIELD]:  # the step boundary before this step (_steps: pend, then th.preempt)
                if t.pend:
                    if not self.advance(self.now + t.pend):
                        self.push(self.now + t.pend, EV_RESUME, ti, 0)
                        t.pend = 0
                        t.resume = RK_CONT
                        return  # back here with nothing pending
                    t.pend = 0
                if t.preempted_here:  # back here after the preemption this boundary took
                    t.preempted_here = 0
                elif t.preempt:
                    t.preempted_here = 1
                    self.yield_cpu(ti, RK_CONT)
                    return
            if op == OP_WORK:
                if ins[1]:
                    self.charge(ti, self.now + t.pend, ins[1], self.stack_of(ti, <int>ins[3]), <int>ins[2], 0)
                    t.pend += ins[1]
                t.pc += 1
            elif op == OP_FLUSH:
                t.pc += 1
                if t.pend:
                    if self.advance(self.now + t.pend):
                        t.pend = 0
                        continue
                    self.push(self.now + t.pend, EV_RESUME, ti, 0)
                    t.pend = 0
                    t.resume = RK_CONT
                    return
            elif op == OP_STEP:  # FLUSH, then (resumed here, nothing pending) PREEMPT
                if t.pend:
                    if self.advance(self.now + t.pend):
                        t.pend = 0
                    else:
                        self.push(self.now + t.pend, EV_RESUME, ti, 0)
                        t.pend = 0
                        t.resume = RK_CONT
                        return
                t.pc += 1
                if t.preempt:
                    self.yield_cpu(ti, RK_CONT)
                    return
            elif op == OP_PREEMPT:
                t.pc += 1
                if t.preempt:
                    self.yield_cpu(ti, RK_CONT)
                    return
            elif op == OP_ACQ or op == OP_TRY:
                lid = self.resolve(ti, <int>ins[1], 1)
                if lid < 0:
                    return
                if op == OP_TRY and not (self.is_recursion(lid, ti, <int>ins[2]) or self.can_grant(lid, ti, <int>ins[2])):
                    t.pc += 1  # the fallback block follows inline
                    continue
                t.pc = <int>ins[8] if op == OP_TRY else t.pc + 1
                if self.acquire(ti, lid, <int>ins[2], <int>ins[3], <int>ins[4], <int>ins[5], <int>ins[6], <int>ins[7]):
                    return
            elif op == OP_REL:
                lid = self.resolve(ti, <int>ins[1], 0)
                if lid < 0:
                    return
                t.pc += 1
                self.release(ti, lid)
            elif op == OP_ACT:
                self.acts += 1
                t.pc += 1
                if not self.act(ti, <int>ins[1], <int>ins[2]):
                    self.release_all(ti)
                    self.count_drop(<int>ins[3])
                    t.abort_reason = <int>ins[3]
                    t.ok = 0
                    t.pc = t.ret
            elif op == OP_WHEN:
                if self.holds(ti, <int>ins[1]):
                    t.when_t[ins[3]] = self.now
                    t.when_acts[ins[3]] = self.acts
                    t.pc += 1
                else:
                    t.pc = <int>ins[2]
            elif op == OP_AGAIN:
                if t.when_t[ins[2]] == self.now and t.when_acts[ins[2]] == self.acts:
                    self.fail(self.repeat_error(ti, <int>ins[1]))
                    return
                t.pc = <int>ins[1]
            elif op == OP_STOP:
                self.release_all(ti)
                t.ok = 1
                t.pc = t.ret
            elif op == OP_RET:
                t.ok = 1
                t.pc = t.ret
            # --- programs ---
            elif op == OP_JUMP:
                t.pc = <int>ins[1]
            elif op == OP_IFNOT:
                if self.program_holds(ti, <int>ins[1]):
                    t.pc += 1
                else:
                    t.pc = <int>ins[2]
            elif op == OP_SLEEP:
                t.pc += 1
                self.off_cpu(ti)
                t.wake_wait = 1
                t.after = RK_CONT
                t.resume = RK_GRANTED
                return
            elif op == OP_TICK:
                t.pc += 1
                if t.running:
                    self.off_cpu(ti)
                t.after = RK_CONT
                t.resume = RK_ONCPU
                self.push(self.now + ins[1], EV_RESUME, ti, 0)
                return
            elif op == OP_CALL:
                if self.call(ti, <int>ins[1], t.pc + 1):
                    return
            elif op == OP_RXBEGIN:
                t.rx_n = self.rx_limit
                t.pc += 1
            elif op == OP_RXNEXT:
                qu = &self.q[t.queue]
                if qu.ring_n == 0 or t.rx_n == 0:
                    t.pc = <int>ins[1]
                    continue
                t.rx_n -= 1
                ci = qu.ring_conn[qu.ring_head]
                seg = qu.ring_seg[qu.ring_head]
                qu.ring_head += 1
                if qu.ring_head == self.ring_size:
                    qu.ring_head = 0
                qu.ring_n -= 1
                self.segments_in += 1
                qu.rx_bytes += self.frame_bytes[seg] - self.frame_overhead
                # the ring's reference moves to the pass
                self.unref(t.rx_conn)
                t.rx_conn = ci
                t.rx_seg = seg
                if self.call(ti, <int>ins[2], t.pc + 1):
                    return
            elif op == OP_RXDISP:
                self.set_conn(ti, t.rx_conn)
                st = self.conns[t.rx_conn].state
                t.ndisp = self.ndispatch[t.rx_seg][st]
                t.disp[0] = self.dispatch[t.rx_seg][st][0]
                t.disp[1] = self.dispatch[t.rx_seg][st][1]
                t.disp_i = 0
                if t.ndisp == 0:
                    self.fail(RuntimeError("a client segment with no kernel path"))
                    return
                if self.call(ti, t.disp[0], t.pc + 1):
                    return
            elif op == OP_RXDRET:
                if not t.ok:
                    self.client_dropped(t.rx_conn, t.rx_seg, t.abort_reason)
                    t.pc = <int>ins[2]
                    continue
                t.disp_i += 1
                if t.disp_i < t.ndisp:
                    if self.call(ti, t.disp[t.disp_i], t.pc):
                        return
                else:
                    t.pc = <int>ins[2]
            elif op == OP_RXEND:
                r = <int>(self.rx_limit - t.rx_n)
                self.count_nic(t.queue, <int>ins[1], r)
                if self.pon[ins[2]]:
                    self.probe_rxeof(ti, <int>ins[2], r, t.rx_n == 0)
                t.budget_used = t.rx_n == 0
                self.unref(t.rx_conn)
                t.rx_conn = -1
                t.pc += 1
            elif op == OP_TAKETASK:
                qu = &self.q[t.queue]
                t.task = qu.tasks[0]
                qu.tasks[0] = qu.tasks[1]
                qu.ntasks -= 1
                t.pc += 1
            elif op == OP_MODERATE:
                self.moderate(t.queue)
                t.pc += 1
            elif op == OP_UNMASK:
                if self.pon[ins[1]]:
                    self._fire(PROBES[ins[1]], queue=t.queue, thread=self.t_names[ti], cpu=t.cpu)
                t.pc += 1
                self.q[t.queue].masked = 0
                self.cause(t.queue)
            elif op == OP_WAKETASK:
                t.pc += 1
                self.enqueue_task(t.queue, TASK_RX, ti)  # the vector stays masked
            elif op == OP_COUNT:
                self.count_nic(t.queue, <int>ins[1], 1)
                if ins[2] >= 0 and self.pon[ins[2]]:
                    self._fire(PROBES[ins[2]], queue=t.queue, thread=self.t_names[ti], cpu=t.cpu)
                t.pc += 1
            elif op == OP_TAKEREADY:
                ci = ring_pop(&t.ready)
                self.set_conn(ti, ci)
                self.unref(ci)  # the queue's reference
                t.pc += 1
            elif op == OP_HANDOFF:
                self.hand_off(ti, <int>ins[1])
                t.pc += 1
            else:
                self.fail(RuntimeError(f"fast engine: bad opcode {op} at {t.pc}"))
                return

    cdef inline bint call(self, int ti, int target, int ret) noexcept:
        """Run the path whose ENTER is at ``target``, then go on at ``ret`` (_run: the path's name, then a
        preemption point before its first step); return whether the thread now waits."""
        cdef Thread* t = &self.th[ti]
        t.ret = ret
        t.path = <int>self.code[target * W + 1]
        t.pc = target + 1
        if t.preempt:
            self.yield_cpu(ti, RK_CONT)
            return True
        return False

    cdef int program_holds(self, int ti, int cond) noexcept:
        cdef Thread* t = &self.th[ti]
        if cond == PC_BUDGET:
            return t.budget_used
        if cond == PC_READY:
            return t.ready.n > 0
        if cond == PC_TASKPEND:
            return self.q[t.queue].ntasks > 0
        if cond == PC_TASKRX:
            return t.task == TASK_RX
        return t.listen >= 0 and self.accept_q[t.listen].n > 0

    cdef void hand_off(self, int ti, int to_self) noexcept:
        """_hand_off: register the connection just accepted in a worker's kqueue."""
        cdef int w, ci
        if to_self:
            w = ti
        else:
            w = self.workers[self.rr % self.nworkers]
            self.rr += 1
        ci = self.th[ti].conn
        self.conns[ci].worker = w
        if self.conns[ci].data_ready:
            self.data_ready(ci)

    cdef void release_all(self, int ti) noexcept:
        cdef Thread* t = &self.th[ti]
        while t.nheld:
            self.release(ti, t.held[t.nheld - 1].lock)

    cdef object repeat_error(self, int ti, int when_pc):
        path = self.strings["paths"][self.th[ti].path]
        cond = CONDITIONS[self.code[when_pc * W + 1]]
        return TcpsimError(f"variant {self.owner.m.variant!r}: path {path!r}: the block repeated while "
                           f"{cond!r} holds changed nothing (no action, no time), so it "
                           "would repeat forever; allowed: a repeated block that acts or takes time")

    # ============================================================================================================
    # scheduling (simpy_sched.py)
    # ============================================================================================================
    cdef int lowpri(self, int c) noexcept:
        cdef Cpu* cpu = &self.cpus[c]
        cdef int p
        if cpu.current < 0:
            return <int>self.idle_pri
        p = self.th[cpu.current].pri
        if cpu.nrunq and self.th[cpu.rq_thread[0]].pri < p:
            p = self.th[cpu.rq_thread[0]].pri
        return p

    cdef inline int load(self, int c) noexcept:
        return (self.cpus[c].current >= 0) + self.cpus[c].nrunq

    cdef int lowest(self, int pri, int use_pri, int prefer) noexcept:
        """sched.pick_cpu's _lowest."""
        cdef int best = -1, c
        cdef int64_t score, best_score = 0
        for c in range(self.ncpus - 1, -1, -1):
            if use_pri and self.lowpri(c) <= pri:
                continue
            score = self.load(c) * 256 - <int64_t>_bounded(self.rng_sched, 64) - (64 if c == prefer else 0)
            if best < 0 or score < best_score:
                best = c
                best_score = score
        return best

    cdef int pick_cpu(self, int ti, int waker) noexcept:
        """sched.pick_cpu for thread ``ti`` woken from CPU ``waker`` (-1: no waking thread)."""
        cdef Thread* t = &self.th[ti]
        cdef int last = t.cpu, cpu
        cdef int affine = self.now // self.tick_ns - t.last_off // self.tick_ns < self.affinity_ticks
        if affine and 0 <= last < self.ncpus and self.lowpri(last) >= self.idle_pri:
            return last
        cpu = self.lowest(t.pri, 1, last)
        if cpu < 0:
            cpu = self.lowest(t.pri, 0, last)
        if 0 <= waker < self.ncpus and self.lowpri(waker) > t.pri and self.lowpri(cpu) < self.idle_pri and \
                self.load(waker) <= self.load(cpu) + 1:
            cpu = waker
        return cpu

    cdef int sched_add(self, int ti, int waker_cpu, int force_bound) noexcept:
        """_sched_add: return 1 when ``ti`` has its CPU at once, else queue it (it resumes when handed the CPU)."""
        cdef Thread* t = &self.th[ti]
        cdef Cpu* cpu
        cdef int i
        if not t.bound and not force_bound:
            t.cpu = self.pick_cpu(ti, waker_cpu)
        cpu = &self.cpus[t.cpu]
        if cpu.current < 0:
            cpu.current = ti
            return 1
        self.runq_seq += 1
        i = cpu.nrunq
        while i > 0 and (self.th[cpu.rq_thread[i - 1]].pri > t.pri or
                         (self.th[cpu.rq_thread[i - 1]].pri == t.pri and cpu.rq_seq[i - 1] > self.runq_seq)):
            cpu.rq_thread[i] = cpu.rq_thread[i - 1]
            cpu.rq_seq[i] = cpu.rq_seq[i - 1]
            i -= 1
        cpu.rq_thread[i] = ti
        cpu.rq_seq[i] = self.runq_seq
        cpu.nrunq += 1
        if t.pri < self.th[cpu.current].pri:
            self.request_preempt(cpu.current)
        return 0

    cdef void on_cpu(self, int ti, int force_bound) noexcept:
        """_on_cpu: ask for a CPU; the thread resumes (switch-in) when it has it."""
        self.th[ti].resume = RK_GRANTED
        if self.sched_add(ti, -1, force_bound):
            self.push(self.now, EV_RESUME, ti, 0)

    cdef void switch_in(self, int ti) noexcept:
        cdef Thread* t = &self.th[ti]
        t.running = 1
        if self.pon[P_ONCPU]:
            self._fire("sched:::on-cpu", thread=self.t_names[ti], cpu=t.cpu)
        self.charge(ti, self.now, self.cs_ns, self.switch_stack, 0, 0)
        t.resume = t.after
        if self.advance(self.now + self.cs_ns):
            self.resume(ti)
        else:
            self.push(self.now + self.cs_ns, EV_RESUME, ti, 0)

    cdef void off_cpu(self, int ti) noexcept:
        cdef Thread* t = &self.th[ti]
        cdef Cpu* cpu
        cdef int i, w, nxt
        cdef Lock* L
        t.running = 0
        t.last_off = self.now
        t.preempt = 0
        if self.pon[P_OFFCPU]:
            self._fire("sched:::off-cpu", thread=self.t_names[ti], cpu=t.cpu)
        # spinners on locks this thread write-owns see a sleeping owner: they go to the turnstile
        for i in range(t.nheld):
            L = self.lockp(t.held[i].lock)
            if L.owner == ti:
                w = L.spin_head
                while w >= 0:
                    if not self.th[w].w_on_readers and not self.th[w].w_triggered:
                        self.trigger(w, OUT_SLEEP)
                    w = self.th[w].w_next
        cpu = &self.cpus[t.cpu]
        cpu.current = -1
        if cpu.nrunq:
            nxt = cpu.rq_thread[0]
            for i in range(1, cpu.nrunq):
                cpu.rq_thread[i - 1] = cpu.rq_thread[i]
                cpu.rq_seq[i - 1] = cpu.rq_seq[i]
            cpu.nrunq -= 1
            cpu.current = nxt
            self.push(self.now, EV_RESUME, nxt, 0)

    cdef void request_preempt(self, int ti) noexcept:
        cdef Thread* t = &self.th[ti]
        t.preempt = 1
        if t.spin_active and t.w_spinning and not t.w_triggered:
            self.trigger(ti, OUT_PREEMPT)  # a spinning thread is preemptible; it resumes spinning afterwards

    cdef void yield_cpu(self, int ti, int after) noexcept:
        """_yield_cpu: preempted, back on the same CPU's run queue."""
        if self.pon[P_PREEMPT]:
            self._fire("sched:::preempt", thread=self.t_names[ti], cpu=self.th[ti].cpu)
        self.off_cpu(ti)
        self.th[ti].after = after
        self.on_cpu(ti, 1)

    cdef void wake(self, int ti, int waker) noexcept:
        """_wake: a thread asleep for work becomes runnable now."""
        cdef Thread* t = &self.th[ti]
        if not t.wake_wait:
            return
        t.wake_wait = 0
        t.resume = RK_GRANTED
        if self.sched_add(ti, self.th[waker].cpu if waker >= 0 else -1, 0):
            self.push(self.now, EV_RESUME, ti, 0)

    # ============================================================================================================
    # locks (model/rwlock.py's rules, simpy_locks.py's timing)
    # ============================================================================================================
    cdef inline Lock* lockp(self, int lid) noexcept:
        if lid < self.nslots:
            return &self.slots[lid]
        return &self.conns[lid - self.nslots].lock

    cdef int resolve(self, int ti, int decl, int acquiring) noexcept:
        """_resolve: the lock a path's lock name means for this thread now (-1 after a failure)."""
        cdef Thread* t = &self.th[ti]
        cdef int scope = self.decl_scope[decl]
        if scope == SC_GLOBAL:
            return self.decl_slot[decl]
        if scope == SC_TIMEWAIT:
            if acquiring:
                self.set_tw(ti, self.tw_head)
            if t.tw < 0:
                self.fail(RuntimeError("a TIME-WAIT lock taken with an empty TIME-WAIT list"))
                return -1
            return self.nslots + t.tw
        if scope == SC_TWGROUP:
            if t.tw < 0:
                self.fail(RuntimeError("a TIME-WAIT group lock taken with no TIME-WAIT entry"))
                return -1
            return self.decl_slot[decl] + self.conns[t.tw].queue
        if scope == SC_LISTEN:
            if t.listen < 0 and t.conn < 0:
                self.fail(RuntimeError("a listen socket's lock taken with no socket"))
                return -1
            return self.decl_slot[decl] + (t.listen if t.listen >= 0 else self.conns[t.conn].listen)
        if scope == SC_TXRING:
            return self.decl_slot[decl] + t.txring
        if t.conn < 0:
            self.fail(RuntimeError("a connection's lock taken with no connection"))
            return -1
        if scope == SC_CONNECTION:
            return self.nslots + t.conn
        if scope == SC_BUCKET:
            return self.bucket_slot + self.conns[t.conn].bucket
        return self.decl_slot[decl] + self.conns[t.conn].queue  # SC_GROUP

    cdef int reads_held(self, int ti, int lid) noexcept:
        """How many read holds thread ``ti`` has on ``lid`` (the reference's ``lock.readers[thread]``)."""
        cdef Thread* t = &self.th[ti]
        cdef int i, n = 0
        for i in range(t.nheld):
            if t.held[i].lock == lid and not t.held[i].mode:
                n += 1
        return n

    cdef int writer_flagged(self, Lock* L) noexcept:
        cdef int w = L.sleep_head
        while w >= 0:
            if self.th[w].w_mode:
                return 1
            w = self.th[w].w_next
        w = L.spin_head
        while w >= 0:
            if self.th[w].w_mode and self.th[w].w_on_readers:
                return 1
            w = self.th[w].w_next
        return 0

    cdef int can_grant(self, int lid, int ti, int mode) noexcept:
        cdef Lock* L = self.lockp(lid)
        if L.in_transit or L.owner >= 0:
            return 0
        if mode:
            return L.nreaders == 0
        return self.th[ti].rlocks > 0 or not self.writer_flagged(L)

    cdef int is_recursion(self, int lid, int ti, int mode) noexcept:
        cdef Lock* L = self.lockp(lid)
        if not self.decl_rec[L.decl]:
            return 0
        if mode:
            return L.owner == ti
        return self.reads_held(ti, lid) > 0

    cdef int should_spin(self, Lock* L) noexcept:
        if L.in_transit:
            return 1
        if L.owner >= 0:
            return self.th[L.owner].running
        return L.nreaders > 0

    cdef int grant(self, int lid, int ti, int mode) noexcept:
        cdef Lock* L = self.lockp(lid)
        cdef int cpu = self.th[ti].cpu
        cdef int moved = L.last_cpu != -1 and L.last_cpu != cpu
        L.in_transit = 0
        if mode:
            L.owner = ti
        else:
            L.nreaders += 1
            self.th[ti].rlocks += 1
        L.last_cpu = cpu
        return moved

    # waiter lists: intrusive through the threads (a thread waits for one lock at a time)
    cdef void list_append(self, int16_t* head, int16_t* tail, int ti) noexcept:
        cdef Thread* t = &self.th[ti]
        t.w_next = -1
        t.w_prev = tail[0]
        if tail[0] >= 0:
            self.th[tail[0]].w_next = ti
        else:
            head[0] = ti
        tail[0] = ti

    cdef void list_remove(self, int16_t* head, int16_t* tail, int ti) noexcept:
        cdef Thread* t = &self.th[ti]
        if t.w_prev >= 0:
            self.th[t.w_prev].w_next = t.w_next
        else:
            head[0] = t.w_next
        if t.w_next >= 0:
            self.th[t.w_next].w_prev = t.w_prev
        else:
            tail[0] = t.w_prev
        t.w_next = t.w_prev = -1

    cdef int in_spinners(self, Lock* L, int ti) noexcept:
        cdef int w = L.spin_head
        while w >= 0:
            if w == ti:
                return 1
            w = self.th[w].w_next
        return 0

    cdef void trigger(self, int ti, int outcome) noexcept:
        """A waiter's event succeeds: the thread resumes at this event's turn (its resume kind is set)."""
        self.th[ti].w_triggered = 1
        self.th[ti].w_outcome = outcome
        self.push(self.now, EV_RESUME, ti, 0)

    cdef int acquire(self, int ti, int lid, int mode, int row, int site, int sidx, int spin_sidx, int ordered) noexcept:
        """_acquire; return 1 when the thread now waits (it continues at its pc once it holds the lock)."""
        cdef Lock* L = self.lockp(lid)
        cdef Thread* t = &self.th[ti]
        if self.is_recursion(lid, ti, mode):
            if mode:
                L.wrec += 1
                self.push_held(ti, lid, mode, site)
            else:
                self.granted(ti, lid, mode, row, site, self.now, 0, 0)
            return 0
        if self.can_grant(lid, ti, mode):
            if self.grant(lid, ti, mode):
                self.granted(ti, lid, mode, row, site, self.now, 0, ordered)
                return self.pull_line(ti, sidx)
            self.granted(ti, lid, mode, row, site, self.now, 0, ordered)
            return 0
        if mode and self.reads_held(ti, lid):
            self.fail(TcpsimError(f"path {self.strings['paths'][t.path]!r}: {self.t_names[ti]} asks for "
                                  f"{self.strings['displays'][self.decl_display[L.decl]]} W at "
                                  f"{self.strings['sites'][site]} while it holds it R (an rwlock cannot be upgraded:"
                                  " the thread would wait for itself forever)"))
            return 1
        t.w_lock, t.w_mode, t.w_row, t.w_site = lid, mode, row, site
        t.w_sidx, t.w_spin_sidx = sidx, spin_sidx
        t.w_first = self.now
        self.spin_loop(ti)
        return 1

    cdef int pull_line(self, int ti, int sidx) noexcept:
        """_pull_line: the lock word's cache line moves from another CPU, inside the hold."""
        self.charge(ti, self.now, self.line_ns, self.stack_of(ti, sidx), 0, 0)
        if self.advance(self.now + self.line_ns):
            return 0
        self.th[ti].resume = RK_CONT
        self.push(self.now + self.line_ns, EV_RESUME, ti, 0)
        return 1

    cdef void new_waiter(self, Thread* t) noexcept:
        t.w_gen += 1
        t.w_triggered = 0

    cdef void spin_loop(self, int ti) noexcept:
        """One round of _acquire's wait loop: spin if the rules say so, else sleep on the turnstile."""
        cdef Thread* t = &self.th[ti]
        cdef Lock* L = self.lockp(t.w_lock)
        self.new_waiter(t)
        t.w_spinning = 1
        t.w_on_readers = 0
        t.w_won = 0
        t.w_spin_start = t.w_first
        if self.should_spin(L):
            t.w_on_readers = L.owner < 0 and L.nreaders > 0 and not L.in_transit
            t.w_spin_start = self.now
            self.list_append(&L.spin_head, &L.spin_tail, ti)
            if t.w_on_readers:
                self.push(self.now + self.reader_spin, EV_RSPIN, ti, <int>t.w_gen)
            t.spin_active = 1
            t.resume = RK_SPIN
            return
        self.go_sleep(ti)

    cdef void go_sleep(self, int ti) noexcept:
        cdef Thread* t = &self.th[ti]
        cdef Lock* L = self.lockp(t.w_lock)
        self.list_append(&L.sleep_head, &L.sleep_tail, ti)
        t.w_spinning = 0
        if self.probing and self.lock_probe_on(t.w_lock, 2):
            self.probe_lock(ti, t.w_lock, 2, t.w_mode, t.w_site, -1)
        self.new_waiter(t)
        self.off_cpu(ti)
        t.resume = RK_ONCPU     # turnstile_broadcast wakes it; then it asks for its CPU
        t.after = RK_LOCKRETRY

    cdef void spin_done(self, int ti) noexcept:
        cdef Thread* t = &self.th[ti]
        cdef Lock* L = self.lockp(t.w_lock)
        cdef int outcome = t.w_outcome
        t.spin_active = 0
        self.charge(ti, t.w_spin_start, self.now - t.w_spin_start, self.stack_of(ti, t.w_spin_sidx), 0, 1)
        if self.probing and self.lock_probe_on(t.w_lock, 1):
            self.probe_lock(ti, t.w_lock, 1, t.w_mode, t.w_site, self.now - t.w_spin_start)
        if self.in_spinners(L, ti):
            self.list_remove(&L.spin_head, &L.spin_tail, ti)
        if outcome == OUT_GRANTED:  # the hand-off delay already moved the lock word's line
            self.granted(ti, t.w_lock, t.w_mode, t.w_row, t.w_site, t.w_first, 1, 1)
            self.interp(ti)
        elif outcome == OUT_RETRY:
            self.lock_retry(ti)
        elif outcome == OUT_PREEMPT:
            self.yield_cpu(ti, RK_LOCKRETRY)
        else:
            self.go_sleep(ti)

    cdef void lock_retry(self, int ti) noexcept:
        """Back on its CPU after a preemption or the turnstile: take the lock if it can, else wait again."""
        cdef Thread* t = &self.th[ti]
        cdef int moved
        if self.can_grant(t.w_lock, ti, t.w_mode):
            moved = self.grant(t.w_lock, ti, t.w_mode)
            self.granted(ti, t.w_lock, t.w_mode, t.w_row, t.w_site, t.w_first, 1, 1)
            if not (moved and self.pull_line(ti, t.w_sidx)):
                self.interp(ti)
            return
        self.spin_loop(ti)

    cdef void reader_spin_expired(self, int ti, int gen) noexcept:
        """_bound_reader_spin's expiry: still spinning against readers on the same wait -> sleep."""
        cdef Thread* t = &self.th[ti]
        if t.w_gen == gen and t.w_spinning and not t.w_triggered and t.w_on_readers:
            self.trigger(ti, OUT_SLEEP)

    cdef void push_held(self, int ti, int lid, int mode, int site) noexcept:
        cdef Thread* t = &self.th[ti]
        cdef Held* h
        if t.nheld == MAXHELD:
            self.fail(TcpsimError(f"path {self.strings['paths'][t.path]!r}: {self.t_names[ti]} holds more than "
                                  f"{MAXHELD} locks at once; the fast engine allows {MAXHELD}; allowed: fewer, or "
                                  "--engine simpy"))
            return
        h = &t.held[t.nheld]
        t.nheld += 1
        h.lock = lid
        h.mode = mode
        h.site = site
        h.display = self.decl_display[self.lockp(lid).decl]
        h.start = self.now
        h.row = -1

    cdef void granted(self, int ti, int lid, int mode, int row, int site, int64_t since, int contested,
                      int ordered) noexcept:
        cdef Thread* t = &self.th[ti]
        cdef Lock* L = self.lockp(lid)
        cdef int64_t wait = self.now - since if contested else 0
        cdef int i, j = 0, d = self.decl_display[L.decl], hd, key = -1
        cdef int64_t* p
        if self.probing and self.lock_probe_on(lid, 0):
            self.probe_lock(ti, lid, 0, mode, site, wait)
        if ordered:  # WITNESS: which lock classes this thread held when it took this one
            for i in range(t.nheld):
                hd = t.held[i].display
                if hd != d and not self.edge_seen[hd * self.ndisplays + d]:
                    self.edge_seen[hd * self.ndisplays + d] = 1
                    for j in range(t.nheld):  # the outermost acquisition's site of that lock
                        if t.held[j].lock == t.held[i].lock:
                            break
                    self.order_edges.append((hd, d, t.held[j].site, site, t.path))
        self.push_held(ti, lid, mode, site)
        if self.w0 <= self.now < self.w1:
            key = row
            p = &self.prof[row * 6]
            p[4] += 1
            if contested:
                p[5] += 1
            p[3] += wait
            if wait > p[1]:
                p[1] = wait
        if mode:
            L.hold_start = self.now
            L.hold_row = key
        else:
            t.held[t.nheld - 1].row = key

    cdef void release(self, int ti, int lid) noexcept:
        cdef Thread* t = &self.th[ti]
        cdef Lock* L = self.lockp(lid)
        cdef int i, was_writer, outermost = 1, row, remaining
        cdef int64_t start = 0
        cdef Held removed
        removed.lock = -1
        i = t.nheld - 1
        while i >= 0:
            if t.held[i].lock == lid:
                removed = t.held[i]
                while i < t.nheld - 1:
                    t.held[i] = t.held[i + 1]
                    i += 1
                t.nheld -= 1
                break
            i -= 1
        was_writer = L.owner == ti
        if was_writer:
            if L.wrec:
                L.wrec -= 1
                return  # write recursion is one hold
            L.owner = -1
            L.last_cpu = t.cpu
            start, row = L.hold_start, L.hold_row
            L.hold_row = -1
        else:
            if removed.lock < 0:
                self.fail(RuntimeError(f"{self.t_names[ti]} releases a lock it does not hold"))
                return
            remaining = self.reads_held(ti, lid)
            start, row = removed.start, removed.row
            outermost = remaining == 0
            if outermost:
                L.nreaders -= 1
                t.rlocks -= 1
                L.last_cpu = t.cpu
        if row >= 0:
            self.prof[row * 6 + 2] += self.now - start
            if self.now - start > self.prof[row * 6]:
                self.prof[row * 6] = self.now - start
        if self.probing and self.lock_probe_on(lid, 3):
            self.probe_lock(ti, lid, 3, -1, -1, self.now - start)
        if (was_writer or outermost) and L.owner < 0 and L.nreaders == 0 and not L.in_transit:
            self.lock_freed(lid)
        if lid >= self.nslots and self.conns[lid - self.nslots].refs == 0:
            self.maybe_free(lid - self.nslots)

    cdef void lock_freed(self, int lid) noexcept:
        cdef Lock* L = self.lockp(lid)
        cdef int w, nxt, writers = 0, n, k, winner
        cdef int pool[256]
        cdef int npool = 0, flagged = 0
        cdef double x, total
        # turnstile_broadcast: every sleeping writer if there is one, else every sleeping reader, retries
        w = L.sleep_head
        while w >= 0:
            if self.th[w].w_mode:
                writers = 1
            w = self.th[w].w_next
        w = L.sleep_head
        while w >= 0:
            nxt = self.th[w].w_next
            if self.th[w].w_mode or not writers:
                self.list_remove(&L.sleep_head, &L.sleep_tail, w)
                self.trigger(w, OUT_RETRY)
            w = nxt
        # race: the spinners' compare-and-set
        if L.spin_head < 0:
            return
        w = L.spin_head
        while w >= 0:
            if self.th[w].w_mode and self.th[w].w_on_readers:
                flagged = 1
            w = self.th[w].w_next
        n = 0
        w = L.spin_head
        while w >= 0:
            n += 1
            if (not flagged or (self.th[w].w_mode and self.th[w].w_on_readers)) and npool < 256:
                pool[npool] = w
                npool += 1
            w = self.th[w].w_next
        if npool == 1:
            winner = pool[0]
        elif self.nrace_weight < 0:
            winner = pool[_bounded(self.rng_race, npool)]
        else:
            total = 0.0
            for k in range(npool):
                total += self.weight(pool[k])
            x = _to_unit(_xoshiro_next(self.rng_race)) * total
            winner = pool[npool - 1]
            for k in range(npool):
                x -= self.weight(pool[k])
                if x < 0:
                    winner = pool[k]
                    break
        if self.th[winner].w_mode:
            self.th[winner].w_won = 1
            self.th[winner].w_spinning = 0
        else:
            w = L.spin_head
            while w >= 0:
                if not self.th[w].w_mode:
                    self.th[w].w_won = 1
                    self.th[w].w_spinning = 0
                w = self.th[w].w_next
        L.in_transit = 1
        self.push(self.now + self.line_ns + self.handoff_ns * (n - 1), EV_HANDOFF, lid, 0)

    cdef double weight(self, int ti) noexcept:
        cdef int cpu = self.th[ti].cpu
        return self.race_weight[cpu] if cpu < self.nrace_weight else 1.0

    cdef void handoff(self, int lid) noexcept:
        """_handoff: the winners get the lock; readers that arrived meanwhile may share it."""
        cdef Lock* L = self.lockp(lid)
        cdef int w, nxt
        L.in_transit = 0
        w = L.spin_head
        while w >= 0:
            nxt = self.th[w].w_next
            if self.th[w].w_won:
                self.th[w].w_won = 0
                self.list_remove(&L.spin_head, &L.spin_tail, w)
                self.grant(lid, w, self.th[w].w_mode)
                self.trigger(w, OUT_GRANTED)
            w = nxt
        if L.owner >= 0:  # a writer took it: the lock word was rewritten, no waiter is flagged against readers
            w = L.spin_head
            while w >= 0:
                self.th[w].w_on_readers = 0
                w = self.th[w].w_next
        if L.nreaders:
            w = L.spin_head
            while w >= 0:
                nxt = self.th[w].w_next
                if not self.th[w].w_mode and self.can_grant(lid, w, 0):
                    self.list_remove(&L.spin_head, &L.spin_tail, w)
                    self.grant(lid, w, 0)
                    self.trigger(w, OUT_GRANTED)
                w = nxt
            w = L.spin_head
            while w >= 0:
                if not self.th[w].w_on_readers:
                    self.th[w].w_on_readers = 1
                    self.push(self.now + self.reader_spin, EV_RSPIN, w, <int>self.th[w].w_gen)
                w = self.th[w].w_next

    # ============================================================================================================
    # kernel state: actions and conditions (model/kernel_state.py)
    # ============================================================================================================
    cdef int holds(self, int ti, int cond) noexcept:
        cdef Thread* t = &self.th[ti]
        if cond == KC_TWFULL:
            return self.tw_len >= self.maxtcptw and self.tw_len > 0
        if cond == KC_TWEXPIRED:
            return self.tw_len > 0 and self.conns[self.tw_head].tw_expire <= self.now
        if cond == KC_TXPEND:
            return self.q[t.txring].buf_ring.n > 0
        if cond == KC_TXRECLAIM:
            return t.tx_budget > 0 and self.q[t.txring].tx_done.n > 0
        # KC_TXLOW: QueueState.descriptors_low
        return self.txd - DESCRIPTORS_PER_FRAME * self.q[t.txring].tx_done.n < self.txd // 8

    cdef int act(self, int ti, int action, int arg) noexcept:
        cdef Thread* t = &self.th[ti]
        cdef int ci = t.conn, old
        cdef Conn* c
        cdef Queue* qu
        if ci < 0 and action != A_ACCEPT_DEQ and action != A_TW_CLOSE and action < A_TX_DEFER:
            self.fail(RuntimeError(f"fast engine: action {self.strings['actions'][action]!r} with no connection"))
            return 1
        if action == A_STATE:
            if self.pon[P_STATE]:
                self._fire("tcp:::state-change", conn=self.conns[ci].cid,
                          old=self.strings["states"][self.conns[ci].state], new=self.strings["states"][arg])
            self.conns[ci].state = arg
        elif action == A_FLOWID:
            self.conns[ci].flowid = 1
        elif action == A_TX_ENQ:
            self.tx_enqueue(ti, ci, arg)
        elif action == A_TX_DEFER:
            self.enqueue_task(t.txring, TASK_TX, ti)
        elif action == A_TX_XMIT:
            self.tx_xmit(t.txring)
        elif action == A_TX_OWN:
            t.txring = t.queue
        elif action == A_TX_BEGIN:
            t.tx_budget = <int32_t>self.tx_limit
        elif action == A_TX_RECLAIM:
            qu = &self.q[t.txring]
            if qu.tx_done.n == 0:  # nothing sent awaits reclaim (as tx_xmit: outside its block it may find none)
                return 1
            t.tx_budget -= 1
            qu.tx_bytes += ring_pop(&qu.tx_done)
            qu.tx_packets += 1
            self.frames[4] += 1
        elif action == A_LISTEN_CHECK:
            if self.accept_q[self.conns[ci].listen].n > 3 * self.backlog // 2:
                self.listen_overflow += 1
                return 0
        elif action == A_ACCEPT_ENQ:
            self.ref(ci)
            ring_push(&self.accept_q[self.conns[ci].listen], ci)
        elif action == A_WAKE_ACCEPTOR:
            self.wake(self.acceptors[self.conns[ci].listen], -1)
        elif action == A_ACCEPT_DEQ:
            if self.accept_q[t.listen].n == 0:
                self.fail(RuntimeError("accept_dequeue on an empty accept queue"))
                return 1
            old = ring_pop(&self.accept_q[t.listen])
            self.set_conn(ti, old)
            self.unref(old)
        elif action == A_RCV_DATA:
            self.conns[ci].data_ready = 1
            self.data_ready(ci)
        elif action == A_TW_INSERT:
            c = &self.conns[ci]
            c.tw_expire = self.now + self.two_msl
            self.tw_append(ci)
        elif action == A_TW_CLOSE:
            old = t.tw if t.tw >= 0 else self.tw_head
            if old < 0:
                self.fail(RuntimeError("tw_close_oldest on an empty TIME-WAIT list"))
                return 1
            if not self.conns[old].in_tw:
                return 1  # another thread unlinked it meanwhile
            self.conns[old].state = self.state_closed
            if self.conns[old].tw_expire <= self.now:
                self.tw_expired += 1
            else:
                self.tw_recycled += 1
            self.tw_unlink(old)
        return 1

    cdef void tw_append(self, int ci) noexcept:
        cdef Conn* c = &self.conns[ci]
        c.in_tw = 1
        c.tw_next = -1
        c.tw_prev = self.tw_tail
        if self.tw_tail >= 0:
            self.conns[self.tw_tail].tw_next = ci
        else:
            self.tw_head = ci
        self.tw_tail = ci
        self.tw_len += 1
        self.ref(ci)

    cdef void tw_unlink(self, int ci) noexcept:
        cdef Conn* c = &self.conns[ci]
        if c.tw_prev >= 0:
            self.conns[c.tw_prev].tw_next = c.tw_next
        else:
            self.tw_head = c.tw_next
        if c.tw_next >= 0:
            self.conns[c.tw_next].tw_prev = c.tw_prev
        else:
            self.tw_tail = c.tw_prev
        c.tw_next = c.tw_prev = -1
        c.in_tw = 0
        self.tw_len -= 1
        self.unref(ci)

    cdef void prefill_timewait(self, int64_t spread) noexcept:
        """Kernel.prefill_timewait: the list already at maxtcptw, entries spread over the last ``spread`` ns."""
        cdef int64_t i, n = self.maxtcptw
        cdef int ci
        for i in range(n):
            ci = self.alloc_conn()
            self.conns[ci].cid = <int32_t>(-1 - i)
            self.conns[ci].queue = (1 + i) % self.nqueues
            self.conns[ci].state = self.state_tw
            self.conns[ci].outcome = OUTC_PREFILL
            self.conns[ci].tw_expire = 0 - spread + (spread * i) // max(n, 1) + self.two_msl
            self.tw_append(ci)

    cdef void data_ready(self, int ci) noexcept:
        cdef int w = self.conns[ci].worker
        if w >= 0:
            self.ref(ci)
            ring_push(&self.th[w].ready, ci)
            self.wake(w, -1)

    cdef void count_drop(self, int reason) noexcept:
        self.total_drops += 1
        if self.w0 <= self.now < self.w1:
            self.drops[reason] += 1

    # ============================================================================================================
    # link, NIC and clients
    # ============================================================================================================
    cdef int64_t wire(self, int inbound, int64_t at, int nbytes) noexcept:
        cdef int64_t start, done
        if inbound:
            start = at if at > self.link_free_in else self.link_free_in
        else:
            start = at if at > self.link_free_out else self.link_free_out
        done = start + <int64_t>(nbytes * self.ns_per_byte)
        if inbound:
            self.link_free_in = done
            if self.w0 <= done < self.w1:
                self.link_bytes_in += nbytes
        else:
            self.link_free_out = done
            if self.w0 <= done < self.w1:
                self.link_bytes_out += nbytes
        return done

    cdef void client_send(self, int ci, int seg) noexcept:
        self.frames[0] += 1
        self.ref(ci)
        self.push(self.wire(1, self.now + self.one_way, self.frame_bytes[seg]), EV_NIC_RX, ci, seg)

    cdef void tx_enqueue(self, int ti, int ci, int seg) noexcept:
        """NicMixin.tx_enqueue: the ring (nic.transmit_ring), the frame on its buf_ring, tcp:::send."""
        cdef Thread* t = &self.th[ti]
        cdef Queue* qu
        t.txring = (self.conns[ci].queue % self.nqueues) if self.conns[ci].flowid else t.cpu % self.nqueues
        qu = &self.q[t.txring]
        self.ref(ci)  # the buf_ring's
        ring_push(&qu.buf_ring, ci << 4 | seg)
        if qu.buf_ring.n > qu.buf_max:
            qu.buf_max = qu.buf_ring.n
        self.segments_out += 1
        if self.pon[P_SEND]:
            self._fire("tcp:::send", conn=self.conns[ci].cid, segment=self.strings["segments"][seg])

    cdef void tx_xmit(self, int qi) noexcept:
        """NicMixin.tx_xmit: the oldest frame of the ring's buf_ring goes on the wire."""
        cdef Queue* qu = &self.q[qi]
        cdef int v, ci, seg, nbytes
        cdef int64_t done
        if qu.buf_ring.n == 0:  # nothing queued (a variant may move the action out of its tx_pending block)
            return
        v = ring_pop(&qu.buf_ring)
        ci, seg = v >> 4, v & 15
        nbytes = self.frame_bytes[seg]
        done = self.wire(0, self.now, nbytes)
        ring_push(&qu.tx_done, nbytes - self.frame_overhead)
        self.cause(qi)
        self.push(done + self.one_way, EV_CLIENT_RX, ci, seg)  # the buf_ring's reference moves to the event

    cdef void enqueue_task(self, int qi, int task, int waker) noexcept:
        """QueueState.enqueue_task, and wake the queue's thread when the task was queued."""
        cdef Queue* qu = &self.q[qi]
        cdef int i
        for i in range(qu.ntasks):
            if qu.tasks[i] == task:
                return
        qu.tasks[qu.ntasks] = task
        qu.ntasks += 1
        self.wake(self.tasks[qi], waker)

    cdef void nic_rx(self, int ci, int seg) noexcept:
        cdef int qi = self.conns[ci].queue
        cdef Queue* qu = &self.q[qi]
        cdef int j
        self.frames[1] += 1
        if qu.ring_n >= self.ring_size:
            self.frames[3] += 1
            self.count_drop(REASON_RING_FULL)
            self.client_dropped(ci, seg, REASON_RING_FULL)
            self.unref(ci)
            return
        j = qu.ring_head + qu.ring_n
        if j >= self.ring_size:
            j -= self.ring_size
        qu.ring_conn[j] = ci  # the event's reference moves to the ring
        qu.ring_seg[j] = seg
        qu.ring_n += 1
        self.frames[2] += 1
        if self.pon[P_RECEIVE]:
            self._fire("tcp:::receive", conn=self.conns[ci].cid, segment=self.strings["segments"][seg])
        self.cause(qi)

    cdef inline int64_t _interval(self, int eitr) noexcept:
        return ((eitr & self.eitr_mask) >> 3) * self.eitr_unit

    cdef void cause(self, int qi) noexcept:
        """_cause: a queue has work; its vector fires once enabled and its moderation interval has run out."""
        cdef Queue* qu = &self.q[qi]
        cdef int64_t t
        if qu.masked or qu.scheduled or (qu.ring_n == 0 and qu.tx_done.n == 0):
            return
        qu.scheduled = 1
        t = qu.last_intr + self._interval(qu.eitr)
        self.push(t if t > self.now else self.now, EV_INTERRUPT, qi, 0)

    cdef void interrupt(self, int qi) noexcept:
        cdef Queue* qu = &self.q[qi]
        qu.scheduled = 0
        qu.masked = 1
        qu.last_intr = self.now
        self.count_nic(qi, 0, 1)
        if self.pon[P_MSIX]:
            self._fire(PROBES[P_MSIX], queue=qi, eitr=qu.eitr)
        self.wake(self.ithreads[qi], -1)

    cdef void moderate(self, int qi) noexcept:
        """QueueState.moderate."""
        cdef Queue* qu = &self.q[qi]
        if not self.aim:
            return
        if qu.eitr_setting:
            qu.eitr = qu.eitr_setting
        qu.eitr_setting = _aim_eitr(qu.rx_bytes, qu.tx_bytes, qu.tx_packets, <int>self.frame_overhead)
        if qu.eitr_setting:
            qu.rx_bytes = qu.tx_bytes = qu.tx_packets = 0

    cdef inline void count_nic(self, int qi, int counter, int64_t n) noexcept:
        if self.w0 <= self.now < self.w1:
            self.q[qi].counts[counter] += n

    cdef void new_connection(self) noexcept:
        cdef int ci = self.alloc_conn()
        cdef Conn* c = &self.conns[ci]
        cdef int64_t cid = self.next_cid
        cdef int64_t a = cid % self.addresses
        cdef int sport = 1024 + (cid // self.addresses) % 64511
        cdef uint8_t data[12]
        cdef uint32_t h
        self.next_cid += 1
        data[0] = 10
        data[1] = (a >> 16) & 255
        data[2] = (a >> 8) & 255
        data[3] = a & 255
        data[4], data[5], data[6], data[7] = self.server_addr[0], self.server_addr[1], self.server_addr[2], self.server_addr[3]
        data[8] = sport >> 8
        data[9] = sport & 255
        data[10] = self.server_port >> 8
        data[11] = self.server_port & 255
        h = _toeplitz(self.rss_key, data, 12)
        c.cid = <int32_t>cid
        c.queue = self.reta[h & 127]
        c.bucket = h % (self.nbuckets if self.nbuckets > 0 else 1)
        c.listen = (h >> 8) % self.nlisten
        c.t_start = self.now
        c.state = self.state_closed
        c.refs = 1  # the client's, until its outcome
        self.started += 1
        if self.w0 <= self.now < self.w1:
            self.window_started += 1
        c.syn_tries = 1
        self.client_send(ci, self.opens)

    cdef void client_receive(self, int ci, int seg) noexcept:
        cdef Conn* c = &self.conns[ci]
        cdef int i
        self.frames[5] += 1
        if self.nanswers[seg]:
            for i in range(self.nanswers[seg]):
                self.client_send(ci, self.answers[seg][i])
        elif seg == self.completes and c.outcome == OUTC_NONE:
            c.outcome = OUTC_COMPLETED
            self.completed += 1
            if self.w0 <= self.now < self.w1:
                self.window_completed += 1
                if self.nlat == self.caplat:
                    self.caplat *= 2
                    self.lat = <int64_t*>realloc(self.lat, self.caplat * sizeof(int64_t))
                self.lat[self.nlat] = self.now - c.t_start
                self.nlat += 1
            self.client_done(ci)
        self.unref(ci)  # the event's

    cdef void client_dropped(self, int ci, int seg, int reason) noexcept:
        """_client_dropped with clients.retransmission's rules (clients.RESENT, lowered)."""
        cdef Conn* c = &self.conns[ci]
        cdef int64_t delay = -1
        if self.pon[P_DROP]:
            self._fire("tcp:::drop", conn=c.cid, segment=self.strings["segments"][seg],
                      reason=self.strings["reasons"][reason])
        if self.resend[seg] == 1:  # syn
            if c.syn_tries > self.max_syn_retries:
                c.outcome = OUTC_SYN_TIMEOUT
            else:
                delay = self.syn_rto_ns << (c.syn_tries - 1)
                c.syn_tries += 1
        elif self.resend[seg] == 2:  # rto
            delay = self.rto_ns << (c.rto_tries if c.rto_tries < 6 else 6)
            c.rto_tries += 1
        if delay >= 0:
            if self.w0 <= self.now < self.w1:
                self.retransmits[seg] += 1
            self.ref(ci)
            self.push(self.now + delay, EV_CLIENT_SEND, ci, seg)
        elif c.outcome == OUTC_SYN_TIMEOUT:
            self.failed += 1
            self.count_drop(REASON_SYN_TIMEOUT)
            self.client_done(ci)

    cdef void client_done(self, int ci) noexcept:
        if self.closed:
            self.push(self.now + self.think_ns, EV_NEWCONN, 0, 0)
        self.unref(ci)  # the client's

    # ============================================================================================================
    # Python side: probes, the time series, the watchdog, the state as data
    # ============================================================================================================
    def _fire(self, str name, **args):
        try:
            self.probes.fire(name, self.now, **args)
        except BaseException as exc:
            self.fail(exc)

    cdef inline bint lock_probe_on(self, int lid, int what) noexcept:
        """lockstat:::{rw,adaptive}-{acquire,spin,block,release} (what = 0..3, PROBES order) for this lock's kind."""
        return self.pon[P_LOCK + (0 if self.decl_kind[self.lockp(lid).decl] else 4) + what]

    cdef void probe_lock(self, int ti, int lid, int what, int mode, int site, int64_t ns) noexcept:
        cdef Lock* L = self.lockp(lid)
        name = PROBES[P_LOCK + (0 if self.decl_kind[L.decl] else 4) + what]
        lock = self.strings["displays"][self.decl_display[L.decl]]
        m = "W" if mode else "R"
        thread = self.t_names[ti]
        if what == 0:
            self._fire(name, lock=lock, mode=m, site=self.strings["sites"][site], thread=thread, wait=ns)
        elif what == 1:
            self._fire(name, lock=lock, mode=m, site=self.strings["sites"][site], thread=thread, ns=ns)
        elif what == 2:
            self._fire(name, lock=lock, mode=m, site=self.strings["sites"][site], thread=thread)
        else:
            self._fire(name, lock=lock, thread=thread, hold=ns)

    cdef void probe_rxeof(self, int ti, int probe, int frames, int more) noexcept:
        self._fire(PROBES[probe], queue=self.th[ti].queue, thread=self.t_names[ti],
                  cpu=self.th[ti].cpu, frames=frames, more=bool(more))

    cdef void sample(self) noexcept:
        s = self.series
        s["t_ns"].append(self.now)
        s["completed"].append(self.completed)
        s["started"].append(self.started)
        s["drops"].append(self.total_drops)
        s["rx_ring"].append([self.q[i].ring_n for i in range(self.nqueues)])
        s["accept_queue"].append(sum(self.accept_q[i].n for i in range(self.nlisten)))
        s["timewait"].append(self.tw_len)

    cdef void watchdog(self) noexcept:
        """deadlock.Watch's look (the engine's owner holds the watch)."""
        try:
            self.owner.watch_look(self.now)
        except BaseException as exc:
            self.fail(exc)

    def state(self):
        """Everything the result, the invariants and the deadlock search read, as plain Python data."""
        cdef int i, j, c, w
        cdef Thread* t
        cdef Lock* L
        cdef dict locks = {}
        threads = []
        for i in range(self.nthreads):
            t = &self.th[i]
            threads.append(dict(
                cpu=t.cpu, running=bool(t.running), busy=[t.busy[0], t.busy[1], t.busy[2]],
                by_cpu=None if t.by_cpu == NULL else {c: t.by_cpu[c] for c in range(self.ncpus) if t.by_cpu[c]},
                held=[(t.held[j].lock, t.held[j].mode, t.held[j].site) for j in range(t.nheld)],
                conn=t.conn, tw=t.tw, path=t.path,
                spin=bool(t.spin_active), spin_triggered=bool(t.w_triggered),
                pending_grant=t.w_lock if (t.spin_active and t.w_triggered and t.w_outcome == OUT_GRANTED) else -1,
            ))

        def lock_data(int lid):
            cdef Lock* L = self.lockp(lid)
            spinners, sleepers = [], []
            w = L.spin_head
            while w >= 0:
                spinners.append((w, self.th[w].w_mode, self.th[w].w_site))
                w = self.th[w].w_next
            w = L.sleep_head
            while w >= 0:
                sleepers.append((w, self.th[w].w_mode, self.th[w].w_site))
                w = self.th[w].w_next
            return dict(decl=L.decl, owner=L.owner, nreaders=L.nreaders, in_transit=bool(L.in_transit),
                        spinners=spinners, sleepers=sleepers)

        for i in range(self.nslots):  # an idle lock is left out: the caller knows what an idle lock looks like
            L = &self.slots[i]
            if L.owner >= 0 or L.nreaders or L.in_transit or L.spin_head >= 0 or L.sleep_head >= 0:
                locks[i] = lock_data(i)
        for i in range(self.nthreads):
            t = &self.th[i]
            for j in range(t.nheld):
                if t.held[j].lock not in locks:
                    locks[t.held[j].lock] = lock_data(t.held[j].lock)
            for c in (t.conn, t.tw):
                if c >= 0 and self.nslots + c not in locks:
                    locks[self.nslots + c] = lock_data(self.nslots + c)
            if t.w_lock >= 0 and t.w_lock not in locks and (t.w_lock < self.nslots or
                                                              self.conns[t.w_lock - self.nslots].used):
                locks[t.w_lock] = lock_data(t.w_lock)
        cpus = [dict(current=self.cpus[c].current, runq=[self.cpus[c].rq_thread[j] for j in range(self.cpus[c].nrunq)])
                for c in range(self.ncpus)]
        queues = [dict(ring=self.q[i].ring_n, tx_done=self.q[i].tx_done.n, buf_ring=self.q[i].buf_ring.n,
                       buf_max=self.q[i].buf_max, tasks=self.q[i].ntasks, eitr=self.q[i].eitr,
                       counts=[self.q[i].counts[j] for j in range(NCOUNTERS)]) for i in range(self.nqueues)]
        return dict(threads=threads, locks=locks, cpus=cpus, queues=queues, nslots=self.nslots)

    def accounts(self):
        """The run's counters (the reference engine's raw attributes), as Python data."""
        cdef int i, s
        samples = []
        for i in range(self.ncpus):
            d = {}
            for s in range(self.nstacks):
                if self.samples[i * self.nstacks + s]:
                    d[s] = self.samples[i * self.nstacks + s]
            samples.append(d)
        prof = {}
        for i in range(self.nrows):
            if self.prof[i * 6 + 4]:
                prof[i] = [self.prof[i * 6 + s] for s in range(6)]
        return dict(
            cpu_time=[[self.cpu_time[i * 3 + s] for s in range(3)] for i in range(self.ncpus)],
            cpu_spin=[self.cpu_spin[i] for i in range(self.ncpus)],
            samples=samples, prof=prof,
            drops={i: self.drops[i] for i in range(self.nreasons) if self.drops[i]},
            retransmits={i: self.retransmits[i] for i in range(NSEG) if self.retransmits[i]},
            frames=[self.frames[i] for i in range(6)],
            link_bytes=(self.link_bytes_in, self.link_bytes_out),
            live_connections=self.nconns - self._free_count(), pool=self.capconns,
        )

    cdef int _free_count(self):
        cdef int n = 0, ci = self.free_conn
        while ci >= 0:
            n += 1
            ci = self.conns[ci].tw_next
        return n

    def sorted_latencies(self):
        """The window's connection latencies (ns), ascending, as a buffer over the core's own array (valid while
        the core lives): 8 bytes each, no Python int made."""
        qsort(self.lat, self.nlat, sizeof(int64_t), _cmp_int64)
        if self.nlat == 0:
            return b""
        return memoryview(<int64_t[:self.nlat]>self.lat).cast("B")

    def kernel_counters(self):
        return self.tw_recycled, self.tw_expired, self.listen_overflow

    def timewait_expiries(self):
        """tw_expire of every TIME-WAIT entry, oldest first."""
        out = []
        ci = self.tw_head
        while ci >= 0:
            out.append(self.conns[ci].tw_expire)
            ci = self.conns[ci].tw_next
        return out

    def accept_queue_lengths(self):
        return [self.accept_q[i].n for i in range(self.nlisten)]

    @staticmethod
    def sizes():
        """Bytes of the C records: a connection (with its lock) -- also a TIME-WAIT entry -- and a thread."""
        return dict(connection=sizeof(Conn), lock=sizeof(Lock), thread=sizeof(Thread), event=sizeof(Ev))



cdef inline int _aim_eitr(int64_t rx_bytes, int64_t tx_bytes, int64_t tx_packets, int overhead) noexcept nogil:
    """nic.aim_eitr in C, once per interrupt (tests/test_fast_engine.py holds it equal to the Python rule)."""
    cdef int64_t avg
    if not rx_bytes and not tx_bytes:
        return 0
    avg = tx_bytes // tx_packets if tx_bytes and tx_packets else 0
    avg = min(avg + overhead, 3000)
    return <int>(avg // 3 if 300 < avg < 1200 else avg // 2)


def aim_eitr_c(int64_t rx_bytes, int64_t tx_bytes, int64_t tx_packets, int overhead):
    """_aim_eitr, for the test that compares it with nic.aim_eitr."""
    return _aim_eitr(rx_bytes, tx_bytes, tx_packets, overhead)


cdef int _cmp_int64(const void* a, const void* b) noexcept nogil:
    cdef int64_t x = (<const int64_t*>a)[0], y = (<const int64_t*>b)[0]
    return (x > y) - (x < y)


cdef inline void _lock_init(Lock* L, int decl) noexcept:
    memset(L, 0, sizeof(Lock))
    L.decl = decl
    L.owner = -1
    L.last_cpu = -1
    L.hold_row = -1
    L.spin_head = L.spin_tail = L.sleep_head = L.sleep_tail = -1


cdef int32_t* _ints(values):
    cdef int32_t* p = <int32_t*>malloc((len(values) + 1) * sizeof(int32_t))
    cdef int i
    for i in range(len(values)):
        p[i] = values[i]
    return p
