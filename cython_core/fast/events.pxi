# Part of tcpsim._fast (included by _fast.pyx): the event queue -- (time, sequence) order, as SimPy's (time,
# priority, event id) for NORMAL events -- and what an event does when it is processed (``handle``), or how a
# run stops early (``fail``).

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


cdef void push(Core self, int64_t t, int kind, int a, int b) noexcept:
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


cdef inline Heap* first_heap(Core self) noexcept:
    """The heap whose head is the next event after the FIFO's (NULL: both empty)."""
    if self.near.n == 0:
        return &self.far if self.far.n else NULL
    if self.far.n == 0 or self.near.a[0].key < self.far.a[0].key:
        return &self.near
    return &self.far


cdef inline bint advance(Core self, int64_t t) noexcept:
    """A thread about to wait until ``t`` for nothing but time: if its resume would be the very next event
    (nothing due now, nothing in the heaps before ``t``, ``t`` inside the run), move the clock there and let
    it go on -- the same order of events without the heap round trip."""
    cdef Heap* h = first_heap(self)
    if self.fend or t >= self.until or (h != NULL and <int64_t>(h.a[0].key >> 64) <= t):
        return False
    self.now = t
    self.seq += 1
    return True


cdef inline void handle(Core self, Ev e) noexcept:
    cdef int kind = e.kind
    if kind == EV_RESUME:
        resume(self, e.a)
    elif kind == EV_NIC_RX:
        nic_rx(self, e.a, e.b)
    elif kind == EV_CLIENT_RX:
        client_receive(self, e.a, e.b)
    elif kind == EV_INTERRUPT:
        interrupt(self, e.a)
    elif kind == EV_HANDOFF:
        handoff(self, e.a)
    elif kind == EV_RSPIN:
        reader_spin_expired(self, e.a, e.b)
    elif kind == EV_CLIENT_SEND:
        client_send(self, e.a, e.b)
        unref(self, e.a)  # the timer's
    elif kind == EV_NEWCONN:
        new_connection(self)
    elif kind == EV_ARRIVAL:
        new_connection(self)
        push(self, self.now + arrival_gap(self), EV_ARRIVAL, 0, 0)
    elif kind == EV_SAMPLE:
        sample(self)
        push(self, self.now + self.series_ns, EV_SAMPLE, 0, 0)
    elif kind == EV_WATCHDOG:
        watchdog(self)
        push(self, self.now + self.watchdog_ns, EV_WATCHDOG, 0, 0)


cdef void fail(Core self, object exc) noexcept:
    """Stop the run with ``exc`` (raised by ``run`` once the current event is done)."""
    if self.error is None:
        self.error = exc
    self.near.n = self.far.n = 0
    self.fhead = self.fend = 0
