# Part of tcpsim._fast (included by _fast.pyx): class Core -- one run's tables, parameters, state and
# accounting as C fields; its construction from the lowered tables; and everything Python calls on it (start,
# run, state, accounts, ...). What it does per event is in the other parts, as module-level cdef functions
# taking the Core first (Cython 3 refuses ``include`` inside a class body, and a final class's cdef methods
# were direct C calls too).

@cython.final
cdef class Core:
    # --- tables (lowering.lower) ---
    cdef int64_t* code
    cdef int32_t* stack_sets
    cdef int nvar, nstacks, nrows, nslots, nthreads, ncpus, nqueues
    cdef int32_t* decl_scope
    cdef int32_t* line_tab      # [from cpu * ncpus + to cpu]: ns a lock word's line takes (model/topology.py)
    cdef int32_t* smt_sib       # [cpu * smt_n + k]: the other hardware threads of its core (model/topology.py)
    cdef int smt_n              # threads per core - 1; 0: no SMT, work is never stretched
    cdef int64_t smt_busy, smt_spin   # thousandths a running / spinning sibling adds to a work advance
    cdef int32_t* decl_slot
    cdef int32_t* decl_kind
    cdef int32_t* decl_rec
    cdef int32_t* decl_cls      # lock class (CL_*)
    cdef int32_t* decl_display
    cdef int inp_decl, bucket_slot, nbuckets, nlisten, switch_stack
    cdef int32_t dispatch[NSEG][NSTATES][2]
    cdef int32_t ndispatch[NSEG][NSTATES]
    cdef int32_t bdispatch[NSEG][NSTATES][2]   # what a socket's owner runs for a frame of its backlog
    cdef int32_t nbdispatch[NSEG][NSTATES]
    # socket backlogs (kernel_state.Kernel.backlogs): one FIFO of (socket, connection, segment); a socket is a
    # connection slot, or -1 - i for listen socket i
    cdef int32_t* bl_sock
    cdef int32_t* bl_conn
    cdef int8_t* bl_seg
    cdef int32_t bl_n, bl_cap, socket_backlog
    cdef int8_t* listen_owned
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
    cdef int64_t until, w0, w1, now, seq, one_way, think_ns, syn_rto_ns, rto_ns, two_msl, reader_spin
    cdef int64_t grace_detect
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
    cdef uint64_t rng_think[4]   # work of a random length (steps.DISTRIBUTIONS): the lock microbenchmark's
    cdef int64_t runq_seq, rr, acts, next_cid
    cdef int64_t link_free_in, link_free_out, link_bytes_in, link_bytes_out
    # --- accounting ---
    cdef int64_t* cpu_time      # [cpu][3]
    cdef int64_t* to_sample     # per CPU: cycles left before its next pmc sample
    cdef int64_t* cpu_spin
    cdef int64_t* samples       # [cpu][stack]
    cdef int64_t* prof          # [row][6]: max hold, wait max, total hold, wait total, count, contested
    cdef int64_t* traffic       # [display][2]: hand-offs, the line transfers they took (in the window)
    cdef object retired         # epoch: lock id -> [(entry number at the retire, retire time)] awaiting grace
    cdef object freeing         # epoch: lock id -> deque of free times past their grace period
    cdef object grace           # epoch: display -> [freed, total ns, max ns, most unfreed] (retired in the window)
    cdef uint8_t* edge_seen     # [display][display]
    cdef int ndisplays
    cdef int64_t* lat
    cdef int64_t nlat, caplat
    cdef int64_t* drops
    cdef int nreasons
    cdef public int64_t started, completed, failed, window_started, window_completed, total_drops
    cdef public int64_t segments_in, segments_out
    cdef public int64_t bench_loops   # Think operations begun (the watchdog's progress for the lock bench)
    cdef public int64_t window_loops  # the same, in the window (lockbench's acquisitions)
    cdef int64_t tw_recycled, tw_expired, listen_overflow, backlog_queued   # kernel_state.COUNTERS, in that order
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
        self.decl_cls = _ints(low["decl_cls"])
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
                d = low["backlog_dispatch"][i * NSTATES + s]
                self.nbdispatch[i][s] = len(d)
                for j in range(len(d)):
                    self.bdispatch[i][s][j] = d[j]
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
        self.line_tab = _ints(low["line_transfer"])
        self.smt_n = low["smt_n"]
        self.smt_sib = _ints(low["smt_siblings"])
        self.smt_busy, self.smt_spin = low["smt_extra"]
        self.handoff_ns = int(costs["lock_handoff_per_spinner"])
        self.grace_detect = int(costs["epoch_grace_detect"])
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
        seed_stream(self.rng_think, run.seed, "think")
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
            t.conn = t.tw = t.rx_conn = t.bl_own = -1
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
        self.listen_owned = <int8_t*>calloc(self.nlisten, sizeof(int8_t))
        self.bl_cap, self.bl_n, self.socket_backlog = 16, 0, k.socket_backlog
        self.bl_sock = <int32_t*>malloc(self.bl_cap * sizeof(int32_t))
        self.bl_conn = <int32_t*>malloc(self.bl_cap * sizeof(int32_t))
        self.bl_seg = <int8_t*>malloc(self.bl_cap * sizeof(int8_t))
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
            self.q[i].last_intr = -_interval(self, self.q[i].eitr)
        # accounting
        self.cpu_time = <int64_t*>calloc(self.ncpus * 3, sizeof(int64_t))
        self.to_sample = <int64_t*>malloc(self.ncpus * sizeof(int64_t))
        for i in range(self.ncpus):
            self.to_sample[i] = self.sample_ns
        self.cpu_spin = <int64_t*>calloc(self.ncpus, sizeof(int64_t))
        self.samples = <int64_t*>calloc(self.ncpus * self.nstacks + 1, sizeof(int64_t))
        self.prof = <int64_t*>calloc(self.nrows * 6 + 1, sizeof(int64_t))
        self.traffic = <int64_t*>calloc(self.ndisplays * 2 + 1, sizeof(int64_t))
        self.retired = {}
        self.freeing = {}
        self.grace = {}
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
        free(self.decl_rec); free(self.decl_cls); free(self.decl_display); free(self.line_tab); free(self.smt_sib)
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
        free(self.listen_owned); free(self.bl_sock); free(self.bl_conn); free(self.bl_seg)
        free(self.reta)
        for i in range(self.nqueues):
            free(self.q[i].ring_conn)
            free(self.q[i].ring_seg)
            free(self.q[i].tx_done.buf)
            free(self.q[i].buf_ring.buf)
        free(self.q)
        free(self.cpu_time); free(self.to_sample); free(self.cpu_spin); free(self.samples); free(self.prof)
        free(self.traffic)
        free(self.edge_seen); free(self.lat); free(self.drops)
        if self.nrace_weight >= 0:
            free(self.race_weight)

    # ============================================================================================================
    # running (the event loop itself is ``run``; what an event does: events.pxi)
    # ============================================================================================================
    def start(self, list initial_connections, int prefill, int64_t prefill_spread):
        """The reference's ``run()`` up to ``env.run``: TIME-WAIT prefill, the closed loop's staggered first
        connections (timers made before any process starts), then every process's first step in creation
        order (threads, then the open loop, the sampler and the watchdog)."""
        cdef int i
        if prefill:
            prefill_timewait(self, prefill_spread)
        for t in initial_connections:
            push(self, t, EV_NEWCONN, 0, 0)
        for i in range(self.nthreads):
            interp(self, i)
        if not self.closed:
            push(self, self.now + arrival_gap(self), EV_ARRIVAL, 0, 0)
        if self.series_ns:
            self.series = {name: [] for name in SERIES}
            push(self, self.series_ns, EV_SAMPLE, 0, 0)
        self.owner.watch_start()
        push(self, self.watchdog_ns, EV_WATCHDOG, 0, 0)
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
            h = first_heap(self)
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
            handle(self, e)
        self.check_error()
        h = first_heap(self)
        return bool(self.fend or (h != NULL and <int64_t>(h.a[0].key >> 64) < until))

    def check_error(self):
        if self.error is not None:
            exc, self.error = self.error, None
            raise exc

    # ============================================================================================================
    # Python side: probes call back through _fire; the state and the counters as data
    # ============================================================================================================
    def _fire(self, str name, **args):
        try:
            self.probes.fire(name, self.now, **args)
        except BaseException as exc:
            fail(self, exc)

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
            cdef Lock* L = lockp(self, lid)
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
        traffic = {d: [self.traffic[d * 2], self.traffic[d * 2 + 1]] for d in range(self.ndisplays)
                   if self.traffic[d * 2]}
        return dict(
            traffic=traffic, grace={d: list(g) for d, g in self.grace.items()},
            cpu_time=[[self.cpu_time[i * 3 + s] for s in range(3)] for i in range(self.ncpus)],
            cpu_spin=[self.cpu_spin[i] for i in range(self.ncpus)],
            samples=samples, prof=prof,
            drops={i: self.drops[i] for i in range(self.nreasons) if self.drops[i]},
            retransmits={i: self.retransmits[i] for i in range(NSEG) if self.retransmits[i]},
            frames=[self.frames[i] for i in range(6)],
            link_bytes=(self.link_bytes_in, self.link_bytes_out),
            live_connections=self.nconns - _free_count(self), pool=self.capconns,
        )

    def sorted_latencies(self):
        """The window's connection latencies (ns), ascending, as a buffer over the core's own array (valid while
        the core lives): 8 bytes each, no Python int made."""
        qsort(self.lat, self.nlat, sizeof(int64_t), _cmp_int64)
        if self.nlat == 0:
            return b""
        return memoryview(<int64_t[:self.nlat]>self.lat).cast("B")

    def kernel_counters(self):
        return self.tw_recycled, self.tw_expired, self.listen_overflow, self.backlog_queued

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


cdef int _cmp_int64(const void* a, const void* b) noexcept nogil:
    cdef int64_t x = (<const int64_t*>a)[0], y = (<const int64_t*>b)[0]
    return (x > y) - (x < y)


cdef int32_t* _ints(values):
    cdef int32_t* p = <int32_t*>malloc((len(values) + 1) * sizeof(int32_t))
    cdef int i
    for i in range(len(values)):
        p[i] = values[i]
    return p
