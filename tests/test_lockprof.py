"""LOCK_PROFILING arithmetic and the ``sysctl debug.lock.prof.stats`` text, on hand-made inputs."""
import pytest

from tcpsim.observe.lockprof import HEADER, LockProfile, format_stats, per_connection

SITE = "tcp_input.c:1013"
LOCK = "rw:tcp"
NAME = "tcp_input.c:1013 (rw:tcp)"


def _acq(prof, site, lock, wait_ns, contested, hold_ns):
    prof.released(prof.acquired(site, lock, wait_ns=wait_ns, contested=contested), hold_ns)


@pytest.fixture
def three():
    """Three acquisitions of one site: one contested (waited 3,000 ns, held 1,999 ns), two free (held 500 ns)."""
    p = LockProfile()
    _acq(p, SITE, LOCK, 3_000, True, 1_999)
    _acq(p, SITE, LOCK, 0, False, 500)
    _acq(p, SITE, LOCK, 0, False, 500)
    return p


def test_key_and_name():
    p = LockProfile()
    assert p.acquired(SITE, LOCK, 0, False) == (SITE, LOCK)
    (row,) = p.rows()
    assert row["name"] == NAME
    assert row["site"] == SITE and row["lock"] == LOCK


def test_row_keys(three):
    (row,) = three.rows()
    assert set(row) == {
        "max", "wait_max", "total", "wait_total", "count", "avg", "wait_avg", "cnt_hold", "cnt_lock", "name",
        "site", "lock",
    }


def test_truncation_to_microseconds():
    p = LockProfile()
    _acq(p, SITE, LOCK, 999, True, 1_999)
    (row,) = p.rows()
    assert row["total"] == 1  # 1,999 ns -> 1 us, truncated, not rounded
    assert row["max"] == 1
    assert row["wait_total"] == 0  # 999 ns -> 0 us
    assert row["wait_max"] == 0


def test_totals_and_maxima(three):
    (row,) = three.rows()
    assert row["total"] == 2  # 2,999 ns
    assert row["wait_total"] == 3
    assert row["max"] == 1  # longest single hold 1,999 ns
    assert row["wait_max"] == 3  # longest single wait 3,000 ns
    assert row["count"] == 3


def test_averages_over_all_acquisitions(three):
    (row,) = three.rows()
    # 3,000 ns of wait over 3 acquisitions (only one of them contested) -> 1 us, not 3 us
    assert row["wait_avg"] == 1
    # 2,999 ns of hold over 3 acquisitions -> 999 ns -> 0 us (computed from ns, then truncated)
    assert row["avg"] == 0


def test_average_truncates_after_dividing_the_nanoseconds():
    p = LockProfile()
    _acq(p, SITE, LOCK, 0, False, 1_600)
    _acq(p, SITE, LOCK, 0, False, 1_600)
    (row,) = p.rows()
    assert row["total"] == 3  # 3,200 ns
    assert row["avg"] == 1  # 3,200 // 2,000, not (3,200 // 1,000) / 2 = 1.5


def test_cnt_lock_counts_only_contested(three):
    (row,) = three.rows()
    assert row["cnt_lock"] == 1
    assert row["cnt_hold"] == 0


def test_contested_without_measurable_wait_still_counts():
    p = LockProfile()
    _acq(p, SITE, LOCK, 0, True, 10)
    (row,) = p.rows()
    assert row["cnt_lock"] == 1 and row["wait_total"] == 0


def test_acquired_without_release_counts_but_holds_nothing():
    p = LockProfile()
    p.acquired(SITE, LOCK, 2_000, True)
    (row,) = p.rows()
    assert (row["count"], row["cnt_lock"], row["total"], row["wait_total"]) == (1, 1, 0, 2)


def test_zero_count_averages_are_zero_not_error():
    assert LockProfile().rows() == []


def test_sort_by_wait_total_descending_then_name():
    p = LockProfile()
    _acq(p, "tcp_usrreq.c:728", "rw:tcp", 5_000, True, 100)
    _acq(p, "tcp_input.c:1013", "rw:tcp", 9_000, True, 100)
    _acq(p, "in_pcb.c:1802", "rw:tcpinp", 0, False, 100)
    _acq(p, "uipc_socket.c:3385", "sleep mutex:accept", 5_999, True, 100)  # 5 us, ties with tcp_usrreq.c:728
    names = [r["name"] for r in p.rows()]
    assert names == [
        "tcp_input.c:1013 (rw:tcp)",
        "tcp_usrreq.c:728 (rw:tcp)",
        "uipc_socket.c:3385 (sleep mutex:accept)",
        "in_pcb.c:1802 (rw:tcpinp)",
    ]
    assert p.rows() == p.rows(sort="wait_total")


def test_sort_by_other_column():
    p = LockProfile()
    for _ in range(3):
        _acq(p, "a.c:1", "mtx:a", 0, False, 1_000)
    _acq(p, "b.c:2", "mtx:b", 7_000, True, 1_000)
    assert [r["name"] for r in p.rows(sort="count")] == ["a.c:1 (mtx:a)", "b.c:2 (mtx:b)"]
    assert [r["name"] for r in p.rows()] == ["b.c:2 (mtx:b)", "a.c:1 (mtx:a)"]
    with pytest.raises(ValueError):
        p.rows(sort="nonsense")


def test_sites_and_locks_are_separate_rows():
    p = LockProfile()
    _acq(p, SITE, "rw:tcp", 0, False, 1_000)
    _acq(p, SITE, "rw:tcpinp", 0, False, 1_000)
    _acq(p, "tcp_input.c:1010", "rw:tcp", 0, False, 1_000)
    assert len(p.rows()) == 3


def test_ints_only_and_non_negative():
    p = LockProfile()
    with pytest.raises(TypeError):
        p.acquired(SITE, LOCK, 1.5, False)
    with pytest.raises(ValueError):
        p.acquired(SITE, LOCK, -1, False)
    key = p.acquired(SITE, LOCK, 0, False)
    with pytest.raises(TypeError):
        p.released(key, 10.0)


def test_release_without_acquire_is_an_error():
    with pytest.raises(KeyError):
        LockProfile().released((SITE, LOCK), 5)


def test_reset(three):
    three.reset()
    assert three.rows() == []
    assert len(three) == 0


def test_raw_counters_in_ns(three):
    assert three.raw() == {
        (SITE, LOCK): {
            "max_hold_ns": 1_999,
            "wait_max_ns": 3_000,
            "total_ns": 2_999,
            "wait_total_ns": 3_000,
            "count": 3,
            "cnt_lock": 1,
        }
    }


def test_header_text():
    assert HEADER == (
        "\n     max  wait_max       total  wait_total       count    avg wait_avg cnt_hold cnt_lock name\n"
    )
    assert format_stats([]) == HEADER


def test_printed_row(three):
    text = format_stats(three.rows())
    assert text == HEADER + (
        "       1         3           2           3           3      0      1        0        1"
        " tcp_input.c:1013 (rw:tcp)\n"
    )


def test_printed_row_widths():
    p = LockProfile()
    _acq(p, "tcp_input.c:1013", "rw:tcp", 123_456_789, True, 987_654_321)
    line = format_stats(p.rows()).splitlines()[-1]
    assert line == (
        "  987654    123456      987654      123456           1 987654 123456        0        1"
        " tcp_input.c:1013 (rw:tcp)"
    )


def test_per_connection(three):
    rows = three.rows()
    assert per_connection(rows, 2) == {NAME: 1.5}
    with pytest.raises(ValueError):
        per_connection(rows, 0)
