"""The machine's CPU topology: which socket, core and hardware thread each CPU id is, and how far apart two CPUs
are for a cache line moving between them. The one home of this arithmetic: the scenario checks, both engines'
lock timing (engines/simpy_locks.py, cython_core/fast/locks.pxi through ``transfer_table``) use it.

CPU numbering (``[hardware] cpu_numbering``):

- ``freebsd``: SMT siblings next to each other. FreeBSD 10.0's ``assign_cpu_ids()`` (sys/amd64/amd64/mp_machdep.c)
  walks the local APIC ids upwards from the boot CPU's and gives each present one the next CPU id, "such that all
  threads and cores in a package are grouped together"; the same function marks APIC id i a hyperthread when
  ``i % hyperthreading_cpus != 0``: the SMT id is the APIC id's lowest bits (then the core, then the package), so
  the threads of a core get consecutive CPU ids, then the cores of a socket, then the next socket.
- ``linux``: siblings apart. Linux numbers the first thread of every core (socket by socket) first, then the
  second threads: cpu i and i + cores * sockets are siblings.

SMT execution sharing (``smt_permille``): the hardware threads of one core share its execution resources, so a
run of work steps takes longer while another thread of the same core is busy. The rule, which both engines apply
identically:

- a thread decides once per time advance, at its start (the first work step of a run of consecutive work steps,
  which both engines merge into one advance), from the state of its core's other hardware threads at that
  instant; the whole advance runs at that speed even if a sibling starts or stops meanwhile (a finer rule would
  need an event whenever a sibling changes state, which neither engine has);
- every sibling that is running (a thread on it, switched in, not spinning on a lock) adds
  ``smt_sibling_busy - 1`` to the factor, every sibling spinning on a lock adds ``smt_sibling_spinning - 1``
  (FreeBSD 10.0's adaptive spin loops call cpu_spinwait(), the PAUSE instruction on amd64, which leaves the
  core's shared resources mostly to the other thread), an idle sibling nothing;
- only work steps (the costs file's [cpu] costs) stretch: a context switch, a lock word's line transfer and the
  spinning itself are waits on something else, and keep their times;
- the factor is kept in thousandths and applied as ``ns * permille // 1000`` (integer arithmetic, the same in
  Python and C); on a machine with one thread per core it is never computed, so those runs are unchanged.
"""
from __future__ import annotations

SAME_CORE, SAME_SOCKET, OTHER_SOCKET = "same_core", "same_socket", "other_socket"
NUMBERINGS = ("freebsd", "linux")

# the costs-file constant a line transfer at each distance pays (lock_line_transfer: the calibrated same-socket one)
TRANSFER_COST = {SAME_CORE: "line_transfer_same_core", SAME_SOCKET: "lock_line_transfer",
                 OTHER_SOCKET: "line_transfer_other_socket"}


# the costs-file constants of SMT execution sharing (see the module's docstring)
SMT_COSTS = ("smt_sibling_busy", "smt_sibling_spinning")


def transfer_costs(sockets: int, threads_per_core: int) -> tuple[str, ...]:
    """The costs-file constants a machine of this shape charges (a flat machine: lock_line_transfer alone)."""
    return ((TRANSFER_COST[SAME_SOCKET],) + ((TRANSFER_COST[SAME_CORE],) if threads_per_core > 1 else ())
            + ((TRANSFER_COST[OTHER_SOCKET],) if sockets > 1 else ()))


def cores_per_socket(cpus: int, sockets: int, threads_per_core: int) -> int | None:
    """cpus / sockets / threads_per_core, or None when it does not divide (the scenario check reports that)."""
    if cpus % (sockets * threads_per_core):
        return None
    return cpus // (sockets * threads_per_core)


def place(cpu: int, hw) -> tuple[int, int, int]:
    """(socket, core within the socket, hardware thread within the core) of CPU id ``cpu`` on ``hw`` (a
    Hardware: cpus, sockets, threads_per_core, cpu_numbering)."""
    cores = cores_per_socket(hw.cpus, hw.sockets, hw.threads_per_core)
    if hw.cpu_numbering == "freebsd":  # thread fastest, then core, then socket
        thread, rest = cpu % hw.threads_per_core, cpu // hw.threads_per_core
        return rest // cores, rest % cores, thread
    # linux: every core's first thread, socket by socket, then every core's second thread, ...
    thread, rest = divmod(cpu, cores * hw.sockets)
    return rest // cores, rest % cores, thread


def distance(a: int, b: int, hw) -> str:
    """How far a cache line travels from CPU ``a`` to CPU ``b``: same_core (SMT siblings, or the same CPU),
    same_socket or other_socket."""
    sa, ca, _ = place(a, hw)
    sb, cb, _ = place(b, hw)
    if sa != sb:
        return OTHER_SOCKET
    return SAME_CORE if ca == cb else SAME_SOCKET


def transfer_table(hw, costs: dict) -> list[list[int]]:
    """[from cpu][to cpu] -> ns a lock word's line takes to move. On a flat machine (one socket, one thread per
    core) every entry is lock_line_transfer, so its runs are the calibrated ones bit for bit. The diagonal is
    never charged (a line already on the CPU does not move): it holds lock_line_transfer for uniformity."""
    n = hw.cpus
    return [[int(costs[TRANSFER_COST[SAME_SOCKET if a == b else distance(a, b, hw)]]) for b in range(n)]
            for a in range(n)]


def smt_costs(threads_per_core: int) -> tuple[str, ...]:
    """The costs-file constants SMT execution sharing needs (none without SMT)."""
    return SMT_COSTS if threads_per_core > 1 else ()


def siblings(hw) -> list[tuple[int, ...]] | None:
    """[cpu] -> the other hardware threads of its core; None on a machine with one thread per core (no sharing)."""
    if hw.threads_per_core == 1:
        return None
    core = {}
    for cpu in range(hw.cpus):
        core.setdefault(place(cpu, hw)[:2], []).append(cpu)
    return [tuple(c for c in core[place(cpu, hw)[:2]] if c != cpu) for cpu in range(hw.cpus)]


def smt_extra(costs: dict) -> tuple[int, int]:
    """(busy, spinning): the thousandths one running and one spinning sibling add to a work step's time."""
    return tuple(int(round((float(costs[name]) - 1.0) * 1000)) for name in SMT_COSTS)


def smt_permille(sibling_states, busy_extra: int, spin_extra: int) -> int:
    """A work advance's time in thousandths of its costs, from the states of its core's other hardware threads
    (each None: idle, "run" or "spin"). The fast engine mirrors this in cython_core/fast/engine.pxi."""
    pm = 1000
    for state in sibling_states:
        if state == "run":
            pm += busy_extra
        elif state == "spin":
            pm += spin_extra
    return pm
