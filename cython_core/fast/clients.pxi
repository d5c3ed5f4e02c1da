# Part of tcpsim._fast (included by _fast.pyx); mirrors engines/simpy_clients.py: the open loop's arrivals, a
# new connection (its RSS hash), the clients' answers, retransmission and the closed loop's think time.

cdef int64_t arrival_gap(Core self) noexcept:
    """The open loop's next gap in ns, at least 1: clients.arrival_gap_ns, draw for draw."""
    cdef double ns
    if self.paced:
        ns = (1.0 + self.jitter * (2.0 * _to_unit(_xoshiro_next(self.rng_arrival)) - 1.0)) / self.rate * 1e9
    else:
        ns = _expovariate(self.rng_arrival, self.rate) * 1e9
    if ns >= 9.2e18:
        return <int64_t>9.2e18
    return max(1, <int64_t>ns)


cdef void new_connection(Core self) noexcept:
    cdef int ci = alloc_conn(self)
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
    c.listen = c.queue % self.nlisten if self.listen_by_queue else (h >> 8) % self.nlisten  # AppSpec.acceptors
    c.t_start = self.now
    c.state = self.state_closed
    c.refs = 1  # the client's, until its outcome
    self.started += 1
    if self.w0 <= self.now < self.w1:
        self.window_started += 1
    c.syn_tries = 1
    client_send(self, ci, self.opens)


cdef void client_receive(Core self, int ci, int seg) noexcept:
    cdef Conn* c = &self.conns[ci]
    cdef int i
    self.frames[5] += 1
    if self.nanswers[seg]:
        for i in range(self.nanswers[seg]):
            client_send(self, ci, self.answers[seg][i])
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
        client_done(self, ci)
    unref(self, ci)  # the event's


cdef void client_dropped(Core self, int ci, int seg, int reason) noexcept:
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
        ref(self, ci)
        push(self, self.now + delay, EV_CLIENT_SEND, ci, seg)
    elif c.outcome == OUTC_SYN_TIMEOUT:
        self.failed += 1
        count_drop(self, REASON_SYN_TIMEOUT)
        client_done(self, ci)


cdef void client_done(Core self, int ci) noexcept:
    if self.closed:
        push(self, self.now + self.think_ns, EV_NEWCONN, 0, 0)
    unref(self, ci)  # the client's
