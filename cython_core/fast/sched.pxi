# Part of tcpsim._fast (included by _fast.pyx); mirrors engines/simpy_sched.py: ULE's placement (model/sched.py's
# pick_cpu), run queues by (priority, arrival), preemption at a step boundary, context switches, sleep and wake.

cdef int lowpri(Core self, int c) noexcept:
    cdef Cpu* cpu = &self.cpus[c]
    cdef int p
    if cpu.current < 0:
        return <int>self.idle_pri
    p = self.th[cpu.current].pri
    if cpu.nrunq and self.th[cpu.rq_thread[0]].pri < p:
        p = self.th[cpu.rq_thread[0]].pri
    return p


cdef inline int load(Core self, int c) noexcept:
    return (self.cpus[c].current >= 0) + self.cpus[c].nrunq


cdef int lowest(Core self, int pri, int use_pri, int prefer) noexcept:
    """sched.pick_cpu's _lowest."""
    cdef int best = -1, c
    cdef int64_t score, best_score = 0
    for c in range(self.ncpus - 1, -1, -1):
        if use_pri and lowpri(self, c) <= pri:
            continue
        score = load(self, c) * 256 - <int64_t>_bounded(self.rng_sched, 64) - (64 if c == prefer else 0)
        if best < 0 or score < best_score:
            best = c
            best_score = score
    return best


cdef int pick_cpu(Core self, int ti, int waker) noexcept:
    """sched.pick_cpu for thread ``ti`` woken from CPU ``waker`` (-1: no waking thread)."""
    cdef Thread* t = &self.th[ti]
    cdef int last = t.cpu, cpu
    cdef int affine = self.now // self.tick_ns - t.last_off // self.tick_ns < self.affinity_ticks
    if affine and 0 <= last < self.ncpus and lowpri(self, last) >= self.idle_pri:
        return last
    cpu = lowest(self, t.pri, 1, last)
    if cpu < 0:
        cpu = lowest(self, t.pri, 0, last)
    if 0 <= waker < self.ncpus and lowpri(self, waker) > t.pri and lowpri(self, cpu) < self.idle_pri and \
            load(self, waker) <= load(self, cpu) + 1:
        cpu = waker
    return cpu


cdef int sched_add(Core self, int ti, int waker_cpu, int force_bound) noexcept:
    """_sched_add: return 1 when ``ti`` has its CPU at once, else queue it (it resumes when handed the CPU)."""
    cdef Thread* t = &self.th[ti]
    cdef Cpu* cpu
    cdef int i
    if not t.bound and not force_bound:
        t.cpu = pick_cpu(self, ti, waker_cpu)
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
        request_preempt(self, cpu.current)
    return 0


cdef void on_cpu(Core self, int ti, int force_bound) noexcept:
    """_on_cpu: ask for a CPU; the thread resumes (switch-in) when it has it."""
    self.th[ti].resume = RK_GRANTED
    if sched_add(self, ti, -1, force_bound):
        push(self, self.now, EV_RESUME, ti, 0)


cdef void switch_in(Core self, int ti) noexcept:
    cdef Thread* t = &self.th[ti]
    t.running = 1
    if self.pon[P_ONCPU]:
        self._fire("sched:::on-cpu", thread=self.t_names[ti], cpu=t.cpu)
    charge(self, ti, self.now, self.cs_ns, self.switch_stack, 0, 0)
    t.resume = t.after
    if advance(self, self.now + self.cs_ns):
        resume(self, ti)
    else:
        push(self, self.now + self.cs_ns, EV_RESUME, ti, 0)


cdef void off_cpu(Core self, int ti) noexcept:
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
        L = lockp(self, t.held[i].lock)
        if L.owner == ti and sleeps(self, L):
            w = L.spin_head
            while w >= 0:
                if not self.th[w].w_on_readers and not self.th[w].w_triggered:
                    trigger(self, w, OUT_SLEEP)
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
        push(self, self.now, EV_RESUME, nxt, 0)


cdef void request_preempt(Core self, int ti) noexcept:
    cdef Thread* t = &self.th[ti]
    t.preempt = 1
    if t.spin_active and t.w_spinning and not t.w_triggered and not fifo(self, lockp(self, t.w_lock)):
        trigger(self, ti, OUT_PREEMPT)  # a spinning thread is preemptible (ticket, MCS: not); it spins again after


cdef void yield_cpu(Core self, int ti, int after) noexcept:
    """_yield_cpu: preempted, back on the same CPU's run queue."""
    if self.pon[P_PREEMPT]:
        self._fire("sched:::preempt", thread=self.t_names[ti], cpu=self.th[ti].cpu)
    off_cpu(self, ti)
    self.th[ti].after = after
    on_cpu(self, ti, 1)


cdef void wake(Core self, int ti, int waker) noexcept:
    """_wake: a thread asleep for work becomes runnable now."""
    cdef Thread* t = &self.th[ti]
    if not t.wake_wait:
        return
    t.wake_wait = 0
    t.resume = RK_GRANTED
    if sched_add(self, ti, self.th[waker].cpu if waker >= 0 else -1, 0):
        push(self, self.now, EV_RESUME, ti, 0)
