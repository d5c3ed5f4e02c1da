"""The lock microbenchmark as model data (issue #16, item 4): N threads, each pinned on its own CPU, loop
think -> acquire one lock -> critical section -> release, and nothing else runs: no clients, no NIC traffic, no
interrupt, task, accept, worker or callout thread.

It is a workload of the same model the TCP one is: a thread program (``programs.Think`` then ``Run``), a path
(``lockbench``: Acquire, Work, Release) and one lock declaration, interpreted by both engines like any other.
The workload selector is ``Model.bench``: when it is set, ``threads.thread_specs`` makes the bench threads
(``threads.bench_threads``)
instead of the test bed's, and the clients are a closed loop of no clients with no TIME-WAIT prefill, so the
engines start no arrival and prefill nothing -- they need no mode of their own.

The lock's class is passed through to the engines as declared (``lockclasses.CLASSES``): how its waiters wait
and what a hand-off costs is the lock code's business, never this module's.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import TcpsimError, did_you_mean
from . import lockclasses
from .locks import LockDecl
from .programs import Loop, Run, Think
from .steps import DISTRIBUTIONS, READ, WRITE, Acquire, Path, Release, Work
from .system import AppSpec, ClientSpec

LOCK = "bench"  # the lock's name in the path
PATH = "lockbench"
SITE = "lockbench.c:1"  # its one acquisition site (the benchmark's own source has one lock call)
THINK, CRITICAL = "bench_think", "bench_critical_section"  # the model's costs (ns) holding the two means
MODES = (WRITE, READ)
# Which lock kinds a mode can be taken on, preferred first: a write (exclusive) acquisition on a mutex where the
# class has one, else on the write side of a reader-writer lock; a read acquisition only on a reader-writer lock.
MODE_KINDS = {WRITE: ("mtx", "rw"), READ: ("rw",)}
# How LOCK_PROFILING prints a lock's class (lock_class's lc_name); a class it does not know prints its own name
DISPLAY_CLASS = {("mtx", "adaptive"): "sleep mutex", ("mtx", "spin"): "spin mutex", ("rw", "adaptive"): "rw"}
PID, PRI = 2000, 52  # one user process (as top shows it), at the timeshare priority of the article's workers
# A closed loop of no clients: no connection ever starts, so no frame reaches the NIC and nothing is answered
NO_CLIENTS = ClientSpec("closed", 0.0, 0, 0.0, 0.0, 0, 0, 1, "192.0.2.1", 53, 1000.0, 200.0, 0)


@dataclass(frozen=True)
class BenchSpec:
    """What the bench threads do; the think and critical-section means are the model's costs THINK and CRITICAL."""

    cpus: tuple  # one thread per entry, pinned on that CPU
    cls: str  # lockclasses.CLASSES
    kind: str  # "mtx" or "rw" (kind_for)
    mode: str  # W or R
    think_dist: str = "exponential"  # steps.DISTRIBUTIONS
    cs_dist: str = "exponential"


def classes_for(mode: str) -> list[str]:
    """The lock classes a bench in ``mode`` can use: those with a kind the mode can be taken on."""
    return [name for name, c in lockclasses.CLASSES.items() if set(c.kinds) & set(MODE_KINDS[mode])]


def kind_for(cls: str, mode: str) -> str:
    """The lock kind a bench of class ``cls`` in ``mode`` declares (MODE_KINDS), or a one-line error."""
    if mode not in MODES:
        raise TcpsimError(f"--mode {mode}: unknown lock mode; allowed: {', '.join(MODES)}")
    if cls not in lockclasses.CLASSES:
        raise TcpsimError(f"--classes {cls}: unknown lock class{did_you_mean(cls, lockclasses.CLASSES)}; allowed: "
                          f"{', '.join(lockclasses.CLASSES)}")
    kinds = [k for k in MODE_KINDS[mode] if k in lockclasses.CLASSES[cls].kinds]
    if not kinds:
        raise TcpsimError(f"--classes {cls}: class {cls!r} implements {', '.join(lockclasses.CLASSES[cls].kinds)} "
                          f"locks, and mode {mode} needs {' or '.join(MODE_KINDS[mode])}; allowed with --mode {mode}: "
                          f"{', '.join(classes_for(mode))}")
    return kinds[0]


def lock_decl(spec: BenchSpec) -> LockDecl:
    display = DISPLAY_CLASS.get((spec.kind, spec.cls), spec.cls)
    return LockDecl(LOCK, spec.kind, f"{display}:{LOCK}", "global", cls=spec.cls)


def path(spec: BenchSpec) -> Path:
    return Path(PATH, "syscall", ("lockbench_loop",), (
        Acquire(LOCK, spec.mode, SITE, ()),
        Work(("lockbench_critical_section",), CRITICAL, dist=spec.cs_dist),
        Release(LOCK),
    ))


def program(spec: BenchSpec) -> tuple:
    return (Loop((Think(THINK, spec.think_dist), Run(PATH))),)


def bench_model(base, spec: BenchSpec, think_ns: int, cs_ns: int):
    """``base`` (a Model of the machine: hardware, costs, run window, the kernel's paths and locks) turned into the
    microbenchmark: the bench threads, path, lock and means, no clients, no TIME-WAIT prefill, no NIC queue thread
    or application thread. The kernel's own paths and locks stay declared (the engines' tables expect them) but
    nothing runs them."""
    for name, dist in (("think", spec.think_dist), ("critical section", spec.cs_dist)):
        if dist not in DISTRIBUTIONS:
            raise TcpsimError(f"--distribution {dist}: unknown {name} distribution{did_you_mean(dist, DISTRIBUTIONS)}; "
                              f"allowed: {', '.join(DISTRIBUTIONS)}")
    if int(think_ns) + int(cs_ns) <= 0:  # a loop that takes no time would never let the clock move
        raise TcpsimError(f"lock bench: think {think_ns} ns and critical section {cs_ns} ns; allowed: a mean of at "
                          "least 1 ns for one of them")
    cpus = base.hardware.cpus
    if not spec.cpus or len(set(spec.cpus)) != len(spec.cpus) or not all(0 <= c < cpus for c in spec.cpus):
        raise TcpsimError(f"--threads: {len(spec.cpus)} threads on CPUs {list(spec.cpus)}; allowed: 1 to {cpus} "
                          f"threads on distinct CPUs 0 to {cpus - 1}")
    if LOCK in base.locks or PATH in base.paths:
        raise TcpsimError(f"the kernel already declares {LOCK!r} or {PATH!r}; allowed: a kernel without them")
    return replace(
        base, bench=spec,
        hardware=replace(base.hardware, queue_cpus=()),  # the NIC's queue is there, with no thread and no traffic
        kernel=replace(base.kernel, timewait_prefill=False),
        app=AppSpec(cpus - 1, (), "none"), clients=NO_CLIENTS,
        paths={**base.paths, PATH: path(spec)},
        locks={**base.locks, LOCK: lock_decl(spec)},
        costs={**base.costs, THINK: int(think_ns), CRITICAL: int(cs_ns)},
    )
