# Part of tcpsim._fast (included by _fast.pyx); mirrors engines/simpy_engine.py: the program and path
# interpreter (_program, _run, _steps), the lock names a path resolves (_resolve), accounting (_charge),
# the hand-off to a worker, data_ready, drops, and the calls into Python (probes, the time series sampler,
# the deadlock watchdog).

# ====================================================================================================================
# accounting (_charge)
# ====================================================================================================================
cdef inline void charge(Core self, int ti, int64_t start, int64_t dur, int sidx_stack, int user, int spin) noexcept:
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


cdef inline int32_t smt_permille(Core self, int cpu) noexcept:
    """model/topology.py's smt_permille, from what the other hardware threads of ``cpu``'s core are doing now
    (_smt_permille): a running sibling adds smt_busy, a spinning one smt_spin, an idle one nothing."""
    cdef int32_t pm = 1000
    cdef int k, o
    for k in range(self.smt_n):
        o = self.cpus[self.smt_sib[cpu * self.smt_n + k]].current
        if o >= 0 and self.th[o].running:
            pm += self.smt_spin if self.th[o].spin_active else self.smt_busy
    return pm


cdef inline int64_t stretched(Core self, Thread* t, int64_t d) noexcept:
    """_stretched: ``d`` ns at the speed the core's siblings allow, decided when the advance starts (nothing
    pending yet) and kept for the rest of it."""
    if not self.smt_n:
        return d
    if not t.pend:
        t.smt = smt_permille(self, t.cpu)
    return d * t.smt // 1000


cdef inline int64_t work_ns(Core self, int64_t mean, int64_t dist) noexcept:
    """steps.draw_ns, draw for draw: ``mean`` itself, or (dist 1, exponential) a draw of that mean from the
    "think" stream truncated to whole ns."""
    if dist and mean:
        return <int64_t>_expovariate(self.rng_think, 1.0 / <double>mean)
    return mean


cdef inline int stack_of(Core self, int ti, int sidx) noexcept:
    return self.stack_sets[sidx * self.nvar + self.th[ti].basevar]


# ====================================================================================================================
# threads: the program and path interpreter (_program, _run, _steps)
# ====================================================================================================================
cdef inline void resume(Core self, int ti) noexcept:
    cdef Thread* t = &self.th[ti]
    cdef int k = t.resume
    if k == RK_CONT:
        interp(self, ti)
    elif k == RK_GRANTED:
        switch_in(self, ti)
    elif k == RK_ONCPU:
        on_cpu(self, ti, 0)
    elif k == RK_SPIN:
        spin_done(self, ti)
    elif k == RK_LOCKRETRY:
        lock_retry(self, ti)


cdef void interp(Core self, int ti) noexcept:
    """Run thread ``ti`` from its pc until it has to wait for time, a CPU, a lock or a wake-up."""
    cdef Thread* t = &self.th[ti]
    cdef int64_t* ins
    cdef int op, ci, seg, st, lid, r
    cdef int64_t d
    cdef Queue* qu
    while True:
        if self.error is not None:
            return
        ins = &self.code[t.pc * W]
        op = <int>ins[0]
        if ins[BOUNDARY_FIELD]:  # the step boundary before this step (_steps: pend, then th.preempt)
            if t.pend:
                if not advance(self, self.now + t.pend):
                    push(self, self.now + t.pend, EV_RESUME, ti, 0)
                    t.pend = 0
                    t.resume = RK_CONT
                    return  # back here with nothing pending
                t.pend = 0
            if t.preempted_here:  # back here after the preemption this boundary took
                t.preempted_here = 0
            elif t.preempt and preempt_now(self, t):
                t.preempted_here = 1
                yield_cpu(self, ti, RK_CONT)
                return
        if op == OP_WORK:
            if ins[1]:
                d = stretched(self, t, work_ns(self, ins[1], ins[4]) if ins[4] else ins[1])
                charge(self, ti, self.now + t.pend, d, stack_of(self, ti, <int>ins[3]), <int>ins[2], 0)
                t.pend += d
            t.pc += 1
        elif op == OP_FLUSH:
            t.pc += 1
            if t.pend:
                if advance(self, self.now + t.pend):
                    t.pend = 0
                    continue
                push(self, self.now + t.pend, EV_RESUME, ti, 0)
                t.pend = 0
                t.resume = RK_CONT
                return
        elif op == OP_STEP:  # FLUSH, then (resumed here, nothing pending) PREEMPT
            if t.pend:
                if advance(self, self.now + t.pend):
                    t.pend = 0
                else:
                    push(self, self.now + t.pend, EV_RESUME, ti, 0)
                    t.pend = 0
                    t.resume = RK_CONT
                    return
            t.pc += 1
            if t.preempt and preempt_now(self, t):
                yield_cpu(self, ti, RK_CONT)
                return
        elif op == OP_PREEMPT:
            t.pc += 1
            if t.preempt and preempt_now(self, t):
                yield_cpu(self, ti, RK_CONT)
                return
        elif op == OP_ACQ or op == OP_TRY:
            lid = resolve(self, ti, <int>ins[1], 1)
            if lid < 0:
                return
            if op == OP_TRY and not (is_recursion(self, lid, ti, <int>ins[2]) or can_grant(self, lid, ti, <int>ins[2])):
                t.pc += 1  # the fallback block follows inline
                continue
            t.pc = <int>ins[8] if op == OP_TRY else t.pc + 1
            if acquire(self, ti, lid, <int>ins[2], <int>ins[3], <int>ins[4], <int>ins[5], <int>ins[6], <int>ins[7]):
                return
        elif op == OP_REL:
            lid = resolve(self, ti, <int>ins[1], 0)
            if lid < 0:
                return
            t.pc += 1
            d = release(self, ti, lid)
            if d and pull_line(self, ti, <int>ins[2], d):  # a read release waited for the word's line (rwlock.py)
                return
        elif op == OP_RETIRE:
            lid = resolve(self, ti, <int>ins[1], 0)
            if lid < 0:
                return
            t.pc += 1
            retire(self, lid)
        elif op == OP_ACT:
            self.acts += 1
            t.pc += 1
            if not act(self, ti, <int>ins[1], <int>ins[2]):
                release_all(self, ti)
                if not t.deferred:  # (deferred: the frame went to a socket's backlog, no drop)
                    count_drop(self, <int>ins[3])
                    t.abort_reason = <int>ins[3]
                t.ok = 0
                t.pc = t.ret
        elif op == OP_WHEN:
            if holds(self, ti, <int>ins[1]):
                t.when_t[ins[3]] = self.now
                t.when_acts[ins[3]] = self.acts
                t.pc += 1
            else:
                t.pc = <int>ins[2]
        elif op == OP_AGAIN:
            if t.when_t[ins[2]] == self.now and t.when_acts[ins[2]] == self.acts:
                fail(self, repeat_error(self, ti, <int>ins[1]))
                return
            t.pc = <int>ins[1]
        elif op == OP_STOP:
            release_all(self, ti)
            t.ok = 1
            t.pc = t.ret
        elif op == OP_RET:
            t.ok = 1
            t.pc = t.ret
        # --- programs ---
        elif op == OP_JUMP:
            t.pc = <int>ins[1]
        elif op == OP_IFNOT:
            if program_holds(self, ti, <int>ins[1]):
                t.pc += 1
            else:
                t.pc = <int>ins[2]
        elif op == OP_SLEEP:
            t.pc += 1
            off_cpu(self, ti)
            t.wake_wait = 1
            t.after = RK_CONT
            t.resume = RK_GRANTED
            return
        elif op == OP_TICK:
            t.pc += 1
            if t.running:
                off_cpu(self, ti)
            t.after = RK_CONT
            t.resume = RK_ONCPU
            push(self, self.now + ins[1], EV_RESUME, ti, 0)
            return
        elif op == OP_CALL:
            if call(self, ti, <int>ins[1], t.pc + 1):
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
            unref(self, t.rx_conn)
            t.rx_conn = ci
            t.rx_seg = seg
            if call(self, ti, <int>ins[2], t.pc + 1):
                return
        elif op == OP_RXDISP:  # ins[2]: 0 tcp_input's paths (paths_for), 1 a backlog's owner's (backlog_paths_for)
            set_conn(self, ti, t.rx_conn)
            st = self.conns[t.rx_conn].state
            if ins[2]:
                t.ndisp = self.nbdispatch[t.rx_seg][st]
                t.disp[0] = self.bdispatch[t.rx_seg][st][0]
                t.disp[1] = self.bdispatch[t.rx_seg][st][1]
            else:
                t.ndisp = self.ndispatch[t.rx_seg][st]
                t.disp[0] = self.dispatch[t.rx_seg][st][0]
                t.disp[1] = self.dispatch[t.rx_seg][st][1]
            t.disp_i = 0
            if t.ndisp == 0:
                fail(self, RuntimeError("a client segment with no kernel path"))
                return
            if call(self, ti, t.disp[0], t.pc + 1):
                return
        elif op == OP_RXDRET:
            if not t.ok:
                if t.deferred:
                    t.deferred = 0
                else:
                    client_dropped(self, t.rx_conn, t.rx_seg, t.abort_reason)
                t.pc = <int>ins[2]
                continue
            t.disp_i += 1
            if t.disp_i < t.ndisp:
                if call(self, ti, t.disp[t.disp_i], t.pc):
                    return
            else:
                t.pc = <int>ins[2]
        elif op == OP_RXEND:
            r = <int>(self.rx_limit - t.rx_n)
            count_nic(self, t.queue, <int>ins[1], r)
            if self.pon[ins[2]]:
                probe_rxeof(self, ti, <int>ins[2], r, t.rx_n == 0)
            t.budget_used = t.rx_n == 0
            unref(self, t.rx_conn)
            t.rx_conn = -1
            t.pc += 1
        elif op == OP_BLBEGIN:  # programs.DrainBacklog: keep the thread's own connection
            ref(self, t.conn)
            t.bl_own = t.conn
            t.pc += 1
        elif op == OP_BLNEXT:  # the socket's oldest backlog frame (ins[1]: 0 the listen socket, 1 the connection)
            i = backlog_take(self, t.bl_own if ins[1] else -1 - t.listen)
            if i < 0:
                t.pc = <int>ins[2]
                continue
            unref(self, t.rx_conn)
            t.rx_conn = self.bl_conn[i]  # the backlog's reference moves to the drain
            t.rx_seg = self.bl_seg[i]
            t.pc += 1
        elif op == OP_BLEND:
            unref(self, t.rx_conn)
            t.rx_conn = -1
            set_conn(self, ti, t.bl_own)
            unref(self, t.bl_own)
            t.bl_own = -1
            t.pc += 1
        elif op == OP_TAKETASK:
            qu = &self.q[t.queue]
            t.task = qu.tasks[0]
            qu.tasks[0] = qu.tasks[1]
            qu.ntasks -= 1
            t.pc += 1
        elif op == OP_MODERATE:
            moderate(self, t.queue)
            t.pc += 1
        elif op == OP_UNMASK:
            if self.pon[ins[1]]:
                self._fire(PROBES[ins[1]], queue=t.queue, thread=self.t_names[ti], cpu=t.cpu)
            t.pc += 1
            self.q[t.queue].masked = 0
            cause(self, t.queue)
        elif op == OP_WAKETASK:
            t.pc += 1
            enqueue_task(self, t.queue, TASK_RX, ti)  # the vector stays masked
        elif op == OP_COUNT:
            count_nic(self, t.queue, <int>ins[1], 1)
            if ins[2] >= 0 and self.pon[ins[2]]:
                self._fire(PROBES[ins[2]], queue=t.queue, thread=self.t_names[ti], cpu=t.cpu)
            t.pc += 1
        elif op == OP_TAKEREADY:
            ci = ring_pop(&t.ready)
            set_conn(self, ti, ci)
            unref(self, ci)  # the queue's reference
            t.pc += 1
        elif op == OP_HANDOFF:
            hand_off(self, ti, <int>ins[1])
            t.pc += 1
        elif op == OP_THINK:  # user work between two lock acquisitions (the lock microbenchmark)
            if not t.running:  # the first think: get the CPU first, then come back here
                t.after = RK_CONT
                on_cpu(self, ti, 0)
                return
            self.bench_loops += 1
            if self.w0 <= self.now < self.w1:
                self.window_loops += 1
            t.pc += 1
            d = stretched(self, t, work_ns(self, ins[1], ins[2]))  # its own advance (nothing pending)
            if d:
                charge(self, ti, self.now, d, stack_of(self, ti, <int>ins[3]), 1, 0)
                if not advance(self, self.now + d):
                    push(self, self.now + d, EV_RESUME, ti, 0)
                    t.resume = RK_CONT
                    return
        else:
            fail(self, RuntimeError(f"fast engine: bad opcode {op} at {t.pc}"))
            return


cdef inline bint call(Core self, int ti, int target, int ret) noexcept:
    """Run the path whose ENTER is at ``target``, then go on at ``ret`` (_run: the path's name, then a
    preemption point before its first step); return whether the thread now waits."""
    cdef Thread* t = &self.th[ti]
    t.ret = ret
    t.path = <int>self.code[target * W + 1]
    t.pc = target + 1
    if t.preempt and preempt_now(self, t):
        yield_cpu(self, ti, RK_CONT)
        return True
    return False


cdef int program_holds(Core self, int ti, int cond) noexcept:
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


cdef void hand_off(Core self, int ti, int to_self) noexcept:
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
        data_ready(self, ci)


cdef void release_all(Core self, int ti) noexcept:
    cdef Thread* t = &self.th[ti]
    while t.nheld:
        release(self, ti, t.held[t.nheld - 1].lock)


cdef object repeat_error(Core self, int ti, int when_pc):
    path = self.strings["paths"][self.th[ti].path]
    cond = CONDITIONS[self.code[when_pc * W + 1]]
    return TcpsimError(f"variant {self.owner.m.variant!r}: path {path!r}: the block repeated while "
                       f"{cond!r} holds changed nothing (no action, no time), so it "
                       "would repeat forever; allowed: a repeated block that acts or takes time")


cdef int resolve(Core self, int ti, int decl, int acquiring) noexcept:
    """_resolve: the lock a path's lock name means for this thread now (-1 after a failure)."""
    cdef Thread* t = &self.th[ti]
    cdef int scope = self.decl_scope[decl]
    if scope == SC_GLOBAL:
        return self.decl_slot[decl]
    if scope == SC_TIMEWAIT:
        if acquiring:
            set_tw(self, ti, self.tw_head)
        if t.tw < 0:
            fail(self, RuntimeError("a TIME-WAIT lock taken with an empty TIME-WAIT list"))
            return -1
        return self.nslots + t.tw
    if scope == SC_TWGROUP:
        if t.tw < 0:
            fail(self, RuntimeError("a TIME-WAIT group lock taken with no TIME-WAIT entry"))
            return -1
        return self.decl_slot[decl] + self.conns[t.tw].queue
    if scope == SC_LISTEN:
        if t.listen < 0 and t.conn < 0:
            fail(self, RuntimeError("a listen socket's lock taken with no socket"))
            return -1
        return self.decl_slot[decl] + (t.listen if t.listen >= 0 else self.conns[t.conn].listen)
    if scope == SC_TXRING:
        return self.decl_slot[decl] + t.txring
    if t.conn < 0:
        fail(self, RuntimeError("a connection's lock taken with no connection"))
        return -1
    if scope == SC_CONNECTION:
        return self.nslots + t.conn
    if scope == SC_BUCKET:
        return self.bucket_slot + self.conns[t.conn].bucket
    return self.decl_slot[decl] + self.conns[t.conn].queue  # SC_GROUP


cdef void data_ready(Core self, int ci) noexcept:
    cdef int w = self.conns[ci].worker
    if w >= 0:
        ref(self, ci)
        ring_push(&self.th[w].ready, ci)
        wake(self, w, -1)


cdef void count_drop(Core self, int reason) noexcept:
    self.total_drops += 1
    if self.w0 <= self.now < self.w1:
        self.drops[reason] += 1


# ====================================================================================================================
# Python side: probes, the time series, the watchdog
# ====================================================================================================================
cdef inline bint lock_probe_on(Core self, int lid, int what) noexcept:
    """lockstat:::{rw,adaptive}-{acquire,spin,block,release} (what = 0..3, PROBES order) for this lock's kind."""
    return self.pon[P_LOCK + (0 if self.decl_kind[lockp(self, lid).decl] else 4) + what]


cdef void probe_lock(Core self, int ti, int lid, int what, int mode, int site, int64_t ns) noexcept:
    cdef Lock* L = lockp(self, lid)
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


cdef void probe_rxeof(Core self, int ti, int probe, int frames, int more) noexcept:
    self._fire(PROBES[probe], queue=self.th[ti].queue, thread=self.t_names[ti],
              cpu=self.th[ti].cpu, frames=frames, more=bool(more))


cdef void sample(Core self) noexcept:
    s = self.series
    s["t_ns"].append(self.now)
    s["completed"].append(self.completed)
    s["started"].append(self.started)
    s["drops"].append(self.total_drops)
    s["rx_ring"].append([self.q[i].ring_n for i in range(self.nqueues)])
    s["accept_queue"].append(sum(self.accept_q[i].n for i in range(self.nlisten)))
    s["timewait"].append(self.tw_len)


cdef void watchdog(Core self) noexcept:
    """deadlock.Watch's look (the engine's owner holds the watch)."""
    try:
        self.owner.watch_look(self.now)
    except BaseException as exc:
        fail(self, exc)
