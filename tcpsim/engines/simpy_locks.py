"""The SimPy engine's lock waits: acquisition, adaptive spinning, turnstile sleep, release, the race and the
cache-line hand-off, with lock-profile and WITNESS bookkeeping. The rules (who may take a lock, who spins,
who wins) are ``model/rwlock.py``'s; this module keeps their time.
"""
from __future__ import annotations

from functools import cached_property

from ..errors import TcpsimError
from ..model.rwlock import Waiter, handoff_cost, spin_frames
from ..model.steps import READ, WRITE
from ..observe.probes import lock_provider
from ..observe.words import words


class LockMixin:
    """Lock acquisition and release for SimpyEngine."""

    @cached_property
    def _spin_table(self):
        """The kernel's names of where spinning shows (observe/words.py; None: FreeBSD's)."""
        return words(self.m.kernel_name).get("spin")

    def _acquire(self, th, lock, mode, site, stack, ordered=True):
        env = self.env
        if lock.epoch and mode == READ:  # a read section: no lock word, no wait, no profile row
            lock.epoch_enter(th)
            th.held.append(lock)
            return
        if lock.is_recursion(th, mode):
            lock.recurse(th, mode)
            if mode == WRITE:  # write recursion counts as one hold and is not profiled
                th.held.append(lock)
            else:  # a read lock has no owner to recurse on: FreeBSD profiles every read acquisition
                self._granted(th, lock, mode, site, env.now, False, ordered=False)
            return
        if lock.can_grant(th, mode):
            wait = lock.write_word(th.cpu, env.now, self.line_ns)
            lock.grant(th, mode)
            self._granted(th, lock, mode, site, env.now, False, ordered)
            if wait:
                yield from self._pull_line(th, stack, lock, mode, wait)
            return
        if mode == WRITE and th in lock.readers:
            raise TcpsimError(f"path {th.path!r}: {th.name} asks for {lock.display} W at {site} while it holds it R "
                              "(an rwlock cannot be upgraded: the thread would wait for itself forever)")
        first = env.now
        spinning = stack + spin_frames(lock.kind, lock.cls, mode, self._spin_table)
        while True:
            w = Waiter(th, mode, env.event(), first, site, stack)
            w.preemptible = not lock.fifo  # ticket, MCS: preemption disabled while waiting
            if lock.should_spin():
                w.on_readers = lock.owner is None and lock.nreaders > 0 and not lock.in_transit
                w.spin_start = env.now
                lock.spinners.append(w)
                if w.on_readers and lock.sleeps:
                    self._bound_reader_spin(w)
                th.spin = w
                outcome = yield w.event
                th.spin = None
                self._charge(th, w.spin_start, env.now - w.spin_start, spinning, False, spin=True)
                if self.probes:
                    self.probes.fire(f"lockstat:::{lock_provider(lock.kind)}-spin", env.now, lock=lock.display,
                                     mode=mode, site=site, thread=th.name, ns=env.now - w.spin_start)
                if w in lock.spinners:
                    lock.spinners.remove(w)
                if outcome == "granted":  # the hand-off delay already moved the lock word's line
                    self._granted(th, lock, mode, site, first, True)
                    return
                if outcome == "retry":
                    if lock.can_grant(th, mode):
                        break
                    continue
                if outcome == "preempt":  # off the CPU mid-spin; back on it, the thread looks at the lock again
                    yield from self._yield_cpu(th)
                    if lock.can_grant(th, mode):
                        break
                    continue
                # "sleep": the owner left its CPU; block on the turnstile instead
            lock.sleepers.append(w)
            w.spinning = False
            if self.probes:
                self.probes.fire(f"lockstat:::{lock_provider(lock.kind)}-block", env.now, lock=lock.display, mode=mode,
                                 site=site, thread=th.name)
            w.event = env.event()
            self._off_cpu(th)
            yield w.event  # turnstile_broadcast: retry, no hand-off
            yield from self._on_cpu(th)
            if lock.can_grant(th, mode):
                break
        wait = lock.write_word(th.cpu, env.now, self.line_ns)
        lock.grant(th, mode)
        self._granted(th, lock, mode, site, first, True)
        if wait:
            yield from self._pull_line(th, stack, lock, mode, wait)

    def _pull_line(self, th, stack, lock, mode, wait):
        """The lock word was last updated on another CPU: the thread waits ``wait`` ns, inside the hold, for its
        cache line (queued behind the transfers under way, then the distance: rwlock.LockState.write_word) -- in
        the caller for a write or a mutex (their fast path is inline), in __rw_rlock for a read (rw_rlock always
        calls it: sys/rwlock.h)."""
        if mode == READ:
            stack = stack + spin_frames(lock.kind, lock.cls, READ, self._spin_table)
        yield from self._wait_line(th, stack, wait)

    def _wait_line(self, th, stack, wait):
        """The CPU stalls ``wait`` ns in the atomic on the lock word (the innermost frame of ``stack``)."""
        self._charge(th, self.env.now, wait, stack[-1:], False, stack[:-1])
        yield self.env.timeout(wait)

    def _bound_reader_spin(self, w):
        """Against a read-held lock a waiter spins at most rowner_retries x rowner_loops, then sleeps."""
        ev = w.event  # only this spin: by expiry the waiter may sleep on the turnstile or have won the race

        def expire(_):
            if w.event is ev and w.spinning and not ev.triggered and w.on_readers:
                ev.succeed("sleep")
        self.env.timeout(self.cost["rw_reader_spin"]).callbacks.append(expire)

    def _granted(self, th, lock, mode, site, since, contested, ordered=True):
        now = self.env.now
        wait = now - since if contested else 0
        if self.probes:
            self.probes.fire(f"lockstat:::{lock_provider(lock.kind)}-acquire", now, lock=lock.display, mode=mode,
                             site=site, thread=th.name, wait=wait)
        if ordered:  # WITNESS, dynamically: which lock classes this thread held when it took this one
            for h in th.held:
                if h.epoch and h.owner is not th:  # a read section: no lock taken, no order
                    continue
                if h.display != lock.display and (h.display, lock.display) not in self.order_edges:
                    self.order_edges[(h.display, lock.display)] = (th.sites.get(h, "?"), site, th.path)
        th.held.append(lock)
        th.sites.setdefault(lock, site)  # the outermost acquisition's site
        key = None
        if self.w0 <= now < self.w1:
            key = self.lockprof.acquired(site, lock.display, wait, contested)
        if mode == WRITE:
            lock.hold_start = now
            lock.hold_key = key
        else:
            lock.read_holds.setdefault(th, []).append((now, key))

    def _release(self, th, lock):
        """Drop one hold; return the ns the thread then waits for the lock word's line (a read release writes
        the word: rwlock.py), for the caller to charge under rwlock.runlock_function."""
        for i in range(len(th.held) - 1, -1, -1):
            if th.held[i] is lock:
                del th.held[i]
                break
        if lock.epoch and lock.owner is not th:  # the end of a read section
            if lock.epoch_exit(th):
                self._graced(lock)
            return 0
        was_writer = lock.owner is th
        outermost = lock.release(th)
        wait = 0
        if outermost:
            th.sites.pop(lock, None)
            if not was_writer:  # _rw_runlock_cookie's compare-and-set on the word
                wait = lock.write_word(th.cpu, self.env.now, self.line_ns)
        if was_writer:
            if not outermost:
                return 0  # write recursion is one hold
            start, key = lock.hold_start, lock.hold_key
            lock.hold_key = None
        else:  # every read acquisition is its own hold in the profile, nested ones too
            holds = lock.read_holds[th]
            start, key = holds.pop()
            if not holds:
                del lock.read_holds[th]
        if key is not None:
            self.lockprof.released(key, self.env.now - start)
        if self.probes:
            self.probes.fire(f"lockstat:::{lock_provider(lock.kind)}-release", self.env.now, lock=lock.display,
                             thread=th.name, hold=self.env.now - start)
        if outermost and lock.free():
            self._lock_freed(lock)
        return wait

    def _lock_freed(self, lock):
        for w in lock.turnstile_broadcast():
            w.event.succeed("retry")
        winners = lock.race(self.rng_race, self.m.hardware.lock_race_weight)
        if not winners:
            return
        for w in winners:
            w.spinning = False  # its compare-and-set landed: no longer preemptible as a spinner
        lock.in_transit = True
        # the line goes from the releaser's CPU to the winners' (spinning readers all win: the hand-off completes
        # when it has reached the farthest of them), at a cost that depends on the class (rwlock.handoff_cost)
        delay, transfers = handoff_cost(lock.cls, lock.last_cpu, [w.thread.cpu for w in winners],
                                        [w.thread.cpu for w in lock.spinners], self.line_ns,
                                        self.cost["lock_handoff_per_spinner"], self.rng_race)
        if self.w0 <= self.env.now < self.w1:
            traffic = self.lock_traffic.setdefault(lock.display, [0, 0])
            traffic[0] += 1
            traffic[1] += transfers
        # the hand-off is a transfer of the line: it starts once the transfers under way have ended
        end = lock.line_transfer(self.env.now, delay)
        self.env.timeout(end - self.env.now).callbacks.append(lambda _ev: self._handoff(lock, winners))

    def _handoff(self, lock, winners):
        lock.in_transit = False
        for w in winners:
            if w not in lock.spinners:
                # preempted in the instant the lock was freed (its wait had already ended when the race picked
                # it): it takes the lock, if still free, when back on its CPU
                continue
            lock.spinners.remove(w)
            lock.grant(w.thread, w.mode)
            w.event.succeed("granted")
        if lock.owner is not None:
            # A writer took it: the lock word was rewritten, so no waiter is flagged against readers any more.
            for w in lock.spinners:
                w.on_readers = False
        if lock.nreaders:
            # Readers that arrived meanwhile may share; writers now spin against readers (WRITE_SPINNER).
            for w in list(lock.spinners):
                if w.mode == READ and lock.can_grant(w.thread, READ):
                    lock.spinners.remove(w)
                    lock.grant(w.thread, READ)
                    w.event.succeed("granted")
            for w in lock.spinners:
                if not w.on_readers:
                    w.on_readers = True
                    if lock.sleeps:
                        self._bound_reader_spin(w)

    # --- epoch: retired objects and their grace periods --------------------------------------------------------
    def _retire(self, lock):
        lock.retire(self.env.now)
        if self.w0 <= self.env.now < self.w1:
            g = self.grace.setdefault(lock.display, [0, 0, 0, 0])
            g[3] = max(g[3], lock.unfreed(self.env.now))  # objects retired and not yet freed, at most
        self._graced(lock)

    def _graced(self, lock):
        """Retired objects whose grace period ended now are freed after the detection delay."""
        done = lock.graced()
        if not done:
            return
        free_at = self.env.now + self.cost["epoch_grace_detect"]
        lock.freeing.extend([free_at] * len(done))
        for t in done:
            if self.w0 <= t < self.w1:  # counted by the retire's time
                g = self.grace.setdefault(lock.display, [0, 0, 0, 0])
                g[0] += 1
                g[1] += free_at - t
                g[2] = max(g[2], free_at - t)
