# Part of tcpsim._fast (included by _fast.pyx); mirrors model/kernel_state.py (the reference engine runs its
# Kernel and Connection objects): the connection records -- a pool of slots, freed when nothing names them any
# more -- the TIME-WAIT list, and the kernel's conditions and actions.

# ====================================================================================================================
# connections: a pool of slots, freed when nothing names them any more
# ====================================================================================================================
cdef int alloc_conn(Core self) noexcept:
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


cdef inline void ref(Core self, int ci) noexcept:
    if ci >= 0:
        self.conns[ci].refs += 1


cdef inline void unref(Core self, int ci) noexcept:
    if ci >= 0:
        self.conns[ci].refs -= 1
        if self.conns[ci].refs == 0:
            maybe_free(self, ci)


cdef void maybe_free(Core self, int ci) noexcept:
    cdef Conn* c = &self.conns[ci]
    cdef Lock* L = &c.lock
    if not c.used or c.refs or L.owner >= 0 or L.nreaders or L.in_transit or L.spin_head >= 0 or \
            L.sleep_head >= 0:
        return
    c.used = 0
    c.tw_next = self.free_conn
    self.free_conn = ci


cdef inline void set_conn(Core self, int ti, int ci) noexcept:
    cdef int old = self.th[ti].conn
    ref(self, ci)
    self.th[ti].conn = ci
    unref(self, old)


cdef inline void set_tw(Core self, int ti, int ci) noexcept:
    cdef int old = self.th[ti].tw
    ref(self, ci)
    self.th[ti].tw = ci
    unref(self, old)


cdef int _free_count(Core self):
    cdef int n = 0, ci = self.free_conn
    while ci >= 0:
        n += 1
        ci = self.conns[ci].tw_next
    return n


# ====================================================================================================================
# kernel state: actions and conditions (model/kernel_state.py)
# ====================================================================================================================
cdef int holds(Core self, int ti, int cond) noexcept:
    cdef Thread* t = &self.th[ti]
    if cond == KC_TWFULL:
        return self.tw_len >= self.maxtcptw and self.tw_len > 0
    if cond == KC_TWEXPIRED:
        return self.tw_len > 0 and self.conns[self.tw_head].tw_expire <= self.now
    if cond == KC_TXPEND:
        return self.q[t.txring].buf_ring.n > 0
    if cond == KC_TXRECLAIM:
        return t.tx_budget > 0 and self.q[t.txring].tx_done.n > 0
    if cond == KC_LOWNED:
        return self.listen_owned[self.conns[t.conn].listen]
    if cond == KC_COWNED:
        return self.conns[t.conn].owned
    # KC_TXLOW: QueueState.descriptors_low
    return self.txd - DESCRIPTORS_PER_FRAME * self.q[t.txring].tx_done.n < self.txd // 8


cdef int act(Core self, int ti, int action, int arg) noexcept:
    cdef Thread* t = &self.th[ti]
    cdef int ci = t.conn, old
    cdef Conn* c
    cdef Queue* qu
    if ci < 0 and action != A_ACCEPT_DEQ and action != A_TW_CLOSE and (action < A_TX_DEFER or action > A_UNOWN_L):
        fail(self, RuntimeError(f"fast engine: action {self.strings['actions'][action]!r} with no connection"))
        return 1
    if action == A_STATE:
        if self.pon[P_STATE]:
            self._fire("tcp:::state-change", conn=self.conns[ci].cid,
                      old=self.strings["states"][self.conns[ci].state], new=self.strings["states"][arg])
        self.conns[ci].state = arg
    elif action == A_FLOWID:
        self.conns[ci].flowid = 1
    elif action == A_TX_ENQ:
        tx_enqueue(self, ti, ci, arg)
    elif action == A_TX_DEFER:
        enqueue_task(self, t.txring, TASK_TX, ti)
    elif action == A_TX_XMIT:
        tx_xmit(self, t.txring)
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
        ref(self, ci)
        ring_push(&self.accept_q[self.conns[ci].listen], ci)
    elif action == A_WAKE_ACCEPTOR:
        wake(self, self.acceptors[self.conns[ci].listen], -1)
    elif action == A_ACCEPT_DEQ:
        if self.accept_q[t.listen].n == 0:
            fail(self, RuntimeError("accept_dequeue on an empty accept queue"))
            return 1
        old = ring_pop(&self.accept_q[t.listen])
        set_conn(self, ti, old)
        unref(self, old)
    elif action == A_RCV_DATA:
        self.conns[ci].data_ready = 1
        data_ready(self, ci)
    elif action == A_TW_INSERT:
        c = &self.conns[ci]
        c.tw_expire = self.now + self.two_msl
        tw_append(self, ci)
    elif action == A_TW_CLOSE:
        old = t.tw if t.tw >= 0 else self.tw_head
        if old < 0:
            fail(self, RuntimeError("tw_close_oldest on an empty TIME-WAIT list"))
            return 1
        if not self.conns[old].in_tw:
            return 1  # another thread unlinked it meanwhile
        self.conns[old].state = self.state_closed
        if self.conns[old].tw_expire <= self.now:
            self.tw_expired += 1
        else:
            self.tw_recycled += 1
        tw_unlink(self, old)
    elif action == A_OWN_L or action == A_UNOWN_L:
        self.listen_owned[t.listen] = action == A_OWN_L
    elif action == A_OWN_C or action == A_UNOWN_C:
        self.conns[ci].owned = action == A_OWN_C
    elif action == A_BL_L or action == A_BL_C:
        return backlog_add(self, ti, -1 - self.conns[ci].listen if action == A_BL_L else ci, ci)
    return 1


cdef int backlog_add(Core self, int ti, int sock, int ci) noexcept:
    """sk_add_backlog (Kernel.act's backlog_*): queue the frame being received on ``sock``'s backlog; either way
    its path ends (0), a full backlog's frame as a drop, a queued one deferred to the owner."""
    cdef int i, n = 0
    for i in range(self.bl_n):
        n += self.bl_sock[i] == sock
    if n >= self.socket_backlog:
        return 0
    if self.bl_n == self.bl_cap:
        self.bl_cap *= 2
        self.bl_sock = <int32_t*>realloc(self.bl_sock, self.bl_cap * sizeof(int32_t))
        self.bl_conn = <int32_t*>realloc(self.bl_conn, self.bl_cap * sizeof(int32_t))
        self.bl_seg = <int8_t*>realloc(self.bl_seg, self.bl_cap * sizeof(int8_t))
    self.bl_sock[self.bl_n] = sock
    self.bl_conn[self.bl_n] = ci
    self.bl_seg[self.bl_n] = <int8_t>self.th[ti].rx_seg
    self.bl_n += 1
    self.backlog_queued += 1
    ref(self, ci)
    self.th[ti].deferred = 1
    return 0


cdef int backlog_take(Core self, int sock) noexcept:
    """Kernel.backlog_take: the index of ``sock``'s oldest frame, moved to the end of the live entries (the caller
    reads it there before the next add), or -1."""
    cdef int i, j, c, g
    for i in range(self.bl_n):
        if self.bl_sock[i] == sock:
            c, g = self.bl_conn[i], self.bl_seg[i]
            for j in range(i, self.bl_n - 1):
                self.bl_sock[j] = self.bl_sock[j + 1]
                self.bl_conn[j] = self.bl_conn[j + 1]
                self.bl_seg[j] = self.bl_seg[j + 1]
            self.bl_n -= 1
            self.bl_conn[self.bl_n] = c
            self.bl_seg[self.bl_n] = <int8_t>g
            return self.bl_n
    return -1


cdef void tw_append(Core self, int ci) noexcept:
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
    ref(self, ci)


cdef void tw_unlink(Core self, int ci) noexcept:
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
    unref(self, ci)


cdef void prefill_timewait(Core self, int64_t spread) noexcept:
    """Kernel.prefill_timewait: the list already at maxtcptw, entries spread over the last ``spread`` ns."""
    cdef int64_t i, n = self.maxtcptw
    cdef int ci
    for i in range(n):
        ci = alloc_conn(self)
        self.conns[ci].cid = <int32_t>(-1 - i)
        self.conns[ci].queue = (1 + i) % self.nqueues
        self.conns[ci].state = self.state_tw
        self.conns[ci].outcome = OUTC_PREFILL
        self.conns[ci].tw_expire = 0 - spread + (spread * i) // max(n, 1) + self.two_msl
        tw_append(self, ci)
