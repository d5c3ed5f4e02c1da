"""Static checks of a variant's paths, made when the variant is built: every path, on every branch, releases
what it takes, releases only what it holds, recurses only on recursive locks, and holds what its assertions
say it holds.

FreeBSD finds these at run time, one per boot: WITNESS panics a thread "returning with the following locks
held", rw_assert / mtx_assert panic on an unheld or wrongly held lock, a non-recursive lock taken twice
panics as "recursed on non-recursive". Here the paths are data, so every branch is walked before anything
runs: a try-lock that succeeds and one that fails (its fallback, then the rest of the path), a When block
taken (twice when it repeats, so a block that keeps what it takes is caught) and skipped. A Stop ends the
path and an aborting action ends it too, both releasing everything the thread holds (the engines do), so
neither is "returning with locks held". Lock names are what is tracked, as the paths name them.
"""
from __future__ import annotations

from dataclasses import dataclass

from .patches import PatchError, anchor_of
from .kernel_state import GIVES_CONNECTION, NEEDS_NO_CONNECTION, ON_LISTEN_SOCKET
from .programs import CONNECTIONLESS
from .steps import ANY, READ, WRITE, Acquire, Act, Assert, Release, Retire, Stop, TryAcquire, When, walk


@dataclass(frozen=True)
class Hold:
    lock: str
    mode: str
    site: str


PER_CONNECTION = ("connection", "bucket", "group")  # lock scopes resolved through the path's connection


def check(paths: dict, locks: dict, who: str, connectionless: frozenset = CONNECTIONLESS) -> None:
    """Raise PatchError (one line naming ``who``, the path and the site) for the first broken rule.
    ``connectionless``: the paths the kernel's threads run with no connection (its package's)."""
    for name in sorted(paths):
        _connection_first(paths[name], locks, who)
        _no_connection(paths[name], locks, who, connectionless)
        _walk(tuple(paths[name].steps), (), paths[name], locks, who, ())


def _connection_first(path, locks, who):
    """A path whose connection comes from an action (accept: accept_dequeue) may not, before that action, lock
    the connection, act on it or stop (found by the fuzzer: the engine would use no connection)."""
    steps = list(walk(path.steps))
    gives = next((k for k, s in enumerate(steps) if isinstance(s, Act) and s.name in GIVES_CONNECTION), None)
    if gives is None:
        return
    for s in steps[:gives]:
        if isinstance(s, (Acquire, TryAcquire)) and locks[s.lock].scope in PER_CONNECTION:
            what = f"takes {_name(locks, s.lock)} at {s.site}"
        elif isinstance(s, Act) and s.name not in ON_LISTEN_SOCKET:
            what = f"runs act:{s.name}"
        elif isinstance(s, Stop):
            what = "may stop"
        else:
            continue
        _fail(who, path, (), f"{what} before act:{steps[gives].name} gives the path its connection; allowed: "
              "connection locks, actions and stops after it")


def _no_connection(path, locks, who, connectionless):
    """A path run with no connection (``connectionless``: the driver's per-pass and per-frame work, the
    callout) may not lock or act on one, nor take a listen socket's lock (such a thread has no socket of its
    own either) -- found by the fuzzer: the engines had none to use."""
    if path.name not in connectionless:
        return
    for s in walk(path.steps):
        if isinstance(s, (Acquire, TryAcquire)) and locks[s.lock].scope in PER_CONNECTION + ("listen",):
            what = f"takes {_name(locks, s.lock)} at {s.site}"
        elif isinstance(s, Act) and s.name not in NEEDS_NO_CONNECTION:
            what = f"runs act:{s.name}"
        else:
            continue
        _fail(who, path, (), f"runs with no connection (the driver's per-pass or per-frame work, or a callout), yet "
              f"{what}; allowed: global and TIME-WAIT locks, act:{', act:'.join(NEEDS_NO_CONNECTION)}")


def _walk(steps, held, path, locks, who, branch):
    """``held``: the holds in acquisition order; ``branch``: the choices that led here (for the message)."""
    for k, step in enumerate(steps):
        rest = steps[k + 1:]
        if isinstance(step, (Acquire, TryAcquire)):
            if isinstance(step, TryAcquire):  # the try fails: its fallback runs, then the rest of the path
                _walk(tuple(step.on_fail) + rest, held, path, locks, who,
                      branch + (f"if the try-lock at {step.site} fails",))
            if isinstance(step, TryAcquire) and step.mode == READ and locks[step.lock].cls == "epoch":
                _fail(who, path, branch, f"tries {_name(locks, step.lock)} R at {step.site}, an epoch lock's read "
                      "section, which takes nothing and cannot fail; allowed: an acquire")
            if step.mode == READ and locks[step.lock].kind == "mtx":  # found by the fuzzer
                _fail(who, path, branch, f"takes {_name(locks, step.lock)} R at {step.site}; allowed: W (a mutex has "
                      "no read mode)")
            mine = [h for h in held if h.lock == step.lock]
            if mine and locks[step.lock].scope == "timewait":  # found by the fuzzer (tests/test_fuzz.py)
                _fail(who, path, branch, f"takes {_name(locks, step.lock)} at {step.site} while holding it since "
                      f"{mine[0].site}; allowed: one hold of a 'timewait' lock per path (it names the entry at the "
                      "list head when first taken: taken again, it would name the next one)")
            if mine and not locks[step.lock].recursive:
                _fail(who, path, branch, f"takes {_name(locks, step.lock)} at {step.site} while holding it since "
                      f"{mine[0].site}; allowed: recursion only on a lock declared recursive (recursive = true)")
            held = held + (Hold(step.lock, step.mode, step.site),)
            if isinstance(step, TryAcquire) and step.locked is not None:  # success runs the locked block first
                _walk(tuple(step.locked) + rest, held, path, locks, who,
                      branch + (f"if the try-lock at {step.site} succeeds",))
                return
        elif isinstance(step, Release):
            idx = next((i for i in range(len(held) - 1, -1, -1) if held[i].lock == step.lock), None)
            if idx is None:
                _fail(who, path, branch, f"{anchor_of(path, step)} releases {_name(locks, step.lock)}, which it does "
                      "not hold here; allowed: release a lock the path took")
            held = held[:idx] + held[idx + 1:]
        elif isinstance(step, When):
            taken = tuple(step.steps) * (2 if step.repeat else 1)
            _walk(taken + rest, held, path, locks, who, branch + (f"if {step.condition}",))
        elif isinstance(step, Assert):
            _check_assert(step, held, path, locks, who, branch)
        elif isinstance(step, Retire) and (locks[step.lock].cls != "epoch" or locks[step.lock].scope != "global"):
            _fail(who, path, branch, f"retires an object to {_name(locks, step.lock)}, a {locks[step.lock].scope} "
                  f"lock of class {locks[step.lock].cls!r}; allowed: retire to a global epoch-class lock (its grace "
                  "period is one lock's readers')")
        elif isinstance(step, Stop):
            return  # ends the path releasing what it holds
    if held:
        h = held[-1]
        listed = ", ".join(f"{_name(locks, x.lock)} ({x.mode}) @ {x.site}" for x in reversed(held))
        _fail(who, path, branch, f"returns with the following locks held: {listed}; allowed: a release of "
              f"{h.lock!r} after {h.site} on every branch")


def _check_assert(step, held, path, locks, who, branch):
    mine = [h for h in held if h.lock == step.lock]
    ok = (step.mode == ANY and mine) or (step.mode == WRITE and any(h.mode == WRITE for h in mine)) or \
         (step.mode == READ and mine and all(h.mode == READ for h in mine))
    if ok:
        return
    have = "not held" if not mine else f"held {mine[0].mode} since {mine[0].site}"
    want = {WRITE: "write-locked", READ: "read-locked", ANY: "locked"}[step.mode]
    what = f" ({step.what})" if step.what else ""
    _fail(who, path, branch, f"the assertion at {step.site}{what} needs {_name(locks, step.lock)} {want}, "
          f"but it is {have}; "
          f"allowed: keep the lock, or patch the assertion too ({{op = \"assert\", site = \"{step.site}\", "
          "mode = ...}, citing the change that moved it)")


def _name(locks, lock):
    decl = locks.get(lock)
    return f"{decl.display} ({lock!r})" if decl and decl.display.split(":")[-1] != lock else \
        (decl.display if decl else repr(lock))


def _fail(who, path, branch, problem):
    when = f" ({'; '.join(branch)})" if branch else ""
    raise PatchError(f"{who}: path {path.name!r}{when}: {problem}")
