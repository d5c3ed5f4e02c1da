"""The fast engine's own parts: what it computes in C instead of calling the model, and its connection pool.
(That it runs the same model as the reference, event for event, is tests/test_differential.py's.)"""
import itertools

from tcpsim import _fast, scenario
from tcpsim.model import nic
from tcpsim.simulate import run_model

FIG3 = "scenarios/paper/fig3_4queues.toml"


def test_aim_in_c_is_the_driver_rule_of_model_nic():
    values = (0, 1, 60, 90, 368, 1000, 3000, 10**6)
    for rx, tx, packets in itertools.product(values, values, (0, 1, 2, 7, 1000)):
        assert _fast.aim_eitr_c(rx, tx, packets, nic.DRIVER_FRAME_OVERHEAD) == nic.aim_eitr(rx, tx, packets), \
            (rx, tx, packets)


def test_a_time_wait_entry_is_one_compact_record():
    # a connection record, its inpcb lock included, is what a TIME-WAIT entry costs (issue #9: <= 150 bytes); 104
    # since the lock keeps when its word's cache line is next free (8 bytes: model/rwlock.py, line_free), 112
    # since a record says whether a user thread owns its socket (Linux's lock_sock: one byte, padded to 8)
    sizes = _fast.Core.sizes()
    assert sizes["lock"] < sizes["connection"] <= 112


def test_connection_records_are_reused_once_nothing_names_them():
    # a short TIME-WAIT list: every record is freed after its entry is recycled and its client is done, so the
    # pool stays at clients + TIME-WAIT entries + what is on its way, however long the run
    over = {"kernel": {"maxtcptw": 50, "timewait_prefill": False}, "run": {"warmup_s": 0.0}}
    live = []
    for duration in (0.02, 0.2):
        over["run"]["duration_s"] = duration
        r, eng = run_model(scenario.load(FIG3, over), "fast")
        assert r["connections"]["completed"] > 1000 * duration * 50  # ~60,000/s
        live.append(eng.live_connections)
    clients = scenario.load(FIG3).clients.concurrency
    assert all(n <= clients + 50 + 64 for n in live) and live[1] <= live[0] + 16
