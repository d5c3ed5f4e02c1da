"""The ixgbe 2.5.15 transmit path (issue 15): trylock-or-defer, the deferred start on the queue's task, the
drain after txeof in the interrupt pass, the ring chosen by flow id, the TX mutex and the VLAN lock at their
sites, and both engines event for event on it.

Most tests watch a SimPy run as a kernel engineer would watch the machine: every probe with its timestamp, plus
a spy on the four driver steps no probe shows (``tx_enqueue``: drbr_enqueue, ``tx_defer``: taskqueue_enqueue of
txq_task, ``tx_xmit``: the frame reaches the wire, ``tx_reclaim``: ixgbe_txeof frees one frame). A spy records
and calls through, so the run is the same: ``test_engines_agree_on_transmit_heavy_run`` compares the spied
(and densely sampled) run's probe trace with a plain fast-engine run's, event for event. Probe events and spy
records go into one list in the order they happen, so "before" below is an index in that list, not only a
timestamp. (An ``fbt::ixgbe_xmit`` probe would make the spies unnecessary.)

Machines are tests/conftest.py's SMALL (8 CPUs, 2 queues on CPUs 0-1, accept thread on 4, one worker on 5, 16
closed-loop clients, 2 ms warm-up + 5 ms window), changed per test as each docstring says.
"""
from __future__ import annotations

import pytest

from tcpsim import differential as diff
from tcpsim.engines.simpy_engine import SimpyEngine
from tcpsim.model.nic import TX_TASK
from tcpsim.model.steps import READ
from tcpsim.observe.probes import Probes
from tcpsim.observe.results import collect
from tcpsim.simulate import run_model

from .conftest import make_model

TX = "sleep mutex:ix0:tx"  # the rings' TX mutex as LOCK_PROFILING prints it (rows sum the rings)
TRYLOCK, DEFERRED, INTR, TASK = "ixgbe.c:833", "ixgbe.c:906", "ixgbe.c:1525", "ixgbe.c:1420"
VLAN_ROW = "if_vlan.c:1163 (rw:vlan)"
DEFER_PROBE = "fbt::ixgbe_deferred_mq_start:entry"
# the paths whose drain belongs to a sender (ixgbe_mq_start): a reclaim in them is the threshold txeof
SENDER_PATHS = ("syn", "send", "shutdown", "client_fin")

# Deferrals often, and IXGBE_TX_CLEANUP_THRESHOLD reached: one queue (every sender on one ring), three workers,
# 64 clients, the smallest ring hw.ixgbe.txd allows (64: under 8 free descriptors = over 28 frames unreclaimed)
# and txeof reclaiming one frame a pass, so unreclaimed frames pile up and senders' drains run ixgbe_txeof.
# A 1 ms warm-up and 8 ms window: margin for the counts below to hold when the costs are recalibrated.
BUSY_RING = {"hardware": {"queues": 1, "tx_ring_descriptors": 64, "tx_process_limit": 1},
             "app": {"worker_cpus": [5, 6, 7]}, "clients": {"concurrency": 64},
             "run": {"seed": 1, "warmup_s": 0.001, "duration_s": 0.008}}
# SMALL with txeof's budget small enough to see, and the default ring (2,048 descriptors: the threshold never
# holds in a 7 ms run, which test_interrupt_pass_drains_after_txeof checks before relying on it).
SMALL_TX = {"hardware": {"tx_process_limit": 4}, "run": {"seed": 1}}


def _dense_sampling(model):
    """pmcstat every ~100 ns instead of every 65,536 cycles: sampling only reads, so the run is the same, and a
    5 ms window shows every short step in the call graph."""
    model.costs["pmc_sample_cycles"] = 256
    return model


def _stacks(engine, cpus, frame):
    return [s for cpu in cpus for s in engine.samples[cpu] if frame in s]


class Watched:
    """A SimPy run of ``model`` with every probe and the driver's four unprobed steps recorded in one list:
    ``events[i] = (kind, time_ns, args)``: kind a probe name or "enqueue" / "defer" / "xmit" / "reclaim"."""

    def __init__(self, model):
        self.events = []
        probes = Probes()
        probes.attach("*", self._probe)
        self.engine = e = SimpyEngine(model, probes)
        self.buf_rings = {}  # event index of a TX-mutex lockstat event -> buf_ring length of every ring then
        enqueue, defer, xmit, reclaim = e.tx_enqueue, e.tx_defer, e.tx_xmit, e.tx_reclaim

        def spy_enqueue(th, conn, seg):
            enqueue(th, conn, seg)
            th.tx_frame = (conn.cid, seg)  # the frame this thread's trylock is about
            self._log("enqueue", thread=th.name, cpu=th.cpu, ring=th.txring, conn=conn.cid, segment=seg,
                      flow_queue=conn.queue, flowid=conn.flowid)

        def spy_defer(th):
            owner = self._owner(th.txring)
            self._log("defer", thread=th.name, ring=th.txring, frame=th.tx_frame, owner=owner)
            defer(th)

        def spy_xmit(ring):
            q = e.nic[ring]
            frame = (q.buf_ring[0][0].cid, q.buf_ring[0][1]) if q.buf_ring else None
            self._log("xmit", ring=ring, frame=frame, owner=self._owner(ring))
            xmit(ring)

        def spy_reclaim(th):
            before = len(e.nic[th.txring].tx_done)
            reclaim(th)
            if len(e.nic[th.txring].tx_done) < before:
                self._log("reclaim", thread=th.name, ring=th.txring, path=th.path)

        e.tx_enqueue, e.tx_defer, e.tx_xmit, e.tx_reclaim = spy_enqueue, spy_defer, spy_xmit, spy_reclaim
        e.run()
        self.result = collect(e)

    def _owner(self, ring):
        lock = self.engine.group_locks.get(("txring", ring))
        return lock.owner.name if lock is not None and lock.owner is not None else None

    def _log(self, kind, **args):
        self.events.append((kind, self.engine.env.now, args))

    def _probe(self, probe, t_ns, args):
        if probe.startswith("lockstat:::adaptive-") and args["lock"] == TX:
            self.buf_rings[len(self.events)] = tuple(len(q.buf_ring) for q in self.engine.nic)
        self.events.append((probe, t_ns, dict(args)))

    def probe_trace(self):
        """The probe events alone, as ``differential.trace`` gives them."""
        return [ev for ev in self.events if ":::" in ev[0] or ev[0].startswith("fbt::")]

    def of(self, kind):
        return [(i, t, a) for i, (k, t, a) in enumerate(self.events) if k == kind]

    def tx_holds(self):
        """Every hold of a TX mutex: {thread, site, start, end} (event indices of its adaptive-acquire and
        -release; end None if the run ended first). A thread holds at most one ring's TX mutex at a time and
        the mutex does not recurse, so a thread's next TX release ends its hold."""
        holds, open_ = [], {}
        for i, (kind, _t, a) in enumerate(self.events):
            if kind == "lockstat:::adaptive-acquire" and a["lock"] == TX:
                assert a["thread"] not in open_, f"event {i}: {a['thread']} takes a TX mutex holding one"
                open_[a["thread"]] = {"thread": a["thread"], "site": a["site"], "start": i, "end": None}
                holds.append(open_[a["thread"]])
            elif kind == "lockstat:::adaptive-release" and a["lock"] == TX:
                open_.pop(a["thread"])["end"] = i
        return holds

    def assert_drained(self, hold, ring):
        """ixgbe_mq_start_locked sends every frame on the buf_ring, then (below IXGBE_TX_CLEANUP_THRESHOLD) runs
        ixgbe_txeof: a hold may end with frames on the ring only if other senders enqueued them after its last
        xmit, while that txeof ran (each sender then defers to the ring's task, or, if its trylock comes after
        the release, drains the ring itself)."""
        left = self.buf_rings[hold["end"]][ring]
        if not left:
            return
        span = range(hold["start"] + 1, hold["end"])
        last = max((i for i, _t, a in self.of("xmit") if i in span and a["owner"] == hold["thread"]),
                   default=hold["start"])
        after = range(last + 1, hold["end"])
        late = [a for i, _t, a in self.of("enqueue") if i in after and a["ring"] == ring]
        txeof = [a for i, _t, a in self.of("reclaim") if i in after and a["thread"] == hold["thread"]]
        assert left <= len(late) and txeof, (f"the {hold['site']} hold of events {hold['start']}-{hold['end']} left "
                                             f"{left} frame(s) on ring {ring}; enqueued after its drain: {len(late)}")

    def in_window(self, t):
        return self.engine.w0 <= t < self.engine.w1


_RUNS = {}


def watched(name):
    """One spied SimPy run per machine for the whole module (each ~0.3 s)."""
    if name not in _RUNS:
        _RUNS[name] = Watched(_dense_sampling(make_model(**{"busy_ring": BUSY_RING, "small_tx": SMALL_TX}[name])))
    return _RUNS[name]


def test_every_frame_reaches_the_wire_under_its_rings_tx_mutex():
    """ixgbe_xmit runs only in ixgbe_mq_start_locked, i.e. with the ring's TX mutex held; every frame enqueued
    is sent (bar the last few at the run's end) and each exactly once."""
    for name in ("busy_ring", "small_tx"):
        w = watched(name)
        xmits = w.of("xmit")
        assert xmits, name
        assert all(a["owner"] is not None for _i, _t, a in xmits), name
        sent = [a["frame"] for _i, _t, a in xmits]
        assert None not in sent and len(sent) == len(set(sent)), f"{name}: a frame sent twice or an empty xmit"
        enqueued = [(a["conn"], a["segment"]) for _i, _t, a in w.of("enqueue")]
        assert set(sent) <= set(enqueued)
        left = len(enqueued) - len(sent)
        assert 0 <= left == sum(len(q.buf_ring) for q in w.engine.nic), name


def test_sender_finding_tx_mutex_held_defers_to_queue_task():
    """A sender whose IXGBE_TX_TRYLOCK fails leaves its frame on the buf_ring and enqueues the ring's txq_task:
    the queue's task thread fires fbt::ixgbe_deferred_mq_start:entry, counts tx_deferred, takes the TX mutex at
    ixgbe.c:906 and drains the buf_ring under it. The frame goes out under the mutex after tcp:::send, either
    by the holder the sender found (its drain loop picks up what was enqueued meanwhile, as
    ixgbe_mq_start_locked's drbr_peek loop does) or, in at least one case here, by the task after its :906
    acquisition."""
    w = watched("busy_ring")
    e = w.engine
    defers = w.of("defer")
    assert len(defers) >= 10, "the busy-ring machine is meant to defer often"
    task_names = {th.name for th in e.tasks}
    for i, _t, a in defers:
        # the trylock failed because another thread holds that ring's mutex (or it is in transit to one)
        assert a["owner"] != a["thread"], f"event {i}: {a['thread']} deferred against its own hold"

    # every deferral is followed by the ring's queue task running the deferred start (coalesced: one
    # pending txq_task serves every deferral made before it runs), or the txq_task is still pending at the end
    # (behind an ixgbe_handle_que pass of the same thread, say)
    starts = w.of(DEFER_PROBE)
    for i, t, a in defers:
        later = [s for s in starts if s[0] > i and s[2]["queue"] == a["ring"]]
        if not later:
            assert TX_TASK in e.nic[a["ring"]].tasks, f"deferral at event {i} (t={t} ns): no deferred start after it"
            continue
        assert later[0][2]["thread"] == e.tasks[a["ring"]].name

    # each deferred start is its task's next TX-mutex acquisition, at ixgbe.c:906; its hold ends with the
    # ring's buf_ring drained under the mutex (Watched.assert_drained)
    holds = w.tx_holds()
    for i, _t, a in starts:
        nxt = next(h for h in holds if h["thread"] == a["thread"] and h["start"] > i)
        assert nxt["site"] == DEFERRED, f"deferred start at event {i}: next TX acquisition at {nxt['site']}"
        if nxt["end"] is not None:
            w.assert_drained(nxt, a["queue"])
    assert {h["site"] for h in holds if h["thread"] in task_names} <= {DEFERRED, TASK, TRYLOCK}

    # the counter counts deferred starts (not deferrals: they coalesce), in the measured window
    for qi, counts in enumerate(e.nic_counts):
        in_window = sum(1 for _i, t, a in starts if a["queue"] == qi and w.in_window(t))
        assert counts["tx_deferred"] == in_window > 0
    rows = {r["name"]: r for r in w.result["lock_profile"]}
    total = sum(c["tx_deferred"] for c in e.nic_counts)
    assert abs(rows[f"{DEFERRED} ({TX})"]["count"] - total) <= 1  # an acquisition may straddle the window's end

    # where each deferred frame went out, and in what order
    xmit_at = {a["frame"]: (i, a) for i, _t, a in w.of("xmit")}
    sends = w.of("tcp:::send")
    by_task = 0
    for i, t, a in defers:
        if a["frame"] not in xmit_at:
            continue  # still queued when the run ended
        j, x = xmit_at[a["frame"]]
        assert j > i
        send = [s for s in sends if s[0] < i and (s[2]["conn"], s[2]["segment"]) == a["frame"]]
        assert send, f"deferred frame {a['frame']}: no tcp:::send before its deferral"
        if x["owner"] == a["owner"] and not any(h["thread"] == a["owner"] and i < h["end"] < j
                                                for h in holds if h["end"] is not None):
            continue  # the holder found by the sender sent it, in the same hold
        # else the thread that sent it took the mutex after the deferral
        hold = next(h for h in reversed(holds) if h["thread"] == x["owner"] and h["start"] < j)
        assert hold["start"] > i, f"deferred frame {a['frame']} sent by {x['owner']} in a hold older than the deferral"
        if hold["site"] == DEFERRED:
            assert x["owner"] == e.tasks[a["ring"]].name
            assert send[-1][0] < i < hold["start"] < j  # tcp:::send, deferral, :906 acquisition, wire
            by_task += 1
    assert by_task >= 1, "no deferred frame was sent by the task's deferred start on this machine"
    # and pmcstat sees it: ixgbe_xmit under the task's ixgbe_deferred_mq_start
    assert ("taskqueue_thread_loop", "ixgbe_deferred_mq_start", "ixgbe_mq_start_locked", "ixgbe_xmit") in \
        {s for smp in e.samples for s in smp}


def test_interrupt_pass_drains_after_txeof():
    """ixgbe_msix_que holds its ring's TX mutex (ixgbe.c:1525) through ixgbe_txeof, at most tx_process_limit
    frames, then ixgbe_mq_start_locked's drain: in every hold all reclaims come before every xmit, both on the
    interrupt thread's own ring, and the hold ends with that buf_ring empty. Frames other senders deferred
    while the interrupt thread held the mutex go out in that drain."""
    w = watched("small_tx")
    e = w.engine
    limit = e.m.hardware.tx_process_limit
    reclaims, xmits = w.of("reclaim"), w.of("xmit")
    # no sender's drain ran the threshold txeof here, so every reclaim is a pass's own
    assert reclaims and not {a["path"] for _i, _t, a in reclaims} & {*SENDER_PATHS, "deferred_start"}
    ithreads = {th.name: th for th in e.ithreads}
    holds = [h for h in w.tx_holds() if h["site"] == INTR]
    assert holds and all(h["thread"] in ithreads for h in holds)
    both = 0
    for h in holds:
        if h["end"] is None:
            continue
        own = ithreads[h["thread"]].queue
        inside = lambda evs: [(i, a) for i, _t, a in evs if h["start"] < i < h["end"]]  # noqa: E731
        rec = [(i, a) for i, a in inside(reclaims) if a["thread"] == h["thread"]]
        out = [(i, a) for i, a in inside(xmits) if a["owner"] == h["thread"]]
        assert len(rec) <= limit, f"hold at event {h['start']}: {len(rec)} reclaims > tx_process_limit {limit}"
        assert all(a["ring"] == own for _i, a in rec + out)
        if rec and out:
            assert max(i for i, _a in rec) < min(i for i, _a in out), f"hold at event {h['start']}: xmit before txeof"
            both += 1
        assert w.buf_rings[h["end"]][own] == 0, f"hold at event {h['start']} ended with frames on its buf_ring"
    assert both >= 5, f"only {both} interrupt passes both reclaimed and drained"
    # the frames those drains sent were deferred to the interrupt thread's hold
    deferred_to_intr = [a for _i, _t, a in w.of("defer") if a["owner"] in ithreads]
    assert deferred_to_intr
    sent_by = {a["frame"]: a["owner"] for _i, _t, a in xmits}
    assert any(sent_by.get(a["frame"]) == a["owner"] for a in deferred_to_intr)
    # pmcstat on the interrupt CPUs: both halves of the hold directly under ixgbe_msix_que
    intr = {s for th in e.ithreads for s in e.samples[th.cpu]}
    assert ("ithread_loop", "ixgbe_msix_que", "ixgbe_txeof") in intr
    assert ("ithread_loop", "ixgbe_msix_que", "ixgbe_mq_start_locked", "ixgbe_xmit") in intr
    # every frame sent is reclaimed by a later txeof or still awaits one
    assert len(reclaims) == e.frames["reclaimed"]
    assert len(xmits) == len(reclaims) + sum(len(q.tx_done) for q in e.nic)


@pytest.mark.parametrize("queue_cpus", [[1, 0], [0, 1]], ids=["swapped", "straight"])
def test_frames_go_to_the_ring_of_their_flow(queue_cpus):
    """ixgbe_mq_start's ring: flowid % queues once the pcb learnt the flow id from a received frame, else
    curcpu % queues. Queue q's interrupt thread and task run on CPU queue_cpus[q] (que_task_cpu = "queue"), the
    worker on CPU 5 (5 % 2 = 1). Swapped ([1, 0]): a flow of queue q has its SYN|ACK (sent by syncache_respond
    with no pcb, on the interrupt CPU) on ring 1 - q and everything after on ring q, while the worker's
    responses for queue-0 flows go on ring 0 although its CPU would pick ring 1. Straight: SYN|ACK on the
    flow's own ring."""
    m = make_model(hardware={"queue_cpus": queue_cpus, "que_task_cpu": "queue"}, run={"seed": 1})
    w = Watched(m)
    nq = m.hardware.queues
    sends = w.of("enqueue")
    assert {a["segment"] for _i, _t, a in sends} >= {"SYNACK", "DATA", "FIN", "ACK"}
    for i, _t, a in sends:
        if a["segment"] == "SYNACK":
            assert not a["flowid"], f"event {i}: the SYN|ACK's connection already has a flow id"
            assert a["ring"] == a["cpu"] % nq
            assert a["ring"] == (1 - a["flow_queue"] if queue_cpus == [1, 0] else a["flow_queue"])
            assert a["cpu"] == queue_cpus[a["flow_queue"]]  # the queue's own interrupt thread or task sent it
        else:
            assert a["flowid"], f"event {i}: {a['segment']} sent before the pcb received a frame"
            assert a["ring"] == a["flow_queue"] % nq
    worker_q0 = [a for _i, _t, a in sends if a["thread"] == "worker0" and a["flow_queue"] == 0]
    assert worker_q0 and all(a["ring"] == 0 != a["cpu"] % nq for a in worker_q0)
    # both rings carry traffic, and each ring's deferred starts run on that ring's queue task
    assert {a["ring"] for _i, _t, a in sends} == set(range(nq))
    for _i, _t, a in w.of(DEFER_PROBE):
        assert a["thread"] == w.engine.tasks[a["queue"]].name and a["cpu"] == queue_cpus[a["queue"]]


@pytest.mark.parametrize("engine", ["fast", "simpy"])
def test_tx_mutex_and_vlan_lock_in_lock_profile_and_call_graph(engine):
    """LOCK_PROFILING rows of the TX mutex at 2.5.15's lines only (ixgbe_mq_start :833, ixgbe_deferred_mq_start
    :906, ixgbe_msix_que :1525, ixgbe_handle_que :1420), the VLAN trunk's read lock at if_vlan.c:1163 exactly
    when [hardware] vlan is on, once per received frame; and pmcstat's stacks: vlan_input under ether_demux in
    the interrupt CPUs' receive pass with __rw_rlock as its leaf, ixgbe_txeof under ixgbe_msix_que,
    ixgbe_mq_start under the worker's send and ixgbe_xmit under ixgbe_mq_start_locked."""
    seen = {}
    for vlan in (True, False):
        m = _dense_sampling(make_model(hardware={"vlan": vlan}, run={"seed": 1}))
        result, eng = run_model(m, engine)
        rows = {r["name"]: r for r in result["lock_profile"]}
        seen[vlan] = rows
        tx_sites = {name.split(" ")[0] for name in rows if name.endswith(f"({TX})")}
        assert {TRYLOCK, INTR} <= tx_sites <= {TRYLOCK, DEFERRED, INTR, TASK}
        assert all(not n.endswith("(rw:vlan)") or n == VLAN_ROW for n in rows)
        intr_cpus = m.hardware.queue_cpus
        worker_cpu = m.app.worker_cpus[0]
        if vlan:
            frames = sum(c["rx_interrupt"] + c["rx_task"] for c in eng.nic_counts)
            # one read acquisition per frame cleaned (a pass straddling the window's edges aside)
            assert abs(rows[VLAN_ROW]["count"] - frames) <= 2 * m.hardware.rx_process_limit
            assert 0.98 < rows[VLAN_ROW]["count"] / frames < 1.02
            under = _stacks(eng, intr_cpus, "vlan_input")
            assert under
            for s in under:
                k = s.index("vlan_input")
                assert s[:k] == ("ithread_loop", "ixgbe_msix_que", "ixgbe_rxeof", "ether_demux") or \
                    s[:k] == ("taskqueue_thread_loop", "ixgbe_handle_que", "ixgbe_rxeof", "ether_demux")
            assert any(s[-2:] == ("vlan_input", "__rw_rlock") for s in under)
        else:
            assert VLAN_ROW not in rows
            assert not any("vlan_input" in s for smp in eng.samples for s in smp)
        assert any(s[-2:] == ("ixgbe_msix_que", "ixgbe_txeof") for s in _stacks(eng, intr_cpus, "ixgbe_txeof"))
        send = _stacks(eng, [worker_cpu], "ixgbe_mq_start")
        assert any(s[:6] == ("amd64_syscall", "sys_sendto", "kern_sendit", "sosend_generic", "tcp_usr_send",
                             "tcp_output") and s[6:9] == ("ip_output", "ixgbe_mq_start", "ixgbe_mq_start_locked")
                   for s in send)
        assert all(s[s.index("ixgbe_xmit") - 1] == "ixgbe_mq_start_locked"
                   for smp in eng.samples for s in smp if "ixgbe_xmit" in s)
    # the VLAN lock is the only row the switch adds
    assert set(seen[True]) - set(seen[False]) == {VLAN_ROW}


def test_vlan_lock_taken_once_per_frame_by_the_receiving_thread():
    """Per lockstat: every if_vlan.c:1163 acquisition is a read (TRUNK_RLOCK) by a queue's interrupt thread or
    task, one per frame the receive passes took off the ring (the last few frames' acquisitions may not have
    happened when the run ends)."""
    m = make_model(hardware={"vlan": True}, run={"seed": 1})
    w = Watched(m)
    e = w.engine
    receivers = {th.name for th in e.ithreads + e.tasks}
    acq = [a for _i, _t, a in w.of("lockstat:::rw-acquire") if a["site"] == "if_vlan.c:1163"]
    assert acq and all(a["lock"] == "rw:vlan" and a["mode"] == READ and a["thread"] in receivers for a in acq)
    assert 0 <= e.segments_in - len(acq) <= len(receivers)
    assert not any(a["lock"] == "rw:vlan" and a["mode"] != READ for _i, _t, a in w.of("lockstat:::rw-acquire"))


def test_engines_agree_on_transmit_heavy_run():
    """The fast engine's probe trace equals the reference's on the busy ring, where senders defer, the task
    runs ixgbe_deferred_mq_start, and drains run IXGBE_TX_CLEANUP_THRESHOLD's txeof (condition
    tx_below_threshold) -- which the spied reference run shows happened."""
    w = watched("busy_ring")
    reclaim_paths = {a["path"] for _i, _t, a in w.of("reclaim")}
    assert reclaim_paths & set(SENDER_PATHS), "no sender's drain ran the threshold txeof"
    assert "deferred_start" in reclaim_paths, "no deferred start ran the threshold txeof"
    assert len(w.of(DEFER_PROBE)) >= 5
    fast, result = diff.trace(make_model(**BUSY_RING), "fast")
    ref = w.probe_trace()
    assert diff.first_divergence(ref, fast) is None, diff.first_divergence(ref, fast)
    assert result["lock_profile"] == w.result["lock_profile"]
    assert result["interrupts"] == w.result["interrupts"]
    # the driver's counters too, tx_deferred among them (no view shows that one)
    assert run_model(make_model(**BUSY_RING), "fast")[1].nic_counts == w.engine.nic_counts


def test_engines_agree_with_vlan_and_flow_rings():
    """Same on a 2-queue machine with the VLAN lock on, interrupt CPUs swapped against the queues (SYN|ACKs
    cross rings) and the queue tasks unbound (10.0's placement)."""
    over = {"hardware": {"vlan": True, "queue_cpus": [1, 0]}, "clients": {"concurrency": 32}, "run": {"seed": 2}}
    ref, _ = diff.trace(make_model(**over), "simpy")
    fast, _ = diff.trace(make_model(**over), "fast")
    assert any(p == DEFER_PROBE for p, _t, _a in ref)
    assert any(p == "lockstat:::rw-acquire" and a["site"] == "if_vlan.c:1163" for p, _t, a in ref)
    assert diff.first_divergence(ref, fast) is None, diff.first_divergence(ref, fast)
