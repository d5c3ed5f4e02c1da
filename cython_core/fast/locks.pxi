# Part of tcpsim._fast (included by _fast.pyx); mirrors engines/simpy_locks.py (its timing) with model/rwlock.py's
# rules: grants, spinning and the turnstile, the race among spinners, the hand-off, lock profiling and WITNESS.

cdef inline Lock* lockp(Core self, int lid) noexcept:
    if lid < self.nslots:
        return &self.slots[lid]
    return &self.conns[lid - self.nslots].lock


cdef inline int sleeps(Core self, Lock* L) noexcept:
    """The class lets a waiter sleep (adaptive, and epoch's writers): rwlock.LockState.sleeps."""
    cdef int c = self.decl_cls[L.decl]
    return c == CL_ADAPTIVE or c == CL_EPOCH


cdef inline int fifo(Core self, Lock* L) noexcept:
    cdef int c = self.decl_cls[L.decl]
    return c == CL_TICKET or c == CL_MCS


cdef int preempt_now(Core self, Thread* t) noexcept:
    """_preemptible (with t.preempt set): not while the thread holds a lock whose class never sleeps."""
    cdef int i
    for i in range(t.nheld):
        if not sleeps(self, lockp(self, t.held[i].lock)):
            return 0
    return 1


cdef inline int epoch_read(Core self, Held* h) noexcept:
    """The held entry is a read section of an epoch lock (no lock word, no WITNESS order)."""
    return not h.mode and self.decl_cls[lockp(self, h.lock).decl] == CL_EPOCH


cdef int reads_held(Core self, int ti, int lid) noexcept:
    """How many read holds thread ``ti`` has on ``lid`` (the reference's ``lock.readers[thread]``)."""
    cdef Thread* t = &self.th[ti]
    cdef int i, n = 0
    for i in range(t.nheld):
        if t.held[i].lock == lid and not t.held[i].mode:
            n += 1
    return n


cdef int writer_flagged(Core self, Lock* L) noexcept:
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


cdef int can_grant(Core self, int lid, int ti, int mode) noexcept:
    cdef Lock* L = lockp(self, lid)
    if L.in_transit or L.owner >= 0:
        return 0
    if mode:
        return L.nreaders == 0
    return self.th[ti].rlocks > 0 or not writer_flagged(self, L)


cdef int is_recursion(Core self, int lid, int ti, int mode) noexcept:
    cdef Lock* L = lockp(self, lid)
    if not self.decl_rec[L.decl]:
        return 0
    if mode:
        return L.owner == ti
    return reads_held(self, ti, lid) > 0


cdef int should_spin(Core self, Lock* L) noexcept:
    if L.in_transit or not sleeps(self, L):
        return 1
    if L.owner >= 0:
        return self.th[L.owner].running
    return L.nreaders > 0


cdef inline int64_t line_transfer(Core self, Lock* L, int64_t ns) noexcept:  # rwlock.LockState.line_transfer
    L.line_free = max(self.now, L.line_free) + ns
    return L.line_free


cdef int64_t write_word(Core self, Lock* L, int cpu) noexcept:
    """rwlock.LockState.write_word: the ns ``cpu`` waits for the lock word's line (0: here, or nowhere yet)."""
    cdef int src = L.last_cpu
    L.last_cpu = cpu
    if src == -1 or src == cpu:
        return 0
    return line_transfer(self, L, self.line_tab[src * self.ncpus + cpu]) - self.now


cdef void grant(Core self, int lid, int ti, int mode) noexcept:
    """Give the lock (its line: write_word, or the hand-off that brought it)."""
    cdef Lock* L = lockp(self, lid)
    L.in_transit = 0
    if mode:
        L.owner = ti
    else:
        L.nreaders += 1
        self.th[ti].rlocks += 1
    L.last_cpu = self.th[ti].cpu


# waiter lists: intrusive through the threads (a thread waits for one lock at a time)
cdef void list_append(Core self, int16_t* head, int16_t* tail, int ti) noexcept:
    cdef Thread* t = &self.th[ti]
    t.w_next = -1
    t.w_prev = tail[0]
    if tail[0] >= 0:
        self.th[tail[0]].w_next = ti
    else:
        head[0] = ti
    tail[0] = ti


cdef void list_remove(Core self, int16_t* head, int16_t* tail, int ti) noexcept:
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


cdef inline void spin_add(Core self, Lock* L, int ti) noexcept:
    list_append(self, &L.spin_head, &L.spin_tail, ti)
    L.nspin += 1
    self.th[ti].w_listed = 1


cdef inline void spin_del(Core self, Lock* L, int ti) noexcept:
    list_remove(self, &L.spin_head, &L.spin_tail, ti)
    L.nspin -= 1
    self.th[ti].w_listed = 0


cdef void trigger(Core self, int ti, int outcome) noexcept:
    """A waiter's event succeeds: the thread resumes at this event's turn (its resume kind is set)."""
    self.th[ti].w_triggered = 1
    self.th[ti].w_outcome = outcome
    push(self, self.now, EV_RESUME, ti, 0)


cdef int acquire(Core self, int ti, int lid, int mode, int row, int site, int sidx, int spin_sidx, int ordered) noexcept:
    """_acquire; return 1 when the thread now waits (it continues at its pc once it holds the lock)."""
    cdef Lock* L = lockp(self, lid)
    cdef Thread* t = &self.th[ti]
    cdef int64_t moved
    if not mode and self.decl_cls[L.decl] == CL_EPOCH:
        epoch_enter(self, ti, lid)
        return 0
    if is_recursion(self, lid, ti, mode):
        if mode:
            L.wrec += 1
            push_held(self, ti, lid, mode, site)
        else:
            granted(self, ti, lid, mode, row, site, self.now, 0, 0)
        return 0
    if can_grant(self, lid, ti, mode):
        moved = write_word(self, L, t.cpu)
        grant(self, lid, ti, mode)
        granted(self, ti, lid, mode, row, site, self.now, 0, ordered)
        if moved:
            return pull_line(self, ti, sidx if mode else spin_sidx, moved)  # a read's: in __rw_rlock (_pull_line)
        return 0
    if mode and self.decl_cls[L.decl] != CL_EPOCH and reads_held(self, ti, lid):
        fail(self, TcpsimError(f"path {self.strings['paths'][t.path]!r}: {self.t_names[ti]} asks for "
                              f"{self.strings['displays'][self.decl_display[L.decl]]} W at "
                              f"{self.strings['sites'][site]} while it holds it R (an rwlock cannot be upgraded:"
                              " the thread would wait for itself forever)"))
        return 1
    t.w_lock, t.w_mode, t.w_row, t.w_site = lid, mode, row, site
    t.w_sidx, t.w_spin_sidx = sidx, spin_sidx
    t.w_first = self.now
    spin_loop(self, ti)
    return 1


cdef int pull_line(Core self, int ti, int sidx, int64_t ns) noexcept:
    """_pull_line, _wait_line: the thread waits ``ns`` for the lock word's line (write_word's), charged to ``sidx``."""
    charge(self, ti, self.now, ns, stack_of(self, ti, sidx), 0, 0)
    if advance(self, self.now + ns):
        return 0
    self.th[ti].resume = RK_CONT
    push(self, self.now + ns, EV_RESUME, ti, 0)
    return 1


cdef void new_waiter(Core self, Thread* t) noexcept:
    t.w_gen += 1
    t.w_triggered = 0


cdef void spin_loop(Core self, int ti) noexcept:
    """One round of _acquire's wait loop: spin if the rules say so, else sleep on the turnstile."""
    cdef Thread* t = &self.th[ti]
    cdef Lock* L = lockp(self, t.w_lock)
    new_waiter(self, t)
    t.w_spinning = 1
    t.w_on_readers = 0
    t.w_won = 0
    t.w_spin_start = t.w_first
    if should_spin(self, L):
        t.w_on_readers = L.owner < 0 and L.nreaders > 0 and not L.in_transit
        t.w_spin_start = self.now
        spin_add(self, L, ti)
        if t.w_on_readers and sleeps(self, L):
            push(self, self.now + self.reader_spin, EV_RSPIN, ti, <int>t.w_gen)
        t.spin_active = 1
        t.resume = RK_SPIN
        return
    go_sleep(self, ti)


cdef void go_sleep(Core self, int ti) noexcept:
    cdef Thread* t = &self.th[ti]
    cdef Lock* L = lockp(self, t.w_lock)
    list_append(self, &L.sleep_head, &L.sleep_tail, ti)
    t.w_spinning = 0
    if self.probing and lock_probe_on(self, t.w_lock, 2):
        probe_lock(self, ti, t.w_lock, 2, t.w_mode, t.w_site, -1)
    new_waiter(self, t)
    off_cpu(self, ti)
    t.resume = RK_ONCPU     # turnstile_broadcast wakes it; then it asks for its CPU
    t.after = RK_LOCKRETRY


cdef void spin_done(Core self, int ti) noexcept:
    cdef Thread* t = &self.th[ti]
    cdef Lock* L = lockp(self, t.w_lock)
    cdef int outcome = t.w_outcome
    t.spin_active = 0
    charge(self, ti, t.w_spin_start, self.now - t.w_spin_start, stack_of(self, ti, t.w_spin_sidx), 0, 1)
    if self.probing and lock_probe_on(self, t.w_lock, 1):
        probe_lock(self, ti, t.w_lock, 1, t.w_mode, t.w_site, self.now - t.w_spin_start)
    if t.w_listed:
        spin_del(self, L, ti)
    if outcome == OUT_GRANTED:  # the hand-off delay already moved the lock word's line
        granted(self, ti, t.w_lock, t.w_mode, t.w_row, t.w_site, t.w_first, 1, 1)
        interp(self, ti)
    elif outcome == OUT_RETRY:
        lock_retry(self, ti)
    elif outcome == OUT_PREEMPT:
        yield_cpu(self, ti, RK_LOCKRETRY)
    else:
        go_sleep(self, ti)


cdef void lock_retry(Core self, int ti) noexcept:
    """Back on its CPU after a preemption or the turnstile: take the lock if it can, else wait again."""
    cdef Thread* t = &self.th[ti]
    cdef int64_t moved
    if can_grant(self, t.w_lock, ti, t.w_mode):
        moved = write_word(self, lockp(self, t.w_lock), t.cpu)
        grant(self, t.w_lock, ti, t.w_mode)
        granted(self, ti, t.w_lock, t.w_mode, t.w_row, t.w_site, t.w_first, 1, 1)
        if not (moved and pull_line(self, ti, t.w_sidx if t.w_mode else t.w_spin_sidx, moved)):
            interp(self, ti)
        return
    spin_loop(self, ti)


cdef void reader_spin_expired(Core self, int ti, int gen) noexcept:
    """_bound_reader_spin's expiry: still spinning against readers on the same wait -> sleep."""
    cdef Thread* t = &self.th[ti]
    if t.w_gen == gen and t.w_spinning and not t.w_triggered and t.w_on_readers:
        trigger(self, ti, OUT_SLEEP)


cdef void push_held(Core self, int ti, int lid, int mode, int site) noexcept:
    cdef Thread* t = &self.th[ti]
    cdef Held* h
    if t.nheld == MAXHELD:
        fail(self, TcpsimError(f"path {self.strings['paths'][t.path]!r}: {self.t_names[ti]} holds more than "
                              f"{MAXHELD} locks at once; the fast engine allows {MAXHELD}; allowed: fewer, or "
                              "--engine simpy"))
        return
    h = &t.held[t.nheld]
    t.nheld += 1
    h.lock = lid
    h.mode = mode
    h.site = site
    h.display = self.decl_display[lockp(self, lid).decl]
    h.start = self.now
    h.row = -1


cdef void granted(Core self, int ti, int lid, int mode, int row, int site, int64_t since, int contested,
                  int ordered) noexcept:
    cdef Thread* t = &self.th[ti]
    cdef Lock* L = lockp(self, lid)
    cdef int64_t wait = self.now - since if contested else 0
    cdef int i, j = 0, d = self.decl_display[L.decl], hd, key = -1
    cdef int64_t* p
    if self.probing and lock_probe_on(self, lid, 0):
        probe_lock(self, ti, lid, 0, mode, site, wait)
    if ordered:  # WITNESS: which lock classes this thread held when it took this one
        for i in range(t.nheld):
            if epoch_read(self, &t.held[i]):
                continue
            hd = t.held[i].display
            if hd != d and not self.edge_seen[hd * self.ndisplays + d]:
                self.edge_seen[hd * self.ndisplays + d] = 1
                for j in range(t.nheld):  # the outermost acquisition's site of that lock
                    if t.held[j].lock == t.held[i].lock:
                        break
                self.order_edges.append((hd, d, t.held[j].site, site, t.path))
    push_held(self, ti, lid, mode, site)
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


cdef int64_t release(Core self, int ti, int lid) noexcept:
    """_release: return the ns the thread then waits for the lock word's line (a read release writes it)."""
    cdef Thread* t = &self.th[ti]
    cdef Lock* L = lockp(self, lid)
    cdef int i, was_writer, outermost = 1, row, remaining
    cdef int64_t start = 0, wait = 0
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
    if not was_writer and self.decl_cls[L.decl] == CL_EPOCH:  # the end of a read section
        if removed.lock < 0:
            fail(self, RuntimeError(f"{self.t_names[ti]} leaves a read section it is not in"))
        elif reads_held(self, ti, lid) == 0:
            epoch_graced(self, lid)
        return 0
    if was_writer:
        if L.wrec:
            L.wrec -= 1
            return 0  # write recursion is one hold
        L.owner = -1
        L.last_cpu = t.cpu
        start, row = L.hold_start, L.hold_row
        L.hold_row = -1
    else:
        if removed.lock < 0:
            fail(self, RuntimeError(f"{self.t_names[ti]} releases a lock it does not hold"))
            return 0
        remaining = reads_held(self, ti, lid)
        start, row = removed.start, removed.row
        outermost = remaining == 0
        if outermost:
            L.nreaders -= 1
            t.rlocks -= 1
            wait = write_word(self, L, t.cpu)  # _rw_runlock_cookie's compare-and-set on the word
    if row >= 0:
        self.prof[row * 6 + 2] += self.now - start
        if self.now - start > self.prof[row * 6]:
            self.prof[row * 6] = self.now - start
    if self.probing and lock_probe_on(self, lid, 3):
        probe_lock(self, ti, lid, 3, -1, -1, self.now - start)
    if (was_writer or outermost) and L.owner < 0 and L.nreaders == 0 and not L.in_transit:
        lock_freed(self, lid)
    if lid >= self.nslots and self.conns[lid - self.nslots].refs == 0:
        maybe_free(self, lid - self.nslots)
    return wait


cdef void lock_freed(Core self, int lid) noexcept:
    cdef Lock* L = lockp(self, lid)
    cdef int w, nxt, writers = 0, n, k, winner, cls, j, transfers
    cdef int64_t delay = 0  # rwlock.handoff_cost: set below for every class (ticket and MCS lock only mutexes)
    cdef int pool[256]
    cdef int npool = 0, flagged = 0
    cdef int64_t line = 0
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
            list_remove(self, &L.sleep_head, &L.sleep_tail, w)
            trigger(self, w, OUT_RETRY)
        w = nxt
    # race: the spinners' compare-and-set
    if L.spin_head < 0:
        return
    n = L.nspin
    transfers = n  # the race's: every spinner re-reads the line (rwlock.handoff_cost)
    if fifo(self, L):  # ticket, MCS: the next in arrival order
        winner = L.spin_head
    elif not self.decl_kind[L.decl] and self.nrace_weight < 0 and n <= 256:
        # a mutex's fair race: every spinner is in the pool, in list order (no list of them to build)
        winner = L.spin_head
        if n > 1:
            k = <int>_bounded(self.rng_race, n)
            for j in range(k):
                winner = self.th[winner].w_next
    else:
        w = L.spin_head
        while w >= 0:
            if self.th[w].w_mode and self.th[w].w_on_readers:
                flagged = 1
            w = self.th[w].w_next
        w = L.spin_head
        while w >= 0:
            if (not flagged or (self.th[w].w_mode and self.th[w].w_on_readers)) and npool < 256:
                pool[npool] = w
                npool += 1
            w = self.th[w].w_next
        winner = race(self, pool, npool)
    # the line goes from the releaser's CPU to the winners' (queued behind the transfers under way); spinning
    # readers all win, and the hand-off completes when it has reached the farthest of them
    L.won = -1
    if self.th[winner].w_mode:
        L.won = winner
        self.th[winner].w_won = 1
        self.th[winner].w_spinning = 0
        line = self.line_tab[L.last_cpu * self.ncpus + self.th[winner].cpu]
        cls = self.decl_cls[L.decl]
        if cls == CL_MCS:  # rwlock.handoff_cost
            delay, transfers = line, 1
        elif cls == CL_TICKET:
            k = <int>_bounded(self.rng_race, n) if n > 1 else 0
            delay, transfers = line, k + 1
            w = self.th[winner].w_next
            for j in range(k):
                delay += self.line_tab[L.last_cpu * self.ncpus + self.th[w].cpu]
                w = self.th[w].w_next
    else:
        w = L.spin_head
        while w >= 0:
            if not self.th[w].w_mode:
                self.th[w].w_won = 1
                self.th[w].w_spinning = 0
                line = max(line, self.line_tab[L.last_cpu * self.ncpus + self.th[w].cpu])
            w = self.th[w].w_next
    if not fifo(self, L):  # the race: the farthest winner, then every other spinner's re-read and compare-and-set
        delay = line + self.handoff_ns * (n - 1)
    L.in_transit = 1
    if self.w0 <= self.now < self.w1:
        self.traffic[self.decl_display[L.decl] * 2] += 1
        self.traffic[self.decl_display[L.decl] * 2 + 1] += transfers
    push(self, line_transfer(self, L, delay), EV_HANDOFF, lid, 0)


cdef int race(Core self, int* pool, int npool) noexcept:
    """rwlock.LockState.race's draw among the pool: fair, or by [hardware] lock_race_weight."""
    cdef int k, winner
    cdef double x, total = 0.0
    if npool == 1:
        return pool[0]
    if self.nrace_weight < 0:
        return pool[_bounded(self.rng_race, npool)]
    for k in range(npool):
        total += weight(self, pool[k])
    x = _to_unit(_xoshiro_next(self.rng_race)) * total
    winner = pool[npool - 1]
    for k in range(npool):
        x -= weight(self, pool[k])
        if x < 0:
            return pool[k]
    return winner


cdef double weight(Core self, int ti) noexcept:
    cdef int cpu = self.th[ti].cpu
    return self.race_weight[cpu] if cpu < self.nrace_weight else 1.0


cdef void handoff(Core self, int lid) noexcept:
    """_handoff: the winners get the lock; readers that arrived meanwhile may share it."""
    cdef Lock* L = lockp(self, lid)
    cdef int w, nxt
    L.in_transit = 0
    if L.won >= 0:  # one writer won (it may have left the list since: preempted as the lock was freed)
        w = L.won
        L.won = -1
        if self.th[w].w_won and self.th[w].w_listed:
            self.th[w].w_won = 0
            spin_del(self, L, w)
            grant(self, lid, w, 1)
            trigger(self, w, OUT_GRANTED)
    else:
        w = L.spin_head
        while w >= 0:
            nxt = self.th[w].w_next
            if self.th[w].w_won:
                self.th[w].w_won = 0
                spin_del(self, L, w)
                grant(self, lid, w, self.th[w].w_mode)
                trigger(self, w, OUT_GRANTED)
            w = nxt
    if L.owner >= 0 and self.decl_kind[L.decl]:  # a writer took it: no waiter is flagged against readers any more
        w = L.spin_head
        while w >= 0:
            self.th[w].w_on_readers = 0
            w = self.th[w].w_next
    if L.nreaders:
        w = L.spin_head
        while w >= 0:
            nxt = self.th[w].w_next
            if not self.th[w].w_mode and can_grant(self, lid, w, 0):
                spin_del(self, L, w)
                grant(self, lid, w, 0)
                trigger(self, w, OUT_GRANTED)
            w = nxt
        w = L.spin_head
        while w >= 0:
            if not self.th[w].w_on_readers:
                self.th[w].w_on_readers = 1
                if sleeps(self, L):
                    push(self, self.now + self.reader_spin, EV_RSPIN, w, <int>self.th[w].w_gen)
            w = self.th[w].w_next


# --- epoch: read sections, retired objects, grace periods (simpy_locks.py's _retire, _graced) ------------------
cdef void epoch_enter(Core self, int ti, int lid) noexcept:
    """rwlock.LockState.epoch_enter: a read section is a held entry whose start is its entry number (a nested
    one repeats the outermost's)."""
    cdef Lock* L = lockp(self, lid)
    cdef Thread* t = &self.th[ti]
    cdef int i
    cdef int64_t seq = -1
    for i in range(t.nheld):
        if t.held[i].lock == lid and not t.held[i].mode:
            seq = t.held[i].start
            break
    if seq < 0:
        L.ep_seq += 1
        seq = L.ep_seq
    push_held(self, ti, lid, 0, 0)
    t.held[t.nheld - 1].start = seq


cdef void retire(Core self, int lid) noexcept:
    cdef Lock* L = lockp(self, lid)
    lst = self.retired.setdefault(lid, [])
    lst.append((L.ep_seq, self.now))
    if self.w0 <= self.now < self.w1:
        g = self.grace.setdefault(self.decl_display[L.decl], [0, 0, 0, 0])
        freeing = self.freeing.setdefault(lid, deque())
        while freeing and freeing[0] <= self.now:
            freeing.popleft()
        g[3] = max(g[3], len(lst) + len(freeing))  # LockState.unfreed
    epoch_graced(self, lid)


cdef void epoch_graced(Core self, int lid) noexcept:
    """rwlock.LockState.graced, then _graced's accounting: objects whose every earlier reader has left."""
    cdef Lock* L = lockp(self, lid)
    cdef int i, j, n = 0
    cdef int64_t horizon = L.ep_seq + 1, free_at, t0
    lst = self.retired.get(lid)
    if not lst:
        return
    for i in range(self.nthreads):
        for j in range(self.th[i].nheld):
            if self.th[i].held[j].lock == lid and not self.th[i].held[j].mode and self.th[i].held[j].start < horizon:
                horizon = self.th[i].held[j].start
    while n < len(lst) and lst[n][0] < horizon:
        n += 1
    if n == 0:
        return
    free_at = self.now + self.grace_detect
    self.freeing.setdefault(lid, deque()).extend([free_at] * n)
    for i in range(n):
        t0 = lst[i][1]
        if self.w0 <= t0 < self.w1:
            g = self.grace.setdefault(self.decl_display[L.decl], [0, 0, 0, 0])
            g[0] += 1
            g[1] += free_at - t0
            g[2] = max(g[2], free_at - t0)
    del lst[:n]
