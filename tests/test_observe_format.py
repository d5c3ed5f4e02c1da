"""top -SHIPz and pmcstat -G text formats, and call-graph shares, on hand-made inputs."""
import pytest

from tcpsim.observe.callgraph import callgraph_tree, caller_share, format_callgraph, leaf_share
from tcpsim.observe.top import THREAD_HEADER, format_cpu_line, format_time, format_top

# --- top ------------------------------------------------------------------------------------------------------

CPU0 = {"cpu": 0, "user": 0.0, "nice": 0.0, "system": 0.4, "interrupt": 96.1, "idle": 3.5}


def test_cpu_line_exact():
    assert format_cpu_line(CPU0) == "CPU 0:  0.0% user,  0.0% nice,  0.4% system, 96.1% interrupt,  3.5% idle"


def test_cpu_line_label_and_full_percent():
    line = format_cpu_line({"cpu": 3, "user": 99.97, "idle": 0.03, "label": "irq core"})
    assert line == "CPU 3:  100% user,  0.0% nice,  0.0% system,  0.0% interrupt,  0.0% idle [irq core]"


def test_time_column():
    assert format_time(0) == "0:00.00"
    assert format_time(12.345) == "0:12.34"  # truncated
    assert format_time(0.29) == "0:00.29"  # no float off-by-one
    assert format_time(61.5) == "1:01.50"
    assert format_time(700) == "11:40"


def _thread(pid, wcpu, command, state="RUN", cpu=1, time_s=1.0):
    return {
        "pid": pid, "username": "root", "pri": -92, "nice": "-", "size": "0K", "res": "1024K",
        "state": state, "cpu": cpu, "time_s": time_s, "wcpu": wcpu, "command": command,
    }


def test_top_layout_and_order():
    cpus = [
        {"cpu": 1, "user": 10.0, "idle": 90.0},
        dict(CPU0, label="irq core"),
    ]
    threads = [
        _thread(12, 3.5, "intr{swi4: clock}"),
        _thread(12, 96.08, "intr{irq256: ix0:que 0}", state="CPU0", cpu=0, time_s=12.345),
        _thread(1000, 3.5, "tcp_server{tcp_server}"),
        _thread(12, 3.5, "intr{irq257: ix0:que 1}"),
    ]
    text = format_top(cpus, threads)
    assert text.splitlines() == [
        "CPU 0:  0.0% user,  0.0% nice,  0.4% system, 96.1% interrupt,  3.5% idle [irq core]",
        "CPU 1: 10.0% user,  0.0% nice,  0.0% system,  0.0% interrupt, 90.0% idle",
        "",
        "  PID USERNAME   PRI NICE   SIZE    RES STATE   C   TIME    WCPU COMMAND",
        "   12 root       -92    -     0K  1024K CPU0    0 0:12.34  96.08% intr{irq256: ix0:que 0}",
        "   12 root       -92    -     0K  1024K RUN     1 0:01.00   3.50% intr{irq257: ix0:que 1}",
        "   12 root       -92    -     0K  1024K RUN     1 0:01.00   3.50% intr{swi4: clock}",
        " 1000 root       -92    -     0K  1024K RUN     1 0:01.00   3.50% tcp_server{tcp_server}",
    ]
    assert text.endswith("\n")
    assert THREAD_HEADER in text


def test_top_columns_up_to_state_align_with_header():
    row = format_top([], [_thread(11, 100.0, "idle{idle: cpu1}", state="CPU1")]).splitlines()[-1]
    header = THREAD_HEADER
    # right-aligned PID/PRI/NICE/SIZE/RES end where their titles end; STATE starts where its title starts
    for title, value in (("PID", "11"), ("PRI", "-92"), ("NICE", "-"), ("SIZE", "0K"), ("RES", "1024K")):
        end = header.index(title) + len(title)
        assert row[:end].endswith(value), title
    assert row[header.index("STATE"):].startswith("CPU1")
    assert row[header.index("USERNAME"):].startswith("root")
    assert row.endswith("100.00% idle{idle: cpu1}")


# --- pmcstat -G ---------------------------------------------------------------------------------------------

K = "/boot/kernel/kernel"

# 1000 samples.  __rw_wlock_hard: 600 (594 via tcp_input, 4 via kern_accept, 2 via sofree -> 0.33% omitted);
# tcp_do_segment: 393; user-space serve: 5 (0.50%, kept); bzero: 2 (0.20%, omitted at top level).
SMALL = {
    ("ithread_loop", "ip_input", "tcp_input", "__rw_wlock_hard"): 594,
    ("amd64_syscall", "kern_accept", "__rw_wlock_hard"): 4,
    ("amd64_syscall", "sofree", "__rw_wlock_hard"): 2,
    ("ithread_loop", "ip_input", "tcp_input", "tcp_do_segment"): 393,
    ("user:main", "user:serve"): 5,
    ("ithread_loop", "bzero"): 2,
}


def test_callgraph_exact_text():
    text = format_callgraph(SMALL, title="CPU_CLK_UNHALTED_CORE", max_depth=2)
    assert text == (
        "@ CPU_CLK_UNHALTED_CORE [1000 samples]\n"
        "\n"
        f"60.00%  [600]      __rw_wlock_hard @ {K}\n"
        " 99.00%  [594]       tcp_input\n"
        "  100.0%  [594]        ip_input\n"
        " 00.67%  [4]         kern_accept\n"
        "  100.0%  [4]          amd64_syscall\n"
        "\n"
        f"39.30%  [393]      tcp_do_segment @ {K}\n"
        " 100.0%  [393]       tcp_input\n"
        "  100.0%  [393]        ip_input\n"
        "\n"
        "00.50%  [5]        serve @ /usr/local/bin/tcp_server\n"
        " 100.0%  [5]         main\n"
        "\n"
    )


def test_callgraph_depth_and_threshold():
    text = format_callgraph(SMALL, max_depth=3, threshold=0.0)
    assert "   100.0%  [594]         ithread_loop\n" in text  # third caller level
    assert " 00.33%  [2]         sofree\n" in text
    assert f"00.20%  [2]        bzero @ {K}\n" in text
    shallow = format_callgraph(SMALL, max_depth=0)
    assert "tcp_input" not in shallow
    # a higher threshold drops the small leaves and callers
    high = format_callgraph(SMALL, threshold=1.0)
    assert "serve" not in high and "kern_accept" not in high and "tcp_do_segment" in high


def test_callgraph_article_numbers():
    samples = {
        ("ithread_loop", "ip_input", "tcp_input", "__rw_wlock_hard"): 255_052,
        ("amd64_syscall", "kern_accept", "__rw_wlock_hard"): 2_545,
        ("amd64_syscall", "sched_idletd"): 397_400 - 257_597,
    }
    lines = format_callgraph(samples).splitlines()
    assert f"64.82%  [257597]   __rw_wlock_hard @ {K}" in lines
    assert " 99.01%  [255052]    tcp_input" in lines
    assert "  100.0%  [255052]     ip_input" in lines
    assert " 00.99%  [2545]      kern_accept" in lines


def test_callgraph_user_caller_of_kernel_leaf_names_its_image():
    samples = {("user:main", "user:serve", "amd64_syscall", "kern_accept"): 10}
    lines = format_callgraph(samples, title="x").splitlines()
    assert lines[:6] == [
        "@ x [10 samples]",
        "",
        f"100.0%  [10]       kern_accept @ {K}",
        " 100.0%  [10]        amd64_syscall",
        "  100.0%  [10]         serve @ /usr/local/bin/tcp_server",
        "   100.0%  [10]          main",
    ]


def test_callgraph_empty():
    assert format_callgraph({}, title="x") == "@ x [0 samples]\n\n"
    assert callgraph_tree({}) == []


def test_callgraph_tree():
    tree = callgraph_tree(SMALL, max_depth=1)
    assert [n["function"] for n in tree] == ["__rw_wlock_hard", "tcp_do_segment", "user:serve", "bzero"]
    top = tree[0]
    assert top["samples"] == 600 and top["percent"] == pytest.approx(60.0)
    assert [(c["function"], c["samples"]) for c in top["callers"]] == [
        ("tcp_input", 594), ("kern_accept", 4), ("sofree", 2),
    ]
    assert top["callers"][0]["percent"] == pytest.approx(99.0)
    assert top["callers"][0]["callers"] == []  # max_depth=1


def test_leaf_share_and_caller_share():
    assert leaf_share(SMALL, "__rw_wlock_hard") == pytest.approx(0.6)
    assert leaf_share(SMALL, "user:serve") == pytest.approx(0.005)
    assert leaf_share(SMALL, "tcp_input") == 0.0  # never a leaf
    assert leaf_share({}, "x") == 0.0
    assert caller_share(SMALL, "__rw_wlock_hard", "tcp_input") == pytest.approx(0.99)
    assert caller_share(SMALL, "__rw_wlock_hard", "kern_accept") == pytest.approx(4 / 600)
    assert caller_share(SMALL, "__rw_wlock_hard", "ip_input") == 0.0  # not the immediate caller
    assert caller_share(SMALL, "nope", "tcp_input") == 0.0
    assert caller_share({("solo",): 3}, "solo", "x") == 0.0


def test_bad_samples():
    with pytest.raises(ValueError):
        format_callgraph({(): 1})
    with pytest.raises(ValueError):
        leaf_share({("a",): -1}, "a")
