"""The article's baseline machines, run briefly: the figures issue #2 requires must emerge from the model.

The scenarios' own windows (1 s simulated after the warm-up, what `tcpsim reproduce` prints): shorter
ones leave window-edge noise of a few percent, from the one-queue machine's 256-frame bursts, in rows that
have only a few percent of tolerance.
"""
import pytest

from tcpsim.reproduce import reproduce


PROGRESS = []


@pytest.fixture(scope="module")
def rows():
    rows, _ = reproduce(progress=lambda done, total: PROGRESS.append((done, total)))
    return {r.key: r for r in rows}


def test_progress_is_reported_after_each_scenario(rows):
    assert PROGRESS == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]


@pytest.mark.parametrize("key", [
    "fig2_goodput",  # 56,000 +-10% with one queue
    # The interrupt CPU >= 90% busy: not with FreeBSD 10.0's driver under a saturating client. Every interrupt
    # pass then uses its 256-frame budget and hands the next batch to the unbound queue task, which the
    # scheduler runs on another CPU, so CPU 0 is ~50% busy (README, "Known gaps"). Strict: a pass is news.
    pytest.param("fig2_irq_busy", marks=pytest.mark.xfail(strict=True, reason="10.0 driver: task passes run on "
                                                           "another CPU under a saturating client")),
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


def test_parallel_reproduction_gives_the_same_rows():
    serial, _ = reproduce(duration_s=0.004)
    parallel, _ = reproduce(duration_s=0.004, jobs=2)
    assert serial == parallel


def test_rows_over_seeds_are_means_judged_on_every_seed():
    from tcpsim.reproduce import Row, combine

    def rows(rate, ok, order):
        return [Row("rate", "Fig. 2", "conn/s", 56000, rate, ok, "calibration", "±10%"),
                Row("order", "Fig. 5", "top five", "a b", order, True, "calibration", "order")]

    rate, order = combine([rows(55000.0, True, "a b"), rows(57000.0, True, "a b"), rows(49000.0, False, "b a")])
    assert rate.model == 53666.67 and rate.per_seed == [55000.0, 57000.0, 49000.0]
    assert rate.ci95 == pytest.approx(4.303 * 4163.33 / 3 ** 0.5, rel=1e-3)  # t(0.975, 2) s / sqrt(n)
    assert rate.ok is False  # one seed out of tolerance: the row is not within it
    assert order.model == "a b (2/3 seeds)" and order.ci95 is None
