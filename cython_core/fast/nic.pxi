# Part of tcpsim._fast (included by _fast.pyx); mirrors engines/simpy_nic.py: the link, a client's frame onto
# the wire, the receive ring, interrupts and their moderation (AIM in C), the queues' tasks, the transmit path.

cdef int64_t wire(Core self, int inbound, int64_t at, int nbytes) noexcept:
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


cdef void client_send(Core self, int ci, int seg) noexcept:
    self.frames[0] += 1
    ref(self, ci)
    push(self, wire(self, 1, self.now + self.one_way, self.frame_bytes[seg]), EV_NIC_RX, ci, seg)


cdef void tx_enqueue(Core self, int ti, int ci, int seg) noexcept:
    """NicMixin.tx_enqueue: the ring (nic.transmit_ring), the frame on its buf_ring, tcp:::send."""
    cdef Thread* t = &self.th[ti]
    cdef Queue* qu
    t.txring = (self.conns[ci].queue % self.nqueues) if self.conns[ci].flowid else t.cpu % self.nqueues
    qu = &self.q[t.txring]
    ref(self, ci)  # the buf_ring's
    ring_push(&qu.buf_ring, ci << 4 | seg)
    if qu.buf_ring.n > qu.buf_max:
        qu.buf_max = qu.buf_ring.n
    self.segments_out += 1
    if self.pon[P_SEND]:
        self._fire("tcp:::send", conn=self.conns[ci].cid, segment=self.strings["segments"][seg])


cdef void tx_xmit(Core self, int qi) noexcept:
    """NicMixin.tx_xmit: the oldest frame of the ring's buf_ring goes on the wire."""
    cdef Queue* qu = &self.q[qi]
    cdef int v, ci, seg, nbytes
    cdef int64_t done
    if qu.buf_ring.n == 0:  # nothing queued (a variant may move the action out of its tx_pending block)
        return
    v = ring_pop(&qu.buf_ring)
    ci, seg = v >> 4, v & 15
    nbytes = self.frame_bytes[seg]
    done = wire(self, 0, self.now, nbytes)
    ring_push(&qu.tx_done, nbytes - self.frame_overhead)
    cause(self, qi)
    push(self, done + self.one_way, EV_CLIENT_RX, ci, seg)  # the buf_ring's reference moves to the event


cdef void enqueue_task(Core self, int qi, int task, int waker) noexcept:
    """QueueState.enqueue_task, and wake the queue's thread when the task was queued."""
    cdef Queue* qu = &self.q[qi]
    cdef int i
    for i in range(qu.ntasks):
        if qu.tasks[i] == task:
            return
    qu.tasks[qu.ntasks] = task
    qu.ntasks += 1
    wake(self, self.tasks[qi], waker)


cdef void nic_rx(Core self, int ci, int seg) noexcept:
    cdef int qi = self.conns[ci].queue
    cdef Queue* qu = &self.q[qi]
    cdef int j
    self.frames[1] += 1
    if qu.ring_n >= self.ring_size:
        self.frames[3] += 1
        count_drop(self, REASON_RING_FULL)
        client_dropped(self, ci, seg, REASON_RING_FULL)
        unref(self, ci)
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
    cause(self, qi)


cdef inline int64_t _interval(Core self, int eitr) noexcept:
    return ((eitr & self.eitr_mask) >> 3) * self.eitr_unit


cdef void cause(Core self, int qi) noexcept:
    """_cause: a queue has work; its vector fires once enabled and its moderation interval has run out."""
    cdef Queue* qu = &self.q[qi]
    cdef int64_t t
    if qu.masked or qu.scheduled or (qu.ring_n == 0 and qu.tx_done.n == 0):
        return
    qu.scheduled = 1
    t = qu.last_intr + _interval(self, qu.eitr)
    push(self, t if t > self.now else self.now, EV_INTERRUPT, qi, 0)


cdef void interrupt(Core self, int qi) noexcept:
    cdef Queue* qu = &self.q[qi]
    qu.scheduled = 0
    qu.masked = 1
    qu.last_intr = self.now
    count_nic(self, qi, 0, 1)
    if self.pon[P_MSIX]:
        self._fire(PROBES[P_MSIX], queue=qi, eitr=qu.eitr)
    wake(self, self.ithreads[qi], -1)


cdef void moderate(Core self, int qi) noexcept:
    """QueueState.moderate."""
    cdef Queue* qu = &self.q[qi]
    if not self.aim:
        return
    if qu.eitr_setting:
        qu.eitr = qu.eitr_setting
    qu.eitr_setting = _aim_eitr(qu.rx_bytes, qu.tx_bytes, qu.tx_packets, <int>self.frame_overhead)
    if qu.eitr_setting:
        qu.rx_bytes = qu.tx_bytes = qu.tx_packets = 0


cdef inline void count_nic(Core self, int qi, int counter, int64_t n) noexcept:
    if self.w0 <= self.now < self.w1:
        self.q[qi].counts[counter] += n


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
