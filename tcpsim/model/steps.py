"""The vocabulary kernel paths are written in.

A path is a tuple of steps executed in order by one thread. Steps are plain frozen data so that a locking
variant can be a patch (replace a lock mode, drop an acquisition, add a lock) and so that both engines can
lower the same declarations. Nothing here knows about FreeBSD; ``paths.py`` does.

Call stacks: every step carries ``frames``, the functions between the path's base stack and the work being done
(outermost first). Profiles therefore read like ``pmcstat -G``: spinning at an acquisition shows up as
``__rw_wlock_hard`` under the frames of the step that asked for the lock.
"""
from __future__ import annotations

from dataclasses import dataclass, field

READ = "R"
WRITE = "W"
MODES = (READ, WRITE)
ANY = "any"
ASSERT_MODES = (WRITE, READ, ANY)  # rw_assert's RA_WLOCKED, RA_RLOCKED, RA_LOCKED (mtx_assert's MA_OWNED is W)
# How long a piece of CPU work takes: exactly its cost ("constant"), or drawn around it ("exponential": a mean).
# The kernel paths are all constant; the lock microbenchmark (model/bench.py) draws its think and critical
# section times. Draws come from the "think" stream (rng.Stream), one per piece of work, in event order.
DISTRIBUTIONS = ("constant", "exponential")


@dataclass(frozen=True)
class Work:
    """CPU work: ``cost`` names an entry of the costs file (nanoseconds); ``frames`` is the call stack."""

    frames: tuple[str, ...]
    cost: str
    user: bool = False  # user-mode time (the application's own code) rather than kernel time
    dist: str = "constant"  # DISTRIBUTIONS: the cost is the duration, or the mean of an exponential draw


def draw_ns(mean_ns: int, dist: str, stream) -> int:
    """The duration of one piece of work of ``mean_ns`` (DISTRIBUTIONS), drawn from ``stream`` when random: an
    exponential draw truncated to whole ns, one draw per piece (none for constant work or a zero mean). The fast
    engine's ``work_ns`` computes the same expression in C, draw for draw."""
    if dist == "exponential" and mean_ns:
        return int(stream.expovariate(1.0 / mean_ns))
    return mean_ns


@dataclass(frozen=True)
class Acquire:
    """Take ``lock`` (a name declared in ``locks.py``) in ``mode`` at ``site`` (``file:line``)."""

    lock: str
    mode: str
    site: str
    frames: tuple[str, ...]


@dataclass(frozen=True)
class TryAcquire:
    """Try-lock: on success continue; on failure run ``on_fail`` (which usually blocks for the lock).

    With ``locked`` (a block that ends by releasing the lock), the try-lock is an ``if (TRYLOCK) ... else ...``
    of the source: on success ``locked`` runs, on failure ``on_fail``, and either way the path goes on after
    the step without the lock (ixgbe_mq_start: drain the ring under its TX mutex, or defer to the queue's task).
    """

    lock: str
    mode: str
    site: str
    frames: tuple[str, ...]
    on_fail: tuple = ()
    locked: tuple | None = None


@dataclass(frozen=True)
class Release:
    lock: str
    frames: tuple[str, ...] = ()


@dataclass(frozen=True)
class Act:
    """A semantic action on kernel or connection state (``kernel_state.py`` implements each name).

    An action may return ``False`` to abort the path (e.g. the listen queue is full): the engine then releases
    everything the thread holds, in reverse order, and counts a drop with ``abort_reason``.
    """

    name: str
    arg: str = ""
    abort_reason: str = ""


@dataclass(frozen=True)
class When:
    """Run ``steps`` if the named condition (``kernel_state.py``) holds; with ``repeat``, while it holds."""

    condition: str
    steps: tuple = ()
    repeat: bool = False


@dataclass(frozen=True)
class Assert:
    """A lock assertion of the source (INP_INFO_WLOCK_ASSERT, INP_HASH_WLOCK_ASSERT, ACCEPT_LOCK_ASSERT...):
    ``lock`` is held here in ``mode`` -- W (write-held), R (read-held, as rw_assert(RA_RLOCKED): a write hold
    does not do) or any -- as the function at ``site`` (``file:line`` of the assertion) requires.

    Checked when a variant is built (``checks.py``): a variant that drops or weakens the lock must also patch
    the assertion. Nothing happens at run time: ``executable`` strips assertions before an engine sees a path.
    """

    lock: str
    mode: str
    site: str
    what: str = ""  # the function and macro, as messages name it: "tcp_usrclosed: INP_INFO_WLOCK_ASSERT"


@dataclass(frozen=True)
class Retire:
    """Retire an object readers of ``lock`` (an ``epoch``-class lock) may still see: call_rcu / epoch_call. It
    is freed after the grace period (``rwlock.LockState.graced``); the run reports how long objects waited."""

    lock: str


@dataclass(frozen=True)
class Stop:
    """End the path here (e.g. a scan that gives up when a try-lock fails); release what it holds first."""


Step = Work | Acquire | TryAcquire | Release | Act | When | Stop | Assert | Retire


@dataclass(frozen=True)
class Path:
    """One kernel path: who runs it (``context``: interrupt, system call, callout), its base stack and steps."""

    name: str
    context: str  # "interrupt" | "syscall" | "callout"
    base: tuple[str, ...]
    steps: tuple = field(default_factory=tuple)


def walk(steps):
    """Yield every step, descending into try-lock fallbacks and conditional blocks."""
    for step in steps:
        yield step
        if isinstance(step, TryAcquire):
            yield from walk(step.on_fail)
            if step.locked is not None:
                yield from walk(step.locked)
        elif isinstance(step, When):
            yield from walk(step.steps)


def executable(path: Path) -> Path:
    """``path`` without its Assert steps (at any depth): what an engine runs."""
    def strip(steps):
        out = []
        for s in steps:
            if isinstance(s, Assert):
                continue
            if isinstance(s, TryAcquire):
                s = TryAcquire(s.lock, s.mode, s.site, s.frames, strip(s.on_fail),
                               None if s.locked is None else strip(s.locked))
            elif isinstance(s, When):
                s = When(s.condition, strip(s.steps), s.repeat)
            out.append(s)
        return tuple(out)
    return Path(path.name, path.context, path.base, strip(path.steps))
