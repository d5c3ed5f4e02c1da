"""Scenario files: TOML validated against one declarative schema, built into a ``Model``.

Every key is declared once below with its type, default, allowed range and meaning. Errors name the file,
the key, what was wrong and what is allowed; unknown sections and keys are errors, never ignored.
"""
from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from . import kernels, machines, tomlfile
from .costs import default_costs_path, load_costs
from .errors import TcpsimError, did_you_mean
from .model import variants
from .model.patches import PatchError
from .model.paths import with_vlan
from .model.steps import Work, executable, walk
from .model.system import AppSpec, ClientSpec, Hardware, KernelSpec, Model, RunSpec
from .model.topology import SMT_COSTS, cores_per_socket, smt_costs, transfer_costs
from .rss import DEFAULT_KEY, RSS_QUEUES


@dataclass(frozen=True)
class Key:
    type: type | tuple
    default: object
    help: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None


def _k(t, default, help, lo=None, hi=None, choices=None):
    return Key(t, default, help, lo, hi, choices)


REQUIRED = object()
OPEN_LOOP_MIN_RATE = 1e-3  # arrivals/s; below it an exponential gap can overflow a float
OPTIONAL_SECTIONS = ("variant",)  # validated only when present

SCHEMA: dict[str, dict[str, Key]] = {
    "scenario": {
        "name": _k(str, REQUIRED, "short name shown in reports"),
        "description": _k(str, "", "free text"),
        "variant": _k(str, "baseline", "locking variant: built-in names joined with + (or the [variant] section's name)"),
        "kernel": _k(str, kernels.DEFAULT_KERNEL, "the kernel the machine runs: a kernel package (tcpsim/kernels/): its "
                     "paths, locks, variants, thread programs, costs file and defaults for the keys below",
                     choices=tuple(kernels.MODULES)),
        "costs": _k(str, "", "costs file (default: the kernel's built-in one, tcpsim/data/<kernel>.toml)"),
    },
    "hardware": {
        "machine": _k(str, "", "a machine file: a shipped machine's name (opteron-48, xeon-24) or a path (relative to "
                      "the scenario); it sets cpus, sockets and threads_per_core (giving one of them too is an error "
                      "unless it is the machine's value) and replaces the costs file's cpu_ghz and line-transfer "
                      "latencies with its own"),
        "cpus": _k(int, 8, "number of cores", 1, 256),
        "queues": _k(int, 1, "NIC receive queues (ixgbe: RSS only with more than one; at most what the kernel's driver "
                     "configures: FreeBSD 10.0 8, Linux 16)", 1, RSS_QUEUES),
        "queue_cpus": _k(list, None, "CPU of each queue's MSI-X interrupt thread (default 0..queues-1)"),
        "link_gbps": _k(float, 10.0, "link rate in Gbit/s", 0.001, 400),
        "rx_ring_descriptors": _k(int, 2048, "hw.ixgbe.rxd: receive descriptors per ring (2.5.15: PERFORM_RXD); a "
                                  "full ring drops", 1, 65536),
        "rx_process_limit": _k(int, 256, "hw.ixgbe.rx_process_limit: received frames per interrupt or task pass",
                               1, 65536),
        "tx_process_limit": _k(int, 256, "sent frames reclaimed per interrupt or task pass (ixgbe_txeof)", 1, 65536),
        "sockets": _k(int, 1, "processor packages; cores per socket = cpus / sockets / threads_per_core (a lock "
                      "word's cache line crossing sockets costs line_transfer_other_socket)", 1, 64),
        "threads_per_core": _k(int, 1, "hardware threads per core (SMT, hyper-threading: 2); siblings pass a "
                               "line at line_transfer_same_core and share the core's execution resources (a work "
                               "step stretches by smt_sibling_busy / smt_sibling_spinning while a sibling runs / "
                               "spins)", 1, 8),
        "cpu_numbering": _k(str, "freebsd", "which CPU ids are SMT siblings: 'freebsd' (next to each other: 0-1, "
                            "2-3, ...) or 'linux' (apart: cpu i and i + cores x sockets)", choices=("freebsd", "linux")),
        "vlan": _k(bool, False, "frames arrive 802.1Q-tagged (as on the article's test bed): each goes through "
                   "vlan_input, which read-locks the trunk's rw:vlan"),
        "tx_ring_descriptors": _k(int, 2048, "hw.ixgbe.txd: transmit descriptors per ring (2.5.15: PERFORM_TXD); "
                                  "fewer than an eighth free makes a sender's drain run ixgbe_txeof", 64, 65536),
        "max_interrupt_rate": _k(int, 31250, "hw.ixgbe.max_interrupt_rate: interrupts/s per queue as programmed at "
                                 "attach (EITR); AIM rewrites it while on", 1000, 500_000),
        "enable_aim": _k(bool, True, "hw.ixgbe.enable_aim: adaptive interrupt moderation from the average frame size"),
        "que_task_cpu": _k(str, "unbound", "where the queue task (kernel{ix0 que}) runs: 'unbound' (10.0: placed by "
                           "the scheduler at each wake-up) or 'queue' (pinned to its queue's CPU, as later drivers do)",
                           choices=("unbound", "queue")),
        "rss_key": _k(str, "microsoft", "Toeplitz key: 'microsoft' (standard key) or 80 hex digits"),
        "lock_race_weight": _k(list, None, "relative chance of each CPU (from CPU 0) to win the race for a released "
                               "contended lock; CPUs past the list weigh 1; default: a fair race"),
    },
    "kernel": {
        "maxtcptw": _k(int, 27767, "kern.ipc.maxtcptw: TIME-WAIT entries before tcp_twstart recycles", 1, 10_000_000),
        "msl_s": _k(float, 30.0, "maximum segment lifetime; TIME-WAIT lasts 2 MSL", 0.0, 3600),
        "backlog": _k(int, 128, "listen(2) backlog; sonewconn refuses past 3/2 of it", 1, 1_000_000),
        "slowtimo_ms": _k(float, 500.0, "tcp_slowtimo period", 1, 60_000),
        "timer_cpu": _k(int, 0, "CPU running the callout (softclock)", 0, 255),
        "timewait_prefill": _k(bool, True, "start with the TIME-WAIT list full, as a machine serving this load for a while"),
        "socket_backlog": _k(int, 0, "frames a socket's backlog holds while a user thread owns the socket (Linux: "
                             "sk_add_backlog's limit; only for a kernel with socket backlogs)", 0, 1_000_000),
    },
    "app": {
        "accept_cpu": _k(int, REQUIRED, "CPU of the accept thread", 0, 255),
        "worker_cpus": _k(list, REQUIRED, "CPU of each kqueue worker thread"),
    },
    "clients": {
        "mode": _k(str, "closed", "'closed' (concurrent clients) or 'open' (arrivals at a rate)", choices=("closed", "open")),
        "rate": _k(float, 0.0, "open loop: connection attempts per second", 0, 1e8),
        "arrivals": _k(str, "poisson", "the open loop's arrivals -- with mode = 'open', and when `capacity` or "
                       "`reproduce` offers the machine rates: 'poisson' (exponential gaps) or 'paced' (the mean gap, "
                       "with jitter), as rate-targeting load generators pace", choices=("poisson", "paced")),
        "jitter": _k(float, 0.0, "paced arrivals: each gap is the mean gap times 1 +- jitter (uniform)", 0.0, 1.0),
        "concurrency": _k(int, 256, "closed loop: concurrent clients", 1, 1_000_000),
        "think_us": _k(float, 0.0, "closed loop: pause between a client's connections", 0, 1e9),
        "rtt_us": _k(float, 100.0, "round-trip time between clients and server", 0, 1e7),
        "request_bytes": _k(int, 40, "request payload", 0, 1460),
        "response_bytes": _k(int, 200, "response payload", 0, 1460),
        "addresses": _k(int, 4096, "distinct client source addresses", 1, 16_777_216),
        "server_address": _k(str, "192.0.2.1", "server IPv4 address"),
        "server_port": _k(int, 53, "server port", 1, 65535),
        "syn_rto_ms": _k(float, 1000.0, "client SYN retransmission timeout (doubles per retry)", 1, 1e6),
        "rto_ms": _k(float, 200.0, "client retransmission timeout for data and FIN", 1, 1e6),
        "max_syn_retries": _k(int, 5, "SYN retransmissions before the client gives up", 0, 100),
    },
    "variant": {  # optional: a user-defined variant (README, "Writing a variant")
        "name": _k(str, REQUIRED, "name of the variant (usable in [scenario] variant and compositions)"),
        "base": _k(str, "baseline", "built-in variant(s) it patches, joined with +"),
        "doc": _k(str, "", "what the change is and why"),
        "patches": _k(list, REQUIRED, "list of patch tables in the patches.py vocabulary"),
    },
    "run": {
        "duration_s": _k(float, 0.1, "measured window (simulated seconds)", 1e-6, 3600),
        "warmup_s": _k(float, 0.02, "warm-up excluded from every figure", 0, 3600),
        "seed": _k(int, 1, "seed of every random stream", 0, 2**63 - 1),
        "series_ms": _k(float, 1.0, "interval of the time series a run records (goodput, rings, accept queues, "
                        "TIME-WAIT); 0: none", 0, 60_000),
    },
}


class _Where:
    """Who to blame for a value: the file (with the key's line, found by ``tomlfile.Lines``) or the
    command-line option that overrode it. Checks that combine several keys run again after the overrides are
    merged; their errors then name the file *with* the options that changed it."""

    def __init__(self, file, text, origins=None):
        self.file, self.lines, self.origins = file, tomlfile.Lines(text), dict(origins or {})

    def __call__(self, section, key="", line=None):
        """"file:LINE" (or the option's name) for ``[section] key``; ``line`` if the caller knows it better."""
        label = self.origins.get((section, key))
        if label is not None:
            return label
        line = line or (self.lines.key(section, key) if key else
                        self.lines.table(section) or self.lines.key("", section))  # a top-level key
        where = f"{self.file}:{line}" if line else str(self.file)
        if self.origins:
            where += f" with {', '.join(sorted(set(self.origins.values())))}"
        return where


def _fail(where, section, key, problem, allowed=None, at=None):
    what = f"[{section}] {key}" if key else f"[{section}]"
    tail = f"; allowed: {allowed}" if allowed else ""
    raise TcpsimError(f"{at or where(section, key)}: {what}: {problem}{tail}")


def check_value(where, section, name, value):
    """One key's value against its schema entry (type, choices, range); returns it (ints widened to float
    where a number is expected). ``where``: a ``_Where`` or a callable naming the source of the value."""
    spec = SCHEMA[section][name]
    t = spec.type
    if t is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if t is int and isinstance(value, bool) or not isinstance(value, t):
        tname = {int: "an integer", float: "a number", str: "a string", bool: "true or false", list: "a list"}[t]
        _fail(where, section, name, f"expected {tname}, got {value!r}", spec.help)
    if t is float and value != value:  # NaN passes every comparison below
        _fail(where, section, name, "nan is not a number here", f"{spec.lo:g} to {spec.hi:g}")
    if spec.choices and value not in spec.choices:
        _fail(where, section, name, f"{value!r} is not a known value{did_you_mean(value, spec.choices)}",
              ", ".join(spec.choices))
    if spec.lo is not None and not (spec.lo <= value <= spec.hi):
        _fail(where, section, name, f"{value!r} is out of range", f"{spec.lo:g} to {spec.hi:g}")
    return value


def parse(text: str, file: str = "<scenario>", overrides: dict | None = None, origins: dict | None = None) -> dict:
    """Validate scenario TOML text; return {section: {key: value}} with defaults filled in.

    The file is validated as written first (so an override cannot hide a bad value in it), then each override
    ({section: {key: value}}) on its own, then the merged whole. ``origins`` names the source of overridden
    keys in errors ({(section, key): "--duration"}); unnamed overrides read "override section.key"."""
    data = tomlfile.parse(text, file)
    where = _Where(file, text)
    out = _validate(data, where)
    if not overrides:
        return out
    labels = {}
    for section, values in overrides.items():
        if section not in SCHEMA or not isinstance(values, dict):
            raise TcpsimError(f"override [{section}]: unknown section{did_you_mean(section, SCHEMA)}; allowed: "
                              + ", ".join(f"[{s}]" for s in SCHEMA))
        for key, value in values.items():
            label = (origins or {}).get((section, key), f"override {section}.{key}")
            if key not in SCHEMA[section]:
                raise TcpsimError(f"{label}: [{section}] {key}: unknown key{did_you_mean(key, SCHEMA[section])}; "
                                  f"allowed: {', '.join(SCHEMA[section])}")
            labels[(section, key)] = label
            check_value(lambda s, k: label, section, key, value)
    merged = {s: dict(v) for s, v in data.items() if isinstance(v, dict)}
    for section, values in overrides.items():
        merged.setdefault(section, {}).update(values)
    return _validate(merged, _Where(file, text, labels), file_checked=True)


def _validate(data: dict, where, file_checked=False) -> dict:
    out = {}
    kernel = _kernel_of(data, where)
    for section in data:
        if section not in SCHEMA:
            _fail(where, section, "", f"unknown section{did_you_mean(section, SCHEMA)}",
                  ", ".join(f"[{s}]" for s in SCHEMA))
        if not isinstance(data[section], dict):
            _fail(where, section, "", "must be a table", "a [section] of keys")
    for section, keys in SCHEMA.items():
        if section in OPTIONAL_SECTIONS and section not in data:
            out[section] = None
            continue
        given = data.get(section, {})
        for name in given:
            if name not in keys:
                _fail(where, section, name, f"unknown key{did_you_mean(name, keys)}", ", ".join(keys))
        out[section] = {}
        for name, spec in keys.items():
            if name in given:
                out[section][name] = check_value(where, section, name, given[name])
            elif spec.default is REQUIRED:
                _fail(where, section, name, "missing", spec.help, at=where(section) if section in data else None)
            else:
                out[section][name] = kernel.defaults.get(f"{section}.{name}", spec.default)
    _cross_check(where, out, data, file_checked)
    return out


def _kernel_of(data: dict, where) -> kernels.KernelPackage:
    """The package ``[scenario] kernel`` names (checked first: its defaults fill the keys the file leaves out)."""
    sc = data.get("scenario")
    name = sc.get("kernel", kernels.DEFAULT_KERNEL) if isinstance(sc, dict) else kernels.DEFAULT_KERNEL
    return kernels.package(check_value(where, "scenario", "kernel", name))


def _cpu_list(where, section, name, value, cpus):
    if not value or not all(isinstance(c, int) and not isinstance(c, bool) for c in value):
        _fail(where, section, name, f"expected a non-empty list of CPU numbers, got {value!r}",
              f"integers 0 to {cpus - 1}")
    for c in value:
        if not 0 <= c < cpus:
            _fail(where, section, name, f"CPU {c} does not exist", f"0 to {cpus - 1} ([hardware] cpus = {cpus})")
    return tuple(value)


def _cross_check(where, s, data, file_checked=False):
    """Checks that involve several keys. ``data``: the sections as given (to tell a key given from a default);
    ``file_checked``: the file alone already passed, overrides are merged in."""
    hw, app, k, cl = s["hardware"], s["app"], s["kernel"], s["clients"]
    if hw["machine"]:
        _apply_machine(where, hw, data.get("hardware") or {})
    cpus = hw["cpus"]
    if cores_per_socket(cpus, hw["sockets"], hw["threads_per_core"]) is None:
        _fail(where, "hardware", "cpus", f"{cpus} CPUs do not divide into sockets = {hw['sockets']} x "
              f"threads_per_core = {hw['threads_per_core']}",
              "cpus a multiple of sockets x threads_per_core (cores per socket = cpus / sockets / threads_per_core)")
    if "socket_backlog" in (data.get("kernel") or {}) and kernels.package(s["scenario"]["kernel"]).backlog_paths_for is None:
        _fail(where, "kernel", "socket_backlog", f"kernel {s['scenario']['kernel']!r} has no socket backlogs",
              "leave it out, or a kernel with them")
    most = kernels.package(s["scenario"]["kernel"]).max_queues
    if hw["queues"] > most:
        _fail(where, "hardware", "queues", f"{hw['queues']} is out of range (more than {s['scenario']['kernel']}'s "
              "NIC driver configures)", f"1 to {most}")
    if hw["queue_cpus"] is None:
        hw["queue_cpus"] = list(range(hw["queues"]))
    hw["queue_cpus"] = _cpu_list(where, "hardware", "queue_cpus", hw["queue_cpus"], cpus)
    if len(hw["queue_cpus"]) != hw["queues"]:
        _fail(where, "hardware", "queue_cpus", f"{len(hw['queue_cpus'])} CPUs for {hw['queues']} queues",
              "one CPU per queue")
    app["worker_cpus"] = _cpu_list(where, "app", "worker_cpus", app["worker_cpus"], cpus)
    if app["accept_cpu"] >= cpus:
        _fail(where, "app", "accept_cpu", f"CPU {app['accept_cpu']} does not exist", f"0 to {cpus - 1}")
    if k["timer_cpu"] >= cpus:
        _fail(where, "kernel", "timer_cpu", f"CPU {k['timer_cpu']} does not exist", f"0 to {cpus - 1}")
    weights = hw["lock_race_weight"]
    if weights is not None:
        if not weights or len(weights) > cpus or not all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and 0 < x < float("inf") for x in weights):
            _fail(where, "hardware", "lock_race_weight", f"expected 1 to {cpus} positive numbers, got {weights!r}",
                  "a list of weights > 0, one per CPU from CPU 0")
        hw["lock_race_weight"] = tuple(float(x) for x in weights)
    key = hw["rss_key"]
    if key != "microsoft":
        try:
            raw = bytes.fromhex(key)
        except ValueError:
            raw = b""
        if len(raw) != 40:
            _fail(where, "hardware", "rss_key", "not 40 bytes of hex", "'microsoft' or 80 hex digits")
    try:
        ipaddress.IPv4Address(cl["server_address"])
    except ValueError:
        _fail(where, "clients", "server_address", f"{cl['server_address']!r} is not an IPv4 address", "dotted quad")
    if cl["mode"] == "open" and cl["rate"] < OPEN_LOOP_MIN_RATE:  # found by the fuzzer: 5e-324/s overflowed
        _fail(where, "clients", "rate", f"open loop needs a positive rate, got {cl['rate']!r}",
              f"{OPEN_LOOP_MIN_RATE:g} to 1e+08 connections/s")
    if cl["jitter"] and cl["arrivals"] != "paced":
        _fail(where, "clients", "jitter", f"{cl['jitter']!r} applies to paced arrivals only, but arrivals is "
              f"{cl['arrivals']!r}", "arrivals = 'paced' with it, or leave jitter out")
    v = s["variant"]
    given_variant = (data.get("scenario") or {}).get("variant")
    builtin = kernels.package(s["scenario"]["kernel"]).variants
    if v is not None:
        if "+" in v["name"] or v["name"] in builtin:
            _fail(where, "variant", "name", f"{v['name']!r} is taken or contains '+'",
                  "a new name, not " + ", ".join(builtin))
        if given_variant is None:
            s["scenario"]["variant"] = v["name"]  # a file that defines a variant runs it by default
        elif not file_checked and v["name"] not in given_variant.split("+"):
            _fail(where, "variant", "name", f"{v['name']!r} is defined but [scenario] variant "
                  f"{given_variant!r} does not use it", f"variant = \"{v['name']}\" or a composition naming it")
        for name in filter(None, v["base"].split("+")):
            if name not in builtin and name != v["name"]:  # (itself: a cycle, reported by expand)
                _fail(where, "variant", "base", f"unknown variant {name!r}{did_you_mean(name, builtin)}",
                      ", ".join(builtin) + " (joined with +)")
    try:
        _model_variant(s)
    except PatchError as e:
        if v is not None and e.variant == v["name"]:  # a patch of the file's own variant
            line = where.lines.array_item("variant", "patches", e.patch, "op") if e.patch else None
            at = where("variant", "patches", line or where.lines.table("variant.patches"))
            _fail(where, "variant", "patches", str(e), None if "allowed" in str(e) else
                  "see README, 'Writing a variant'", at=at)
        _fail(where, "scenario", "variant", str(e))


def _apply_machine(where, hw, given):
    """[hardware] machine: the machine file's topology into ``hw`` (its resolved path into ``machine``). A
    topology key given too must have the machine's value: a scenario cannot quietly run another machine."""
    name = hw["machine"]
    path = Path(name)
    if name not in machines.shipped() and not path.is_absolute() and getattr(where, "file", None):
        path = Path(where.file).parent / path  # a path is relative to the scenario, as [scenario] costs is
    if name not in machines.shipped() and not (path.suffix == ".toml" and path.is_file()):
        _fail(where, "hardware", "machine", f"no such machine {name!r}{did_you_mean(name, machines.shipped())}",
              f"{', '.join(machines.shipped())}, or the path of a machine file (.toml)")
    try:
        machine = machines.load(name if name in machines.shipped() else str(path))
    except TcpsimError as e:  # the machine file's own mistake, named by its path
        _fail(where, "hardware", "machine", str(e))
    for key, value in (("cpus", machine.cpus), ("sockets", machine.sockets),
                       ("threads_per_core", machine.threads_per_core)):
        if key in given and given[key] != value:
            _fail(where, "hardware", key, f"{given[key]!r} conflicts with machine {name!r}, which has {value}",
                  f"leave {key} out (the machine sets it) or give {value}")
        hw[key] = value
    hw["machine"] = machine.path


def _user_variant(s):
    v = s["variant"]
    if v is None:
        return None
    return variants.Variant(v["name"], v["doc"], tuple(v["patches"]), tuple(n for n in v["base"].split("+") if n))


def _model_variant(s):
    """Paths, locks and application options of the scenario's variant (raises PatchError)."""
    return variants.build_variant(s["scenario"]["variant"], _user_variant(s), s["scenario"]["kernel"])


def build(sections: dict, text: str = "", source: str = "") -> Model:
    """Turn validated sections into the Model an engine runs."""
    sc, hw, k, app, cl, run = (sections[n] for n in ("scenario", "hardware", "kernel", "app", "clients", "run"))
    costs_file = sc["costs"]
    if costs_file and source and not Path(costs_file).is_absolute():
        costs_file = str(Path(source).parent / costs_file)
    costs, _notes, cost_sections = load_costs(costs_file or default_costs_path(sc["kernel"]))
    if hw["machine"]:  # its clock and line transfers replace the costs file's (machines.py)
        costs = machines.on_machine(costs, machines.load(hw["machine"], option="[hardware] machine"))
    key = DEFAULT_KEY if hw["rss_key"] == "microsoft" else bytes.fromhex(hw["rss_key"])
    paths, locks, options = _model_variant(sections)
    if hw["vlan"]:
        paths = with_vlan(paths)
    _check_costs(paths, costs, costs_file or "the built-in costs file", sections, source or "<scenario>")
    return Model(
        name=sc["name"],
        hardware=Hardware(hw["cpus"], hw["queues"], hw["queue_cpus"], hw["link_gbps"], hw["rx_ring_descriptors"],
                          hw["rx_process_limit"], hw["max_interrupt_rate"], key, hw["lock_race_weight"],
                          hw["tx_process_limit"], hw["enable_aim"], hw["que_task_cpu"], hw["tx_ring_descriptors"], hw["vlan"],
                          hw["sockets"], hw["threads_per_core"], hw["cpu_numbering"]),
        kernel=KernelSpec(k["maxtcptw"], k["msl_s"], k["backlog"], k["slowtimo_ms"], k["timer_cpu"], k["timewait_prefill"],
                          k["socket_backlog"]),
        app=AppSpec(app["accept_cpu"], app["worker_cpus"], options.get("acceptors", "thread")),
        clients=ClientSpec(cl["mode"], cl["rate"], cl["concurrency"], cl["think_us"], cl["rtt_us"], cl["request_bytes"],
                           cl["response_bytes"], cl["addresses"], cl["server_address"], cl["server_port"],
                           cl["syn_rto_ms"], cl["rto_ms"], cl["max_syn_retries"], cl["arrivals"], cl["jitter"]),
        run=RunSpec(run["duration_s"], run["warmup_s"], run["seed"], run["series_ms"]),
        paths={name: executable(p) for name, p in paths.items()},  # assertions were checked when built
        locks=locks,
        costs=costs,
        cpu_cost_names=tuple(k for k, sec in cost_sections.items() if sec == "cpu"),
        variant=sc["variant"],
        kernel_name=sc["kernel"],
        scenario_sha256=hashlib.sha256(text.encode()).hexdigest(),
        source=source,
    )


def _check_costs(paths, costs, costs_file, sections, source):
    """Every Work step names a cost the costs file has (a variant may name any cost)."""
    for p in paths.values():
        for s in walk(p.steps):
            if isinstance(s, Work) and not isinstance(costs.get(s.cost), (int, float)):
                who = f"{source}: variant {sections['scenario']['variant']!r}: path {p.name!r}"
                raise TcpsimError(f"{who}: work {s.cost!r} is not a cost of {costs_file}"
                                  f"{did_you_mean(s.cost, costs)}; allowed: a CPU cost name, e.g. tcp_usr_close")
    hw = sections["hardware"]
    for name in transfer_costs(hw["sockets"], hw["threads_per_core"]) + smt_costs(hw["threads_per_core"]):
        section = "constants" if name in SMT_COSTS else "cpu"
        if not isinstance(costs.get(name), (int, float)):
            raise TcpsimError(f"{source}: [hardware] sockets = {hw['sockets']}, threads_per_core = "
                              f"{hw['threads_per_core']}: {costs_file} has no {name!r}; allowed: a costs file with "
                              f"it in [{section}] (as the built-in one has)")
        if section == "constants" and costs[name] < 1:  # a factor on a work step's time: a sibling cannot speed it up
            raise TcpsimError(f"{source}: [hardware] threads_per_core = {hw['threads_per_core']}: {costs_file}: "
                              f"[constants] {name} = {costs[name]!r} is below 1; allowed: a factor >= 1")


def load(path: str | Path, overrides: dict | None = None, origins: dict | None = None) -> Model:
    """Read, validate and build a scenario file; ``overrides`` ({section: {key: value}}) come from the CLI,
    ``origins`` names the option each came from (see ``parse``)."""
    path = Path(path)
    _, text = tomlfile.read(path, "scenario")
    return build(parse(text, str(path), overrides, origins), text, str(path))
