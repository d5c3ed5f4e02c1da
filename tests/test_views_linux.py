"""The Linux views' text formats on hand-made inputs: /proc/lock_stat (3.10's 0.3, 4.4's 0.4), mpstat -P ALL,
top -H, perf report -g, and the probe names a Linux run's --probe clauses use."""
import pytest

from tcpsim.errors import TcpsimError
from tcpsim.model.rwlock import spin_frames, spin_function
from tcpsim.model.steps import READ, WRITE
from tcpsim.observe.clauses import Clause
from tcpsim.observe.lockprof import LockProfile
from tcpsim.observe.lockstat import VERSIONS, format_lock_stat, lock_stat_rows
from tcpsim.observe.mpstat import format_mpstat
from tcpsim.observe.perf import format_perf_report, sample_units
from tcpsim.observe.probes import PROBES, Probes, names
from tcpsim.observe.procps import HEADER, format_cpu_line, format_linux_top, task_state
from tcpsim.observe.words import LINUX_310, LINUX_PROBES

# --- /proc/lock_stat --------------------------------------------------------------------------------------------


def _profile():
    p = LockProfile()
    for site, lock, wait, contested, hold in (
            ("tcp_ipv4.c:1649", "slock-AF_INET", 3_004, True, 1_995),
            ("tcp_ipv4.c:1649", "slock-AF_INET", 0, False, 1_000),
            ("inet_connection_sock.c:296", "slock-AF_INET", 10_000, True, 500),
            ("inet_hashtables.c:426", "&(&hashinfo->ehash_locks[i])->rlock", 0, False, 123)):
        p.released(p.acquired(site, lock, wait, contested), hold)
    return p


def test_lock_stat_rows_per_class_from_the_profile():
    rows = lock_stat_rows(_profile().raw(), {"tcp_ipv4.c:1649": "tcp_v4_rcv"})
    assert [r["class"] for r in rows] == ["slock-AF_INET", "&(&hashinfo->ehash_locks[i])->rlock"]  # contended first
    slock = rows[0]
    assert (slock["contentions"], slock["acquisitions"]) == (2, 3)
    assert (slock["wait_max_ns"], slock["wait_total_ns"], slock["hold_max_ns"], slock["hold_total_ns"]) == (
        10_000, 13_004, 1_995, 3_495)
    # the contention points: sites that waited, most contentions first (ties by site), with their function
    assert slock["points"] == [("inet_connection_sock.c:296", "", 1), ("tcp_ipv4.c:1649", "tcp_v4_rcv", 1)]
    assert rows[1]["points"] == []


def test_lock_stat_0_3_layout():
    text = format_lock_stat(lock_stat_rows(_profile().raw(), {"tcp_ipv4.c:1649": "tcp_v4_rcv"}), "0.3")
    lines = text.split("\n")
    rule = "-" * (40 + 1 + 10 * 15)
    assert lines[:5] == [
        "lock_stat version 0.3", rule,
        "%40s" % "class name" + "".join(" %14s" % h for h in VERSIONS["0.3"]), rule, ""]
    assert lines[2].split() == ["class", "name", "con-bounces", "contentions", "waittime-min", "waittime-max",
                                "waittime-total", "acq-bounces", "acquisitions", "holdtime-min", "holdtime-max",
                                "holdtime-total"]
    # times in µs with two decimals, rounded as snprint_time does (nr + 5): 1995 ns -> 2.00, 3495 -> 3.50
    assert lines[5] == ("                           slock-AF_INET:" + "%14s " % "-" + "%14d" % 2
                        + "".join(" %14s" % v for v in ("-", "10.00", "13.00")) + " %14s " % "-" + "%14d" % 3
                        + "".join(" %14s" % v for v in ("-", "2.00", "3.50")))
    assert lines[6] == " " * 27 + "-" * 13
    assert lines[7] == "%40s %14d %29s" % ("slock-AF_INET", 1, "[<inet_connection_sock.c:296>]")
    assert lines[8] == "%40s %14d %29s %s" % ("slock-AF_INET", 1, "[<tcp_ipv4.c:1649>]", "tcp_v4_rcv")
    assert lines[9:12] == ["", "." * 191, ""]
    assert lines[12].startswith("     &(&hashinfo->ehash_locks[i])->rlock:")
    assert lines[12].split()[1:] == ["-", "0", "-", "0.00", "0.00", "-", "1", "-", "0.12", "0.12"]
    assert text.endswith("\n")


def test_lock_stat_0_4_adds_the_averages():
    lines = format_lock_stat(lock_stat_rows(_profile().raw()), "0.4").split("\n")
    assert lines[0] == "lock_stat version 0.4"
    assert lines[1] == "-" * (40 + 1 + 12 * 15)
    assert "waittime-avg" in lines[2] and "holdtime-avg" in lines[2]
    # wait average over the contentions (13004 / 2), hold average over the acquisitions (3495 / 3)
    assert lines[5].split()[1:] == ["-", "2", "-", "10.00", "13.00", "6.50", "-", "3", "-", "2.00", "3.50", "1.17"]
    with pytest.raises(ValueError, match="0.3, 0.4"):
        format_lock_stat([], "0.5")


def test_lock_stat_names_are_cut_as_seq_stats_cuts_them():
    p = LockProfile()
    p.released(p.acquired("a.c:1", "x" * 50, 5, True), 1)
    assert format_lock_stat(lock_stat_rows(p.raw())).split("\n")[5].startswith("   " + "x" * 37 + ":")


# --- mpstat -P ALL ----------------------------------------------------------------------------------------------

CPUS = [{"cpu": 1, "user": 6.64, "nice": 0.0, "system": 93.35, "interrupt": 0.0, "idle": 0.01},
        {"cpu": 0, "user": 0.0, "nice": 0.0, "system": 0.4, "interrupt": 96.1, "idle": 3.5}]


def test_mpstat_layout():
    assert format_mpstat(CPUS, "3.10.0", "fig3").split("\n") == [
        "Linux 3.10.0 (fig3) \t_x86_64_\t(2 CPU)",
        "",
        "Average:     CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle",
        "Average:     all    3.32    0.00   46.88    0.00    0.00   48.05    0.00    0.00    0.00    1.75",
        "Average:       0    0.00    0.00    0.40    0.00    0.00   96.10    0.00    0.00    0.00    3.50",
        "Average:       1    6.64    0.00   93.35    0.00    0.00    0.00    0.00    0.00    0.00    0.01",
        ""]


def test_mpstat_shows_a_split_hard_irq_share():
    line = format_mpstat([dict(CPUS[1], irq=1.5, interrupt=94.6)], "3.10.0", "x").split("\n")[4]
    assert line.split()[6:8] == ["1.50", "94.60"]  # %irq, %soft


# --- /proc/interrupts -----------------------------------------------------------------------------------------

def test_proc_interrupts_layout():
    from tcpsim.observe.interrupts import format_interrupts

    vectors = [{"queue": 0, "name": "irq/64-eth0-TxRx-0", "total": 12345}, {"queue": 1, "name": "irq/65-eth0-TxRx-1",
                                                                           "total": 7}]
    assert format_interrupts(vectors, [0, 2], 3).split("\n") == [
        "           CPU0       CPU1       CPU2",
        " 64:      12345          0          0   PCI-MSI-edge      eth0-TxRx-0",
        " 65:          0          0          7   PCI-MSI-edge      eth0-TxRx-1",
        ""]


# --- top -H -----------------------------------------------------------------------------------------------------

def _t(pid, wcpu, command, state="CPU0", pri=120, time_s=1.0, name=None):
    return {"pid": pid, "pri": pri, "state": state, "time_s": time_s, "wcpu": wcpu, "command": command,
            "name": name or command}


def test_top_cpu_line_is_procps_eight_field_line():
    assert format_cpu_line(CPUS[1]) == "%Cpu0  :  0.0 us,  0.4 sy,  0.0 ni,  3.5 id,  0.0 wa,  0.0 hi, 96.1 si,  0.0 st"
    assert format_cpu_line({"cpu": 12, "user": 100.0}) .startswith("%Cpu12 :100.0 us,")


def test_top_layout():
    threads = [_t(3, 2.5, "ksoftirqd/0", "RUN", time_s=0.025), _t(1000, 0.0, "tcp_server", "accept"),
               _t(1001, 93.35, "tcp_server", "CPU1", time_s=61.5), _t(1002, 40.0, "tcp_server", "*epmutex", pri=49),
               _t(4, 1.0, "migration/0", "RUN", pri=0)]
    assert format_linux_top(CPUS, threads, 65.0).split("\n") == [
        "top - 00:01:05 up 1 min,  0 users,  load average: 1.37, 1.37, 1.37",
        "Threads:   5 total,   3 running,   2 sleeping,   0 stopped,   0 zombie",
        "%Cpu0  :  0.0 us,  0.4 sy,  0.0 ni,  3.5 id,  0.0 wa,  0.0 hi, 96.1 si,  0.0 st",
        "%Cpu1  :  6.6 us, 93.3 sy,  0.0 ni,  0.0 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st",
        "",
        HEADER,
        " 1001 root      20   0       0      0      0 R  93.3  0.0   1:01.50 tcp_server",
        " 1002 root     -51   0       0      0      0 D  40.0  0.0   0:01.00 tcp_server",
        "    3 root      20   0       0      0      0 R   2.5  0.0   0:00.02 ksoftirqd/0",
        "    4 root      rt   0       0      0      0 R   1.0  0.0   0:01.00 migration/0",
        ""]
    assert HEADER == "  PID USER      PR  NI    VIRT    RES    SHR S  %CPU %MEM     TIME+ COMMAND"
    assert [task_state(s) for s in ("CPU3", "RUN", "*slock", "kqread")] == ["R", "R", "D", "S"]


# --- perf report -g ---------------------------------------------------------------------------------------------

SOFTIRQ = ("ret_from_fork", "kthread", "smpboot_thread_fn", "__do_softirq", "net_rx_action", "ixgbe_poll")
SAMPLES = {SOFTIRQ + ("tcp_v4_rcv", "_raw_spin_lock"): 650, SOFTIRQ + ("inet_csk_accept", "_raw_spin_lock"): 30,
           ("user:main", "user:accept", "sys_accept4", "_raw_spin_lock"): 2,  # under 0.5% of its siblings: [...]
           SOFTIRQ + ("tcp_v4_rcv",): 300, ("user:main", "user:work"): 18, ("user:main", "user:idle"): 1}


def test_perf_report_layout():
    text = format_perf_report(SAMPLES, 65536)
    below = ["            |          " + f for f in reversed(SOFTIRQ)]  # a child's frames after its first
    assert text.split("\n") == [
        "# Samples: 1K of event 'cycles'",
        "# Event count (approx.): 65601536",
        "#",
        "# Overhead              Symbol",
        "# ........  ..................",
        "#",
        "    68.13%  [k] _raw_spin_lock",
        "            |",
        "            |--95.31%-- tcp_v4_rcv",
        *below,
        "            |",
        "            |--4.40%-- inet_csk_accept",
        *below,
        "             --0.29%-- [...]",
        "",
        "    29.97%  [k] tcp_v4_rcv",
        "            |",
        "            --- ixgbe_poll",
        "                net_rx_action",
        "                __do_softirq",
        "                smpboot_thread_fn",
        "                kthread",
        "                ret_from_fork",
        "",
        "     1.80%  [.] work",
        "            |",
        "            --- main",
        "",
        ""]  # [.] idle: 0.1% of the samples, under the 1% cut


def test_perf_report_nested_branches_keep_the_open_columns():
    samples = {("a", "b", "x", "leaf"): 60, ("a", "c", "x", "leaf"): 30, ("d", "leaf"): 10}
    assert format_perf_report(samples, 1).split("\n")[6:] == [
        "   100.00%  [k] leaf",
        "            |",
        "            |--90.00%-- x",
        "            |          |",
        "            |          |--66.67%-- b",
        "            |          |          a",
        "            |          |",
        "            |           --33.33%-- c",
        "            |                     a",
        "            |",
        "             --10.00%-- d",
        "",
        ""]


def test_sample_units():
    assert [sample_units(n) for n in (999, 1000, 1001, 12_345, 2_500_000)] == ["999", "1000", "1K", "12K", "2M"]


# --- probe names --------------------------------------------------------------------------------------------------

def test_linux_names_cover_the_model_probes():
    vocab = names(LINUX_PROBES)
    assert vocab["lock:lock_acquired"] == ("lockstat:::rw-acquire", "lockstat:::adaptive-acquire")
    assert vocab["net:netif_receive_skb"] == ("tcp:::receive",)
    assert "tcp:::receive" not in vocab  # a probe with a Linux name goes by it alone
    assert "sched:::off-cpu" in vocab  # one without keeps the model's name
    assert vocab["irq:softirq_raise"] == vocab["irq:irq_handler_entry"] == ("fbt::ixgbe_msix_que:entry",)
    assert {p for ps in vocab.values() for p in ps} == set(PROBES)  # every model probe has a name
    assert names() == {p: (p,) for p in PROBES}


def test_a_linux_clause_aggregates_under_linux_names():
    clause = Clause("lock:*", names(LINUX_PROBES))
    probes = Probes()
    clause.attach(probes)
    probes.fire("lockstat:::rw-spin", 1, lock="rw:x", mode="W", site="a.c:1", thread="t", ns=5)
    probes.fire("lockstat:::adaptive-acquire", 2, lock="slock-AF_INET", mode="W", site="b.c:2", thread="t", wait=0)
    assert sorted((tuple(r["key"]), r["count"]) for r in clause.aggregation.data()) == [
        (("lock:lock_acquired", "slock-AF_INET", "b.c:2"), 1), (("lock:lock_contended", "rw:x", "a.c:1"), 1)]
    # the bare form's keys per probe, as FreeBSD's names get them (lock_release has no site)
    assert clause.describe() == ("lock:lock_acquired, lock:lock_contended { @[probename, lock, site] = count(); }' -n "
                                 "'lock:lock_release { @[probename, lock] = count(); }")
    summed = Clause("lock:lock_contended { @[probename] = sum(ns) }", names(LINUX_PROBES))
    probes = Probes()
    summed.attach(probes)
    probes.fire("lockstat:::rw-spin", 1, lock="rw:x", mode="W", site="a.c:1", thread="t", ns=5)
    probes.fire("lockstat:::adaptive-spin", 1, lock="m", mode="W", site="a.c:2", thread="t", ns=7)
    assert [(r["key"], r["sum"]) for r in summed.aggregation.data()] == [(["lock:lock_contended"], 12)]


def test_a_freebsd_name_is_not_a_linux_one():
    with pytest.raises(TcpsimError, match="'tcp:::receive' matches no probe; allowed: probe:tcp_set_state, "
                                          "net:netif_receive_skb"):
        Clause("tcp:::receive", names(LINUX_PROBES))
    with pytest.raises(TcpsimError, match="matches no probe"):
        Clause("net:netif_receive_skb")  # FreeBSD's vocabulary


# --- where spinning shows ------------------------------------------------------------------------------------------

def test_spin_frames_freebsd_unchanged_linux_from_its_words():
    for key in (("rw", "adaptive", WRITE), ("rw", "adaptive", READ), ("mtx", "adaptive", WRITE), ("mtx", "spin", WRITE),
                ("mtx", "ticket", WRITE), ("mtx", "mcs", WRITE)):
        assert spin_frames(*key) == (spin_function(*key),)
    table = LINUX_310["spin"]
    assert spin_frames("mtx", "ticket", WRITE, table) == ("_raw_spin_lock",)
    assert spin_frames("rw", "spin", WRITE, table) == ("_raw_write_lock", "__write_lock_failed")
    assert spin_frames("mtx", "adaptive", WRITE, table) == ("__mutex_lock_slowpath", "mutex_spin_on_owner")
    assert spin_frames("mtx", "mcs", WRITE, table) == ("_raw_spin_lock", "queued_spin_lock_slowpath")
    with pytest.raises(TcpsimError, match="no spin function for a read-held mtx"):
        spin_frames("mtx", "ticket", READ, table)


# --- end to end: a run of a kernel whose words are Linux's ---------------------------------------------------------
# (FreeBSD's package under another name with Linux 3.10's words: the Linux formatters on a real run's data, and the
# spin frames an engine takes from the words; the Linux package's own scenarios are tested where it lives)

@pytest.fixture
def linux_words_kernel(monkeypatch):
    """Registers 'wordskernel': FreeBSD's paths and locks, Linux 3.10's words, baseline the only variant."""
    from dataclasses import replace

    from tcpsim import kernels, scenario

    base = kernels.package("freebsd10")
    pkg = replace(base, name="wordskernel", variants={"baseline": base.variants["baseline"]}, words=LINUX_310)
    monkeypatch.setitem(kernels.MODULES, "wordskernel", "unused")
    monkeypatch.setitem(kernels._LOADED, "wordskernel", pkg)
    monkeypatch.setitem(scenario.SCHEMA["scenario"], "kernel",
                        replace(scenario.SCHEMA["scenario"]["kernel"], choices=tuple(kernels.MODULES)))
    return pkg


def _scenario(tmp_path, kernel="wordskernel"):
    from .conftest import SMALL

    p = tmp_path / "s.toml"
    p.write_text(SMALL.replace("[scenario]\n", f'[scenario]\nkernel = "{kernel}"\n', 1))
    return p


@pytest.mark.parametrize("engine", ["simpy", "fast"])
def test_run_prints_the_linux_views_and_spins_in_linux_functions(tmp_path, linux_words_kernel, engine):
    import io
    import json

    from tcpsim.cli import main

    p = _scenario(tmp_path)
    out = io.StringIO()
    assert main(["run", str(p), "--engine", engine, "--profile-cpus", "0", "--lock-rows", "2",
                 "--probe", "lock:lock_contended { @[lock] = count() }"], out, io.StringIO()) == 0
    text = out.getvalue()
    assert text.splitlines()[0].startswith("tcpsim 0.1.0 (") and "scenario small  kernel wordskernel  variant" in text
    for heading in ("$ mpstat -P ALL", "Average:     CPU    %usr", "$ top -H", "%Cpu0  :", "$ cat /proc/interrupts",
                    "$ cat /proc/lock_stat",
                    "lock_stat version 0.3", "# perf record -C 0 -g", "# Overhead", "# trace 'lock:lock_contended"):
        assert heading in text, heading
    for freebsd in ("top -SHIPz", "vmstat -i", "debug.lock.prof.stats", "pmcstat", "dtrace -n"):
        assert freebsd not in text, freebsd
    # FreeBSD's rwlocks (kind rw, class adaptive) spin where Linux's rw_semaphore writers wait
    assert "[k] rwsem_down_write_failed" in text and "__rw_wlock_hard" not in text
    # the --json result names the kernel and its spin shares are in Linux's functions
    out = io.StringIO()
    assert main(["run", str(p), "--engine", engine, "--json"], out, io.StringIO()) == 0
    r = json.loads(out.getvalue())
    assert r["kernel_name"] == "wordskernel"
    assert [v["name"] for v in r["interrupts"]] == ["irq263: ix0:que 0", "irq264: ix0:que 1"]  # FreeBSD's threads
    assert "rwsem_down_write_failed" in r["profile"][0]["spin_share"]
    assert "__rw_wlock_hard" not in r["profile"][0]["spin_share"]


def test_the_views_are_the_run_numbers(tmp_path, linux_words_kernel):
    """mpstat's and top's shares are the result's; lock_stat's counts are the lock profile's, per class."""
    from tcpsim import scenario
    from tcpsim.observe.views import sections
    from tcpsim.simulate import run_model

    r, engine = run_model(scenario.load(_scenario(tmp_path)), "fast")
    views = sections(r, engine, [0], None, LINUX_310)
    assert list(views) == ["cpus", "interrupts", "locks", "profile"]
    # /proc/interrupts: each vector's interrupts in the window, on its queue's CPU
    rows = views["interrupts"][1].splitlines()[2:]
    for v, row in zip(r["interrupts"], rows):
        cells = row.split(":", 1)[1].split()
        assert int(cells[engine.m.hardware.queue_cpus[v["queue"]]]) == v["total"] > 0
    mpstat = {line.split()[1]: line.split()[2:] for line in views["cpus"][1].splitlines()
              if line.startswith("Average:") and "CPU" not in line}
    for c in r["cpus"]:
        usr, _nice, sys_, _io, irq, soft, *_rest, idle = mpstat[str(c["cpu"])]
        assert (float(usr), float(sys_), float(irq), float(soft), float(idle)) == (
            c["user"], c["system"], 0.0, c["interrupt"], c["idle"])
    counts = {}
    for row in r["lock_profile"]:
        counts[row["lock"]] = counts.get(row["lock"], 0) + row["count"]
    stat = views["locks"][1]
    for lock, n in counts.items():
        line = next(x for x in stat.splitlines() if x.strip().startswith(lock + ":"))
        assert int(line.split(":")[-1].split()[6]) == n  # acquisitions
    # top -H leaves out the softirq-context kinds (ithread, callout): no interrupt thread is a task
    assert "intr{" not in views["cpus"][1] and "tcp_server{worker 0}" in views["cpus"][1]


def test_report_page_speaks_the_kernels_words(tmp_path, linux_words_kernel):
    import io

    pytest.importorskip("matplotlib")
    from tcpsim.cli import main

    out = tmp_path / "r.html"
    assert main(["report", str(_scenario(tmp_path)), "--duration", "0.003", "-o", str(out)], io.StringIO(),
                io.StringIO()) == 0
    page = out.read_text()
    for view in ("<h2>CPUs (mpstat -P ALL, top -H)</h2>", "$ mpstat -P ALL", "$ top -H", "lock_stat version 0.3",
                 "<h2>Interrupts (/proc/interrupts)</h2>", "PCI-MSI-edge",
                 "<h2>Lock statistics (/proc/lock_stat)</h2>", "spend their cycles (perf)</h2>", "# Overhead"):
        assert view in page, view
    for freebsd in ("top -SHIPz", "vmstat -i", "debug.lock.prof.stats", "pmcstat"):
        assert freebsd not in page, freebsd
