"""The article's baseline machines, run briefly: the figures issue #2 requires must emerge from the model.

Short windows (30 ms simulated after the scenarios' warm-up) keep this in CI's budget; the same checks at the
scenarios' full windows are what `tcpsim reproduce` prints.
"""
import pytest

from tcpsim.reproduce import reproduce


PROGRESS = []


@pytest.fixture(scope="module")
def rows():
    rows, _ = reproduce(duration_s=0.03, progress=lambda done, total: PROGRESS.append((done, total)))
    return {r.key: r for r in rows}


def test_progress_is_reported_after_each_scenario(rows):
    assert PROGRESS == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]


@pytest.mark.parametrize("key", [
    "fig2_goodput",  # 56,000 +-10% with one queue
    "fig2_irq_busy",  # the interrupt CPU >= 90% busy
    "fig3_goodput",  # 62,000 +-10% with four queues
    "fig3_irq_busy",  # CPUs 0-3 each >= 85% busy
    "fig4_wlock_share",  # __rw_wlock_hard 50-80% of an interrupt CPU's samples
    "fig4_under_tcp_input",
    "fig5_top5",  # the five rw:tcp sites lead the profile, order within one place
])
def test_issue_targets(rows, key):
    r = rows[key]
    assert r.ok, f"{r.figure} {r.what}: article {r.article}, model {r.model}, tolerance {r.tolerance}"


def test_lock_acquisitions_per_connection(rows):
    per = {k: r for k, r in rows.items() if k.startswith("fig5_per_connection")}
    assert len(per) == 6
    for r in per.values():
        assert r.ok, f"{r.what}: article {r.article}, model {r.model}"


def test_egress_bytes_per_connection(rows):
    # the article's framing arithmetic: 368 bytes + response payload leave the server per connection
    for key in ("egress_bytes Fig. 2", "egress_bytes Fig. 3"):
        assert rows[key].ok, rows[key]
