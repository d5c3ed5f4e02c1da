"""The D-like clauses of ``tcpsim run --probe``: a probe, an optional predicate and an optional aggregation.

    PROBE [/PREDICATE/] [{ @[KEY, ...] = FUNCTION(VALUE[, LOW, HIGH[, STEP]]) }]

- ``PROBE``: a probe name or a shell-style pattern (``lockstat:::*-spin``), as ``Probes.attach`` takes;
- ``PREDICATE``: comparisons joined by ``&&``: ``VARIABLE OP LITERAL`` with OP one of ``== != < <= > >=``;
  a literal is a number, a "quoted string" or a bare word (``new == TIME_WAIT``); names compare with ``==``
  and ``!=`` only;
- ``KEY``s and ``VALUE``: variables; ``FUNCTION``: ``count sum avg min max quantize lquantize``
  (``observe.aggregations``). ``@name`` is allowed and shown, as dtrace allows it.

Variables: the probe's arguments (``observe.probes.PROBE_ARGS``: ``wait``, ``ns``, ``hold``, ``lock``, ``site``,
``new``, ...), ``probename``, ``timestamp`` (ns of simulated time) and, for the ``tcp`` probes, two that a D
script keeps in a ``start[conn]`` array: ``lifetime`` (ns since the connection's first state change, i.e. since
its SYN made it SYN_RECEIVED) and ``elapsed`` (ns since its previous state change: at ``tcp:::state-change``,
the time spent in ``old``). A firing for which one of them is not known yet is not aggregated, as a D
predicate ``/start[conn]/`` would skip it.

A bare ``PROBE`` (the older form) is ``@[probename, <its lock/site, segment/state/reason, thread or queue>] =
count()``. Every mistake is one line naming ``--probe``, the clause, the problem and what is allowed.

    tcp:::state-change /new == TIME_WAIT/ { @ = quantize(lifetime) }
    lockstat:::rw-spin { @[site] = sum(ns) }
    fbt::ixgbe_rxeof:return { @[queue] = lquantize(frames, 0, 256, 32) }
"""
from __future__ import annotations

import re

from ..errors import TcpsimError, did_you_mean
from .aggregations import FUNCTIONS, Aggregation
from .probes import NAME_VALUES, NUMERIC_ARGS, PROBE_ARGS, matching, shown

# The keys a bare PROBE counts by, per provider (each one where the probe has it).
DEFAULT_KEYS = {"tcp": ("segment", "new", "reason"), "lockstat": ("lock", "site"), "sched": ("thread",),
                "fbt": ("queue", "thread")}
BUILTINS = ("probename", "timestamp")
CONNECTION_VARIABLES = ("lifetime", "elapsed")  # tcp probes: from each connection's state changes
NUMERIC = NUMERIC_ARGS | {"timestamp", "lifetime", "elapsed"}
OPERATORS = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
             "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}

_CLAUSE = re.compile(r"^\s*(?P<probe>[^\s/{}]+)\s*(?:/(?P<pred>[^/]*)/)?\s*(?:\{(?P<body>[^{}]*)\})?\s*$")
_BODY = re.compile(r"^\s*@(?P<name>\w*)\s*(?:\[(?P<keys>[^\]]*)\])?\s*=\s*(?P<func>\w+)\s*\((?P<args>[^()]*)\)\s*;?\s*$")
_TERM = re.compile(r'^\s*(?P<var>\w+)\s*(?P<op>==|!=|<=|>=|<|>)\s*(?P<lit>"[^"]*"|-?\d+|[A-Za-z_][\w-]*)\s*$')
_FORM = "PROBE [/VAR OP VALUE && .../] [{ @[KEY, ...] = FUNC(VAR[, LOW, HIGH[, STEP]]) }]"


def _keys(keys) -> str:
    return f"[{', '.join(keys)}]" if keys else ""


class Clause:
    """One parsed ``--probe`` text; ``attach(probes)`` returns the Aggregation it fills during a run.
    ``vocabulary``: the kernel's probe names (probes.names(); None: the model's own), which the clause's PROBE,
    ``probename`` and the bare form's keys are in."""

    def __init__(self, text: str, vocabulary: dict | None = None):
        self.text = text
        m = _CLAUSE.match(text)
        if not m:
            self._error(f"not a clause; allowed: {_FORM}")
        self.probe = m["probe"]
        try:
            self.probes = matching(self.probe, vocabulary)
        except TcpsimError as e:
            self._error(str(e))
        # the name each model probe is shown by
        self.shown = shown(self.probe, vocabulary) if vocabulary is not None else {p: p for p in self.probes}
        self.variables = set(BUILTINS) | set.intersection(*(set(PROBE_ARGS[p]) for p in self.probes))
        if all(p.startswith("tcp:") for p in self.probes):
            self.variables |= set(CONNECTION_VARIABLES)
        self.predicate = [self._term(t) for t in m["pred"].split("&&")] if m["pred"] is not None else []
        if m["body"] is None:
            self.name, self.keys, self.func, self.value, self.params = "", None, "count", None, ()
        else:
            self._body(m["body"])
        try:
            self.aggregation = Aggregation(self.func, *self.params)
        except TcpsimError as e:
            self._error(str(e))
        self.uses = {v for v, _, _ in self.predicate} | set(self.keys or ()) | ({self.value} - {None})

    def _error(self, problem: str):
        raise TcpsimError(f"--probe {self.text!r}: {problem}")

    def _variable(self, name: str, numeric: bool = False) -> str:
        if name not in self.variables:
            self._error(f"no variable {name!r} at {self.probe}; allowed: {', '.join(sorted(self.variables))}")
        if numeric and name not in NUMERIC:
            self._error(f"{name!r} is a name, not a number; allowed numbers here: "
                        f"{', '.join(sorted(self.variables & NUMERIC))}")
        return name

    def _term(self, text: str):
        m = _TERM.match(text)
        if not m:
            self._error(f"predicate term {text.strip()!r}; allowed: VARIABLE OP LITERAL with OP one of "
                        f"{' '.join(OPERATORS)}, terms joined by &&")
        var, op, lit = m["var"], m["op"], m["lit"]
        is_number = re.fullmatch(r"-?\d+", lit) is not None
        self._variable(var)
        if var in NUMERIC and not is_number:
            self._error(f"{var} is a number, compared with {lit}; allowed: an integer literal")
        if var not in NUMERIC:
            if op not in ("==", "!="):
                self._error(f"{var} is a name: {op} does not apply; allowed: == or !=")
            lit = lit.strip('"')
            if var in NAME_VALUES and lit not in NAME_VALUES[var]:  # a misspelt TIME_WAIT would match nothing
                self._error(f"{var} is never {lit!r}{did_you_mean(lit, NAME_VALUES[var])}; allowed: "
                            f"{', '.join(NAME_VALUES[var])}")
        return var, op, int(lit) if var in NUMERIC else lit

    def _body(self, body: str):
        m = _BODY.match(body)
        if not m:
            self._error(f"action {{{body.strip()}}}; allowed: {{ @[KEY, ...] = FUNC(VAR[, LOW, HIGH[, STEP]]) }} "
                        f"with FUNC one of {', '.join(FUNCTIONS)}")
        self.name = m["name"]
        keys = [k.strip() for k in m["keys"].split(",")] if m["keys"] is not None else []
        if any(not k for k in keys):
            self._error("an empty key in @[...]; allowed: variables separated by commas")
        self.keys = [self._variable(k) for k in keys]
        self.func = m["func"]
        if self.func not in FUNCTIONS:
            self._error(f"aggregating function {self.func!r}; allowed: {', '.join(FUNCTIONS)}")
        args = [a.strip() for a in m["args"].split(",")] if m["args"].strip() else []
        if self.func == "count":
            if args:
                self._error("count() takes no argument")
            self.value, self.params = None, ()
            return
        if not args:
            self._error(f"{self.func}() needs a value: one of {', '.join(sorted(self.variables & NUMERIC))}")
        self.value = self._variable(args[0], numeric=True)
        want = "2 or 3" if self.func == "lquantize" else "0"
        if self.func == "lquantize" and len(args) - 1 not in (2, 3) or self.func != "lquantize" and len(args) > 1:
            self._error(f"{self.func}() takes {want} integer parameters after its value, got {len(args) - 1}")
        try:
            self.params = tuple(int(a) for a in args[1:])
        except ValueError:
            self._error(f"{self.func}() parameters must be integers, got {', '.join(args[1:])}")

    def describe(self) -> str:
        """The clause as dtrace -n would take it: the bare form spelled out with the keys it counts by, one
        clause per set of keys where the probes it matches have different arguments (``A' -n 'B``)."""
        pred = " /" + " && ".join(f"{v} {op} {lit}" for v, op, lit in self.predicate) + "/" if self.predicate else ""
        params = "".join(f", {p}" for p in self.params)
        action = f"{self.func}({self.value or ''}{params})"
        if self.keys is not None:
            return f"{self.probe}{pred} {{ @{self.name}{_keys(self.keys)} = {action}; }}"
        by_keys = {}  # the keys fire() counts by, as it builds them for each probe
        for probe in self.probes:
            keys = ("probename",) + tuple(k for k in DEFAULT_KEYS[probe.split(":", 1)[0]] if k in PROBE_ARGS[probe])
            by_keys.setdefault(keys, []).append(self.shown[probe])
        if len(by_keys) == 1:  # the pattern as the user gave it
            return f"{self.probe}{pred} {{ @{self.name}{_keys(next(iter(by_keys)))} = {action}; }}"
        return "' -n '".join(f"{', '.join(dict.fromkeys(probes))}{pred} {{ @{self.name}{_keys(keys)} = {action}; }}"
                             for keys, probes in by_keys.items())

    def attach(self, probes) -> Aggregation:
        """Fill ``self.aggregation`` from the firings of ``probes`` during a run."""
        since = {}  # conn -> (first state change ns, last state change ns): D's start[conn] arrays
        agg, pred, keys, value, named = self.aggregation, self.predicate, self.keys, self.value, self.shown
        track = bool(self.uses & set(CONNECTION_VARIABLES))

        def fire(probe, now, args):
            env = args
            if track or "probename" in self.uses or "timestamp" in self.uses:
                env = dict(args, probename=named[probe], timestamp=now)
                if track:
                    first_last = since.get(args["conn"])
                    if first_last is None:
                        return  # lifetime and elapsed are not known yet for this connection
                    env["lifetime"], env["elapsed"] = now - first_last[0], now - first_last[1]
            for var, op, lit in pred:
                if not OPERATORS[op](env[var] if var in NUMERIC else str(env[var]), lit):
                    return
            if keys is None:
                provider = probe.split(":", 1)[0]
                key = (named[probe],) + tuple(str(args[k]) for k in DEFAULT_KEYS[provider] if k in args)
            else:
                key = tuple(str(env[k]) for k in keys)
            agg.add(env[value] if value else 1, key)

        for probe in self.probes:  # by the model's names: the pattern may be in the kernel's
            probes.attach(probe, fire)
        if track:  # attached after fire, so a state change is aggregated before it moves the connection's clock
            def state_change(probe, now, args):
                conn = args["conn"]
                if args["new"] == "CLOSED":
                    since.pop(conn, None)
                else:
                    since[conn] = (since.get(conn, (now, now))[0], now)
            probes.attach("tcp:::state-change", state_change)
        return agg
