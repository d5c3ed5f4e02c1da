"""Patches: the vocabulary a locking variant is written in, and the code that applies it to the kernel paths.

A patch is a plain dict (a TOML inline table in a scenario's ``[variant]`` section, or a dict in
``variants.py``: the built-in variants use exactly this vocabulary). Operations:

``lock``    declare a lock: ``name``, ``kind`` (rw | mtx), ``display`` ("rw:tcptw"), ``scope``
            (global | connection | listen | bucket | timewait | group | timewait_group), ``recursive``,
            ``class`` (its implementation, ``lockclasses.CLASSES``: adaptive, the default, spin, ticket, mcs,
            epoch); ``replace = true`` to redeclare an existing one (e.g. make a rwlock a mutex).
``class``   change the implementation of the declared lock ``lock`` to ``class`` (e.g. rw:tcp as an MCS lock
            needs kind mtx first; ``epoch`` makes its reads lock-free).
``mode``    ``site`` -> ``mode`` (R | W) at every acquisition at that site (or only in ``path``).
``drop``    remove the acquisition at ``site`` and its matching release (a try-lock goes with its fallback).
``relock``  make the acquisition at ``site`` (and its release, and a try-lock's fallback) take ``lock``.
``insert``  put ``steps`` ``before`` or ``after`` an anchor in ``path``.
``remove``  delete the steps ``first`` .. ``last`` (anchors, same block) from ``path``.
``move``    move the steps ``first`` .. ``last`` to ``before`` / ``after`` another anchor of ``path``.
``path``    define or replace a whole path: ``name``, ``context``, ``base`` (call stack), ``steps``.
``assert``  change the lock assertion(s) at ``site`` (in ``path`` if given): ``mode`` (W | R | any, or none to
            remove it) and/or ``lock``. A variant that drops or weakens a lock an assertion needs must patch the
            assertion too, citing the change that moved it (``checks.py`` refuses it otherwise).
``app``     change the server application: ``acceptors`` = "thread" (one accept thread handing descriptors
            to the workers; one listen socket) or "per_worker" (each worker has its own listen socket,
            accept queue and accepting loop, SO_REUSEPORT style; connections spread over them by flow hash).

Anchors name one step of a path: ``site:FILE:LINE`` (an acquisition), ``cost:NAME`` (CPU work),
``act:NAME`` or ``act:NAME:ARG`` (an action), ``release:LOCK``, ``assert:FILE:LINE``, ``when:CONDITION`` (a
conditional block, as a whole); add ``#N`` for the
N-th such step (default the first); ``start`` and ``end`` name the ends of the path. Anchors are found at any depth.

Steps (for ``insert`` and ``path``): ``{acquire = LOCK, mode, site, frames}``, ``{try = LOCK, mode, site,
frames, on_fail = [...], locked = [...]}`` (with ``locked``: an if-trylock, the block run holding the lock,
ending with its release), ``{release = LOCK}``, ``{work = COST, frames, user}``, ``{act = NAME, arg,
abort_reason}``, ``{when = CONDITION, repeat, steps = [...]}``, ``{stop = true}`` (ends the path, releasing
what it holds), ``{retire = LOCK}`` (hand an object to an epoch lock's grace period: call_rcu, epoch_call), ``{assert = LOCK, mode, site, what}`` (mode W | R | any; costs nothing at run time).
A ``path`` op replaces a path the engines run (by name) with exactly the steps given, assertions included.

After each variant is applied, ``checks.py`` walks every path: a path that returns holding a lock, releases
one it does not hold, recurses on a non-recursive lock or breaks an assertion is refused.

Every mistake raises ``PatchError`` with a one-line message naming the patch; a patch whose site or anchor no
longer exists (e.g. after an earlier patch removed it) is an error, never a silent no-op.
"""
from __future__ import annotations

import re
from dataclasses import replace

from ..errors import TcpsimError, did_you_mean
from .kernel_state import ABORTING_ACTIONS, ACTIONS, CONDITIONS, DEFERRING_ACTIONS
from .lockclasses import CLASSES
from .locks import LockDecl
from .steps import (ASSERT_MODES, MODES, Acquire, Act, Assert, Path, Release, Retire, Stop, TryAcquire, When, Work,
                    walk)

SCOPES = ("global", "connection", "listen", "bucket", "timewait", "group", "timewait_group", "txring")
# listen: one per listen socket (the socket of the connection, or the accepting thread's own)
CONTEXTS = ("interrupt", "syscall", "callout")


class PatchError(TcpsimError):
    """A variant that cannot be built. ``variant`` and ``patch`` (its number, from 1) say whose patch failed,
    so that a scenario file can point at the line of that patch; both None for a composition error."""

    def __init__(self, message, variant=None, patch=None):
        super().__init__(message)
        self.variant, self.patch = variant, patch


OPS = {
    "lock": ({"name", "kind", "display", "scope"}, {"recursive", "replace", "class"}),
    "class": ({"lock", "class"}, set()),
    "mode": ({"site", "mode"}, {"path"}),
    "drop": ({"site"}, {"path"}),
    "relock": ({"site", "lock"}, {"path"}),
    "insert": ({"path", "steps"}, {"before", "after"}),
    "remove": ({"path", "first", "last"}, set()),
    "move": ({"path", "first", "last"}, {"before", "after"}),
    "path": ({"name", "context", "base", "steps"}, set()),
    "app": (set(), {"acceptors"}),
    "assert": ({"site"}, {"mode", "lock", "path"}),
}
APP_OPTIONS = {"acceptors": ("thread", "per_worker")}
# every op key is a string except these (checked before an op runs, so a wrong type is one line, not a crash)
KEY_TYPES = {"recursive": (bool, "true or false"), "replace": (bool, "true or false"),
             "steps": (list, "a list of step tables"), "base": (list, "a list of function names")}


def apply(paths: dict, locks: dict, patches, who: str, options: dict | None = None) -> tuple[dict, dict, dict]:
    """Apply ``patches`` in order to copies of ``paths``, ``locks`` and the application ``options``;
    ``who`` names them in errors."""
    paths, locks, options = dict(paths), dict(locks), dict(options or {})
    for i, p in enumerate(patches, 1):
        try:
            _apply_one(paths, locks, options, p, f"{who} patch {i}")
        except PatchError as e:
            e.patch = e.patch or i
            raise
    return paths, locks, options


def _apply_one(paths, locks, options, p, where):
    if not isinstance(p, dict) or not isinstance(p.get("op"), str):
        raise PatchError(f"{where}: a patch is a table with an 'op'; allowed ops: {', '.join(OPS)}")
    op = p["op"]
    if op not in OPS:
        raise PatchError(f"{where}: unknown op {op!r}{did_you_mean(op, OPS)}; allowed: {', '.join(OPS)}")
    where = f"{where} ({op})"
    required, optional = OPS[op]
    keys = set(p) - {"op"}
    if required - keys:
        raise PatchError(f"{where}: missing {', '.join(sorted(required - keys))}; allowed: {op} takes "
                         f"{', '.join(sorted(required))}" + (f" and optionally {', '.join(sorted(optional))}"
                                                             if optional else ""))
    if keys - required - optional:
        extra = sorted(keys - required - optional)[0]
        raise PatchError(f"{where}: unknown key {extra!r}{did_you_mean(extra, required | optional)}; "
                         f"allowed: {', '.join(sorted(required | optional))}")
    for key in keys:
        t, allowed = KEY_TYPES.get(key, (str, "a string"))
        if not isinstance(p[key], t):
            raise PatchError(f"{where}: {key} {p[key]!r}; allowed: {allowed}")
    if op == "app":
        for key in keys:
            if p[key] not in APP_OPTIONS[key]:
                raise PatchError(f"{where}: {key} {p[key]!r}; allowed: {', '.join(APP_OPTIONS[key])}")
            options[key] = p[key]
        return
    _OPS[op](paths, locks, p, where)
    _check_locks(paths, locks, where)


# --- operations -----------------------------------------------------------------------------------------------
def _op_lock(paths, locks, p, where):
    name = p["name"]
    if name in locks and not p.get("replace", False):
        raise PatchError(f"{where}: lock {name!r} already exists; add replace = true to redeclare it")
    if p["kind"] not in ("rw", "mtx"):
        raise PatchError(f"{where}: kind {p['kind']!r}; allowed: rw, mtx")
    if p["scope"] not in SCOPES:
        raise PatchError(f"{where}: scope {p['scope']!r}; allowed: {', '.join(SCOPES)}")
    display = p["display"]
    if ":" not in display:
        raise PatchError(f"{where}: display {display!r} must read class:name, e.g. 'rw:tcptw'")
    cls = p.get("class", "adaptive")
    _check_class(cls, p["kind"], where)
    locks[name] = LockDecl(name, p["kind"], display, p["scope"], bool(p.get("recursive", False)), cls)


def _op_class(paths, locks, p, where):
    name = p["lock"]
    if name not in locks:
        raise PatchError(f"{where}: lock {name!r} is not declared{did_you_mean(name, locks)}; "
                         f"locks: {', '.join(sorted(locks))}")
    _check_class(p["class"], locks[name].kind, where)
    locks[name] = replace(locks[name], cls=p["class"])


def _check_class(cls, kind, where):
    if cls not in CLASSES:
        raise PatchError(f"{where}: class {cls!r}{did_you_mean(cls, CLASSES)}; allowed: {', '.join(CLASSES)}")
    if kind not in CLASSES[cls].kinds:
        fits = ", ".join(c for c, d in CLASSES.items() if kind in d.kinds)
        raise PatchError(f"{where}: class {cls!r} does not implement a {kind} lock (it is "
                         f"{' or '.join(CLASSES[cls].kinds)} only); allowed for {kind}: {fits}")


def _op_mode(paths, locks, p, where):
    mode = p["mode"]
    if mode not in MODES:
        raise PatchError(f"{where}: mode {mode!r}; allowed: R, W")

    def edit(steps, i, step):
        steps[i] = replace(step, mode=mode)
        if isinstance(step, TryAcquire):
            steps[i] = replace(steps[i], on_fail=_map(step.on_fail, lambda s: replace(s, mode=mode)
                                                      if isinstance(s, Acquire) and s.lock == step.lock else s))
    _at_site(paths, p, where, edit)


def _op_drop(paths, locks, p, where):
    def edit(steps, i, step):
        if _is_locked_try(step):  # the locked block runs unconditionally, without the lock; the fallback goes
            inner = list(step.locked)
            del inner[_locked_release(step, where)]
            steps[i:i + 1] = inner
            return
        j = _matching_release(steps, i)
        if j is None:
            raise PatchError(f"{where}: no release of {step.lock!r} follows site {step.site} in the same block")
        del steps[j]
        del steps[i]
    _at_site(paths, p, where, edit, top_only=True)


def _op_relock(paths, locks, p, where):
    new = p["lock"]
    if new not in locks:
        raise PatchError(f"{where}: lock {new!r} is not declared; declare it with op = \"lock\" first")

    def edit(steps, i, step):
        old = step.lock
        if _is_locked_try(step):
            inner = list(step.locked)
            j = _locked_release(step, where)
            inner[j] = replace(inner[j], lock=new)
            steps[i] = replace(step, lock=new, locked=tuple(inner))
            return
        j = _matching_release(steps, i)
        if j is None:
            raise PatchError(f"{where}: no release of {step.lock!r} follows site {step.site} in the same block")
        steps[j] = replace(steps[j], lock=new)
        steps[i] = replace(step, lock=new)
        if isinstance(step, TryAcquire):
            steps[i] = replace(steps[i], on_fail=_map(
                step.on_fail, lambda s: replace(s, lock=new) if isinstance(s, (Acquire, Release)) and s.lock == old else s))
    _at_site(paths, p, where, edit, top_only=True)


def _op_insert(paths, locks, p, where):
    path = _path(paths, p, where)
    new = parse_steps(p["steps"], where)
    block, i = _position(path, p, where)
    block[i:i] = new
    paths[path.name] = _rebuild(path)


def _op_remove(paths, locks, p, where):
    path = _path(paths, p, where)
    block, i, j = _range(path, p, where)
    # (a socket backlog's deferral is not: a kernel whose socket is no longer locked there has none)
    acts = [s for s in walk(block[i:j + 1]) if isinstance(s, Act) and s.name not in DEFERRING_ACTIONS]
    if acts:  # found by the fuzzer: without its actions a connection never completes, or a path has none
        raise PatchError(f"{where}: the range holds act:{acts[0].name}{':' + acts[0].arg if acts[0].arg else ''}, "
                         "a step of the connection's life cycle; allowed: remove work, lock and assertion steps "
                         "(move an action instead)")
    del block[i:j + 1]
    paths[path.name] = _rebuild(path)


def _op_move(paths, locks, p, where):
    path = _path(paths, p, where)
    block, i, j = _range(path, p, where)
    moved = block[i:j + 1]
    del block[i:j + 1]
    dest, k = _position(path, p, where)
    dest[k:k] = moved
    paths[path.name] = _rebuild(path)


def _op_path(paths, locks, p, where):
    if p["name"] not in paths:  # the engines run paths by name: a new name would never run
        raise PatchError(f"{where}: no path {p['name']!r}{did_you_mean(p['name'], paths)}; allowed: a path to replace: "
                         f"{', '.join(sorted(paths))}")
    if p["context"] not in CONTEXTS:
        raise PatchError(f"{where}: context {p['context']!r}; allowed: {', '.join(CONTEXTS)}")
    base = p["base"]
    if not isinstance(base, (list, tuple)) or not all(isinstance(f, str) for f in base):
        raise PatchError(f"{where}: base must be a list of function names")
    paths[p["name"]] = Path(p["name"], p["context"], tuple(base), tuple(parse_steps(p["steps"], where)))


def _op_assert(paths, locks, p, where):
    if "mode" not in p and "lock" not in p:
        raise PatchError(f"{where}: nothing to change; allowed: mode ({', '.join(ASSERT_MODES)}, none) and/or lock")
    mode, lock = p.get("mode"), p.get("lock")
    if mode is not None and mode not in ASSERT_MODES + ("none",):
        raise PatchError(f"{where}: mode {mode!r}; allowed: {', '.join(ASSERT_MODES)}, none (the assertion goes)")
    if lock is not None and lock not in locks:
        raise PatchError(f"{where}: lock {lock!r} is not declared{did_you_mean(lock, locks)}; locks: "
                         f"{', '.join(sorted(locks))}")

    def edit(block, i, step):
        if mode == "none":
            del block[i]
        else:
            block[i] = replace(step, mode=mode or step.mode, lock=lock or step.lock)
    _at_site(paths, p, where, edit, kinds=(Assert,))


_OPS = {"lock": _op_lock, "mode": _op_mode, "drop": _op_drop, "relock": _op_relock, "insert": _op_insert,
        "remove": _op_remove, "move": _op_move, "path": _op_path, "assert": _op_assert,
        "class": _op_class}


# --- finding steps --------------------------------------------------------------------------------------------
def _path(paths, p, where):
    name = p["path"]
    if name not in paths:
        raise PatchError(f"{where}: no path {name!r}; paths: {', '.join(sorted(paths))}")
    # work on a mutable copy: nested lists stand for the tuples of steps
    return _Mutable(paths[name])


class _Mutable:
    """A path whose step tuples (and those of try-lock fallbacks and when-blocks) are lists while edited."""

    def __init__(self, path: Path):
        self.name, self.path = path.name, path
        self.steps = _thaw(path.steps)


def _thaw(steps):
    return _convert(steps, list)


def _freeze(steps):
    return _convert(steps, tuple)


def _convert(steps, container):
    """The same steps with every nested block (try-lock fallbacks, when-blocks) as ``container``."""
    out = []
    for s in steps:
        if isinstance(s, TryAcquire):
            s = replace(s, on_fail=_convert(s.on_fail, container),
                        locked=None if s.locked is None else _convert(s.locked, container))
        elif isinstance(s, When):
            s = replace(s, steps=_convert(s.steps, container))
        out.append(s)
    return container(out)


def _rebuild(m: _Mutable) -> Path:
    return replace(m.path, steps=_freeze(m.steps))


def _map(steps, fn):
    return [fn(s) for s in steps]


def _blocks(steps):
    """Every step list of a path (the top level, fallbacks, when-blocks), outermost first."""
    yield steps
    for s in steps:
        if isinstance(s, TryAcquire):
            yield from _blocks(s.on_fail)
            if s.locked is not None:
                yield from _blocks(s.locked)
        elif isinstance(s, When):
            yield from _blocks(s.steps)


def _is_locked_try(step) -> bool:
    return isinstance(step, TryAcquire) and step.locked is not None


def _locked_release(step, where) -> int:
    """Index, in a locked try-lock's block, of the release that ends its hold."""
    j = _matching_release([step] + list(step.locked), 0)
    if j is None:
        raise PatchError(f"{where}: no release of {step.lock!r} ends the locked block of site {step.site}")
    return j - 1


def _at_site(paths, p, where, edit, top_only=False, kinds=(Acquire, TryAcquire)):
    """Run ``edit(block, index, step)`` on every step of ``kinds`` (acquisitions, or assertions) at the patch's
    site (in its path, if given)."""
    site, only = p["site"], p.get("path")
    if only is not None and only not in paths:
        raise PatchError(f"{where}: no path {only!r}{did_you_mean(only, paths)}; paths: {', '.join(sorted(paths))}")
    hits = 0
    for name in sorted(paths):
        if only is not None and name != only:
            continue
        m = _Mutable(paths[name])
        touched = False
        for block in list(_blocks(m.steps)):
            i = 0
            while i < len(block):
                s = block[i]
                if isinstance(s, kinds) and s.site == site:
                    if top_only and _inside_fallback(m.steps, block):
                        raise PatchError(f"{where}: site {site} is the blocking fallback of a try-lock in path "
                                         f"{name!r}; patch the try-lock's site instead")
                    before = len(block)
                    edit(block, i, s)
                    hits += 1
                    touched = True
                    if len(block) < before:
                        continue
                i += 1
        if touched:
            paths[name] = _rebuild(m)
    if not hits:
        scope = f"path {only!r}" if only else "any path"
        known = sorted({s.site for q in paths.values() for s in walk(q.steps) if isinstance(s, kinds)})
        if kinds == (Assert,):
            raise PatchError(f"{where}: no assertion at {site} in {scope}{did_you_mean(site, known)}; assertions: "
                             f"{', '.join(known) or 'none'}")
        raise PatchError(f"{where}: site {site} is not in {scope}; sites: {', '.join(sites(paths))}")


def _inside_fallback(top, block):
    return any(isinstance(s, TryAcquire) and s.on_fail is block for b in _blocks(top) for s in b)


def _matching_release(block, i):
    """Index of the release that ends the hold begun at block[i] (counting nested holds of the same lock)."""
    lock, depth = block[i].lock, 0
    for j in range(i, len(block)):
        s = block[j]
        if isinstance(s, (Acquire, TryAcquire)) and s.lock == lock and (j == i or not _is_locked_try(s)):
            depth += 1  # (a locked try-lock elsewhere releases inside its own block: it holds nothing after)
        elif isinstance(s, Release) and s.lock == lock:
            depth -= 1
            if depth == 0:
                return j
    return None


def _matches(step, anchor):
    kind, _, rest = anchor.partition(":")
    if kind == "site":
        return isinstance(step, (Acquire, TryAcquire)) and step.site == rest
    if kind == "cost":
        return isinstance(step, Work) and step.cost == rest
    if kind == "act":
        name, _, arg = rest.partition(":")
        return isinstance(step, Act) and step.name == name and (not arg or step.arg == arg)
    if kind == "release":
        return isinstance(step, Release) and step.lock == rest
    if kind == "assert":
        return isinstance(step, Assert) and step.site == rest
    if kind == "when":
        return isinstance(step, When) and step.condition == rest
    return False


def anchor_of(path: Path, step) -> str:
    """The anchor (``release:tcp#2``) that names ``step`` (found by identity) in ``path``, for messages."""
    text = {Acquire: lambda s: f"site:{s.site}", TryAcquire: lambda s: f"site:{s.site}",
            Work: lambda s: f"cost:{s.cost}", Act: lambda s: f"act:{s.name}" + (f":{s.arg}" if s.arg else ""),
            Release: lambda s: f"release:{s.lock}", Assert: lambda s: f"assert:{s.site}",
            When: lambda s: f"when:{s.condition}"}.get(type(step))
    if text is None:
        return type(step).__name__.lower()
    anchor, n = text(step), 0
    for block in _blocks(list(path.steps)):
        for s in block:
            if _matches(s, anchor):
                n += 1
                if s is step:
                    return anchor if n == 1 else f"{anchor}#{n}"
    return anchor


def _find(m: _Mutable, anchor, where):
    """(block, index) of the anchor's step: the N-th match in path order."""
    if not isinstance(anchor, str):
        raise PatchError(f"{where}: an anchor is a string like 'site:tcp_input.c:778' or 'act:state:ESTABLISHED'")
    if anchor == "start":
        return m.steps, 0
    if anchor == "end":
        return m.steps, len(m.steps)
    text, _, nth = anchor.partition("#")
    n = int(nth) if nth.isdigit() else 1
    seen = 0
    for block in _blocks(m.steps):
        for i, s in enumerate(block):
            if _matches(s, text):
                seen += 1
                if seen == n:
                    return block, i
    raise PatchError(f"{where}: anchor {anchor!r} not found in path {m.name!r}; "
                     "anchors: site:FILE:LINE, cost:NAME, act:NAME[:ARG], release:LOCK, assert:FILE:LINE, "
                     "when:CONDITION, [#N], start, end")


def _position(m, p, where):
    has_before, has_after = "before" in p, "after" in p
    if has_before == has_after:
        raise PatchError(f"{where}: give exactly one of before / after")
    block, i = _find(m, p["before"] if has_before else p["after"], where)
    if has_after and p["after"] not in ("start", "end"):
        i += 1
    return block, i


def _range(m, p, where):
    block, i = _find(m, p["first"], where)
    block2, j = _find(m, p["last"], where)
    if block2 is not block or j < i:
        raise PatchError(f"{where}: first and last must be in the same block, first before last")
    return block, i, j


def sites(paths) -> list[str]:
    return sorted({s.site for p in paths.values() for s in walk(p.steps) if isinstance(s, (Acquire, TryAcquire))})


def _check_locks(paths, locks, where):
    for p in paths.values():
        for s in walk(p.steps):
            if isinstance(s, (Acquire, TryAcquire, Release, Retire)) and s.lock not in locks:
                raise PatchError(f"{where}: path {p.name!r} uses lock {s.lock!r}, which is not declared; "
                                 f"locks: {', '.join(sorted(locks))}")


# --- steps from plain data ------------------------------------------------------------------------------------
STEP_KEYS = {
    "acquire": ({"mode", "site"}, {"frames"}),
    "try": ({"mode", "site"}, {"frames", "on_fail", "locked"}),
    "release": (set(), {"frames"}),
    "work": (set(), {"frames", "user"}),
    "act": (set(), {"arg", "abort_reason"}),
    "when": ({"steps"}, {"repeat"}),
    "stop": (set(), set()),
    "assert": ({"mode", "site"}, {"what"}),
    "retire": (set(), set()),
}
SITE = re.compile(r"^[A-Za-z0-9_.\-]+\.[ch]:[1-9][0-9]*$")  # file:line, as LOCK_PROFILING prints a site


def parse_steps(items, where) -> list:
    """Steps from plain data; every value is checked here, so a mistake is one line naming the step."""
    if not isinstance(items, (list, tuple)):
        raise PatchError(f"{where}: steps must be a list of step tables")
    out = []
    for k, item in enumerate(items, 1):
        at = f"{where} step {k}"
        if not isinstance(item, dict):
            raise PatchError(f"{at}: a step is a table like {{acquire = \"tcp\", mode = \"W\", site = \"f.c:1\"}}")
        kinds = [key for key in STEP_KEYS if key in item]
        if len(kinds) != 1:
            raise PatchError(f"{at}: name exactly one step kind; allowed: {', '.join(STEP_KEYS)}")
        kind = kinds[0]
        required, optional = STEP_KEYS[kind]
        keys = set(item) - {kind}
        if required - keys or keys - required - optional:
            raise PatchError(f"{at}: {kind} takes {', '.join(sorted(required)) or 'no other key'}"
                             f"{' and optionally ' + ', '.join(sorted(optional)) if optional else ''}")
        out.append(_step(kind, item, at))
    return out


def _typed(item, key, at, t, allowed, default=None):
    value = item.get(key, default)
    if t is tuple:  # a list of strings (call-stack frames)
        if not isinstance(value, (list, tuple)) or not all(isinstance(f, str) for f in value):
            raise PatchError(f"{at}: {key} {value!r}; allowed: {allowed}")
        return tuple(value)
    if not isinstance(value, t):
        raise PatchError(f"{at}: {key} {value!r}; allowed: {allowed}")
    return value


def _step(kind, item, at):
    lock = lambda: _typed(item, kind, at, str, "a lock name")  # noqa: E731
    frames = _typed(item, "frames", at, tuple, "a list of function names", ())
    if "site" in item and not SITE.match(str(item["site"])):
        raise PatchError(f"{at}: site {item['site']!r}; allowed: FILE.c:LINE, e.g. 'tcp_usrreq.c:728'")
    if kind in ("acquire", "try") and item["mode"] not in MODES:
        raise PatchError(f"{at}: mode {item['mode']!r}; allowed: R, W")
    if kind == "acquire":
        return Acquire(lock(), item["mode"], item["site"], frames)
    if kind == "try":
        locked = item.get("locked")
        return TryAcquire(lock(), item["mode"], item["site"], frames, tuple(parse_steps(item.get("on_fail", []), at)),
                          None if locked is None else tuple(parse_steps(locked, at)))
    if kind == "release":
        return Release(lock(), frames)
    if kind == "retire":
        return Retire(lock())
    if kind == "assert":
        if item["mode"] not in ASSERT_MODES:
            raise PatchError(f"{at}: mode {item['mode']!r}; allowed: {', '.join(ASSERT_MODES)}")
        return Assert(lock(), item["mode"], item["site"], _typed(item, "what", at, str, "a string", ""))
    if kind == "work":
        return Work(frames, _typed(item, "work", at, str, "a cost name of the costs file"),
                    _typed(item, "user", at, bool, "true or false", False))
    if kind == "act":
        name = _typed(item, "act", at, str, "an action name")
        if name not in ACTIONS:
            raise PatchError(f"{at}: unknown action {name!r}{did_you_mean(name, ACTIONS)}; allowed: "
                             f"{', '.join(ACTIONS)}")
        arg = _typed(item, "arg", at, str, "a string", "")
        if arg not in ACTIONS[name] and (arg or ACTIONS[name]):
            allowed = ", ".join(ACTIONS[name]) or "no arg"
            raise PatchError(f"{at}: act {name!r} arg {arg!r}{did_you_mean(arg, ACTIONS[name])}; allowed: {allowed}")
        reason = _typed(item, "abort_reason", at, str, "a string", "")
        if reason and name not in ABORTING_ACTIONS:
            raise PatchError(f"{at}: act {name!r} never aborts, so abort_reason would never be used; allowed: "
                             f"abort_reason on {', '.join(ABORTING_ACTIONS)}")
        return Act(name, arg, reason)
    if kind == "when":
        cond = _typed(item, "when", at, str, "a condition name")
        if cond not in CONDITIONS:
            raise PatchError(f"{at}: unknown condition {cond!r}{did_you_mean(cond, CONDITIONS)}; allowed: "
                             f"{', '.join(CONDITIONS)}")
        repeat = _typed(item, "repeat", at, bool, "true or false", False)
        return When(cond, tuple(parse_steps(item["steps"], at)), repeat)
    if item["stop"] is not True:
        raise PatchError(f"{at}: stop {item['stop']!r}; allowed: stop = true")
    return Stop()
