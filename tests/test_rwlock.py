"""rwlock(9)/mutex semantics on small hand-built cases (the rules of tcpsim/model/rwlock.py as run by the engine)."""
from tcpsim.model.locks import BASE_LOCKS
from tcpsim.model.rwlock import LockState, Waiter
from tcpsim.model.steps import READ, WRITE

US = 1000


def test_writer_preference_blocks_a_new_reader(harness):
    h = harness()
    r1, w, r2 = h.thread("r1", 0), h.thread("w", 1), h.thread("r2", 2)
    h.start(r1, 0, [("acquire", "tcp", READ), ("work", 20 * US), ("release", "tcp")])
    h.start(w, 5 * US, [("acquire", "tcp", WRITE), ("work", 10 * US), ("release", "tcp")])
    h.start(r2, 8 * US, [("acquire", "tcp", READ), ("work", 1 * US), ("release", "tcp")])
    h.run(until=100 * US)
    # r2 arrived while the lock was only read-held, but a writer was spinning against the reader:
    # it may not join r1; it gets in only after the writer.
    assert h.order() == ["r1", "w", "r2"]
    got = {name: t for t, name, ev in h.log if ev == "got tcp"}
    released = {name: t for t, name, ev in h.log if ev == "released tcp"}
    assert got["r2"] >= released["w"]


def test_readers_share_when_no_writer_waits(harness):
    h = harness()
    r1, r2 = h.thread("r1", 0), h.thread("r2", 1)
    h.start(r1, 0, [("acquire", "tcp", READ), ("work", 20 * US), ("release", "tcp")])
    h.start(r2, 5 * US, [("acquire", "tcp", READ), ("work", 1 * US), ("release", "tcp")])
    h.run(until=100 * US)
    got = {name: t for t, name, ev in h.log if ev == "got tcp"}
    assert got["r2"] < 10 * US  # joined while r1 still held it


def test_spinning_is_charged_as_busy_cpu_under_the_spin_function(harness):
    # sample every ~10 ns of busy time so a few microseconds of spinning show up in the profile
    h = harness(pmc_sample_cycles=26, cpu_ghz=2.6)
    owner, spinner = h.thread("owner", 0), h.thread("spinner", 1)
    h.start(owner, 0, [("acquire", "tcp", WRITE), ("work", 30 * US), ("release", "tcp")])
    h.start(spinner, 5 * US, [("acquire", "tcp", WRITE), ("release", "tcp")])
    h.run(until=100 * US)
    eng = h.engine
    spin_ns = sum(n for stack, n in eng.samples[1].items() if stack[-1] == "__rw_wlock_hard") * eng.sample_ns
    # the owner ran 30 us from ~1 us (after its context switch); the spinner waited from ~6 us: ~25 us of spin
    assert 20 * US <= spin_ns <= 30 * US
    busy = sum(eng.cpu_time[1].values())
    assert busy >= spin_ns  # spinning is busy time, not idle
    row = next(r for r in eng.lockprof.rows() if r["name"] == "test.c:tcp (rw:tcp)")
    assert row["cnt_lock"] == 1 and row["wait_max"] >= 20


def test_recursion_counts_one_hold(harness):
    h = harness()
    t = h.thread("t", 0)
    h.start(t, 0, [("acquire", "tcp", WRITE), ("work", 3 * US), ("acquire", "tcp", WRITE), ("work", 4 * US),
                   ("release", "tcp"), ("work", 2 * US), ("release", "tcp")])
    h.run(until=100 * US)
    row = next(r for r in h.engine.lockprof.rows() if r["name"] == "test.c:tcp (rw:tcp)")
    assert row["count"] == 1  # the recursive acquisition is not a second hold
    assert row["total"] == 9  # hold from the outermost acquisition to the final release: 3 + 4 + 2 us
    lock = h.engine.global_locks["tcp"]
    assert lock.owner is None and lock.wrec == 0


def test_release_wakes_all_sleeping_writers_without_hand_off(harness):
    h = harness()
    holder, owner, w1, w2 = (h.thread(n, c) for n, c in (("holder", 0), ("owner", 1), ("w1", 2), ("w2", 3)))
    # holder takes the accept mutex and leaves its CPU: whoever waits for it sleeps on the turnstile
    h.start(holder, 0, [("acquire", "accept", WRITE), ("sleep", 40 * US), ("release", "accept")])
    # owner takes rw:tcp, then blocks on the mutex: now rw:tcp's owner is not running
    h.start(owner, 2 * US, [("acquire", "tcp", WRITE), ("acquire", "accept", WRITE), ("release", "accept"),
                            ("release", "tcp")])
    h.start(w1, 10 * US, [("acquire", "tcp", WRITE), ("work", 5 * US), ("release", "tcp")])
    h.start(w2, 12 * US, [("acquire", "tcp", WRITE), ("work", 5 * US), ("release", "tcp")])
    h.run(until=20 * US)
    tcp = h.engine.global_locks["tcp"]
    assert {w.thread.name for w in tcp.sleepers} == {"w1", "w2"}  # both asleep, not spinning
    assert not tcp.spinners
    h.run(until=200 * US)
    assert set(h.order()) >= {"w1", "w2"} and tcp.free()
    eng = h.engine
    # while asleep their CPUs were idle: far less busy time than the ~30 us they waited
    assert sum(eng.cpu_time[2].values()) < 15 * US and sum(eng.cpu_time[3].values()) < 15 * US


class _T:
    def __init__(self, name):
        self.name, self.rlocks, self.cpu, self.running = name, 0, 0, True


def test_turnstile_broadcast_prefers_writers():
    lock = LockState(BASE_LOCKS["tcp"])
    r, w1, w2 = (Waiter(_T(n), m, None, 0, "s", ()) for n, m in (("r", READ), ("w1", WRITE), ("w2", WRITE)))
    lock.sleepers = [r, w1, w2]
    assert [w.thread.name for w in lock.turnstile_broadcast()] == ["w1", "w2"]
    assert [w.thread.name for w in lock.turnstile_broadcast()] == ["r"]
    assert lock.sleepers == []


def test_reader_holding_a_read_lock_passes_writer_preference():
    lock = LockState(BASE_LOCKS["tcp"])
    t = _T("t")
    lock.sleepers = [Waiter(_T("w"), WRITE, None, 0, "s", ())]  # a writer sleeps: WRITE_WAITERS set
    assert not lock.can_grant(t, READ)
    t.rlocks = 1  # FreeBSD lets a thread already holding a read lock in, to avoid deadlock
    assert lock.can_grant(t, READ)


def test_against_readers_flag_clears_when_a_writer_takes_the_lock(harness):
    h = harness()
    r1, w1, w2, r2 = (h.thread(n, c) for n, c in (("r1", 0), ("w1", 1), ("w2", 2), ("r2", 3)))
    h.start(r1, 0, [("acquire", "tcp", READ), ("work", 10 * US), ("release", "tcp")])
    h.start(w1, 3 * US, [("acquire", "tcp", WRITE), ("work", 20 * US), ("release", "tcp")])
    h.start(w2, 4 * US, [("acquire", "tcp", WRITE), ("work", 20 * US), ("release", "tcp")])
    h.run(until=8 * US)
    tcp = h.engine.global_locks["tcp"]
    assert tcp.writer_flagged()  # writers spin against the reader: RW_LOCK_WRITE_SPINNER
    h.run(until=20 * US)
    assert tcp.owner is not None and tcp.owner.name in ("w1", "w2")
    # the lock word now names a writer: the remaining writer spins on it without the readers flag, so a
    # reader arriving now races on equal terms at the next release instead of being locked out
    assert not tcp.writer_flagged()
    h.start(r2, 21 * US, [("acquire", "tcp", READ), ("release", "tcp")])
    h.run(until=300 * US)
    assert sorted(h.order()) == ["r1", "r2", "w1", "w2"]


def _spinners(cpus):
    out = []
    for i, cpu in enumerate(cpus):
        t = _T(f"t{i}")
        t.cpu = cpu
        out.append(Waiter(t, WRITE, None, 0, "s", ()))
    return out


def test_race_is_fair_by_default_and_follows_cpu_weights_when_given():
    from tcpsim.rng import Stream

    def wins(weights, n=4000):
        lock, rng = LockState(BASE_LOCKS["tcp"]), Stream(7, "race-test")
        count = {0: 0, 1: 0, 2: 0}
        for _ in range(n):
            lock.spinners = _spinners([0, 1, 2])
            count[lock.race(rng, weights)[0].thread.cpu] += 1
        return count

    fair = wins(None)
    assert all(1100 < c < 1570 for c in fair.values())  # ~1/3 each
    biased = wins((1.0, 1.0, 8.0))  # CPU 2 should win 8/10 of the races
    assert 3000 < biased[2] < 3400 and biased[0] < 600 and biased[1] < 600
    short = wins((8.0,))  # CPUs past the list weigh 1
    assert 3000 < short[0] < 3400
