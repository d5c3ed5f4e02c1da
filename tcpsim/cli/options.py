"""What several subcommands share: argparse types that check a value before anything runs, the option groups
added to more than one subcommand, loading the scenario with the options that override its keys, and writing
output files."""
from __future__ import annotations

import argparse
from pathlib import Path

from .. import scenario
from ..engines import DEFAULT_ENGINE, ENGINES
from ..errors import TcpsimError
from ..simulate import overrides


def positive(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return v


def integer(lo, hi, allowed):
    """An argparse type: an integer with lo <= v < hi (hi None: no upper bound)."""
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if v < lo or (hi is not None and v >= hi):
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text}")
        return v
    return parse


def schema_option(section, key):
    """An argparse type for an option that overrides a scenario key: the value is checked against the
    schema's entry (``scenario.SCHEMA``, the one home of its type and range) before anything is read."""
    spec = scenario.SCHEMA[section][key]
    kind = "an integer" if spec.type is int else "a number"

    def parse(text):
        try:
            v = spec.type(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {kind}: {text!r}") from None
        if not spec.lo <= v <= spec.hi:
            bounds = f"{spec.lo} to {spec.hi}" if spec.type is int else f"{spec.lo:g} to {spec.hi:g}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {text}")
        return v
    return parse


def hardware_setting(text):
    """An argparse type for ``--hardware KEY=VALUE``: a key of the schema's [hardware] and a TOML value (its type
    and range are checked when the scenarios load, with errors naming --hardware)."""
    import tomllib

    from ..errors import did_you_mean
    key, sep, rhs = text.partition("=")
    key = key.strip()
    keys = scenario.SCHEMA["hardware"]
    if not sep:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r} (e.g. threads_per_core=2)")
    if key not in keys:
        raise argparse.ArgumentTypeError(f"unknown [hardware] key {key!r}{did_you_mean(key, keys)}; allowed: "
                                         f"{', '.join(keys)}")
    try:
        return key, tomllib.loads(f"v = {rhs.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        raise argparse.ArgumentTypeError(f"{key}={rhs.strip()}: not a TOML value (e.g. 2, true, [0, 1] or "
                                         "\"linux\")") from None


def hardware_settings(pairs) -> dict | None:
    """``--hardware`` given several times, as {key: value}; a key given twice is an error."""
    out = {}
    for key, value in pairs or ():
        if key in out:
            raise TcpsimError(f"--hardware {key}: given twice ({out[key]!r} and {value!r}); allowed: each key once")
        out[key] = value
    return out or None


seed = schema_option("run", "seed")
jobs = integer(1, None, ">= 1")


def seeds(text):
    """--seeds: a count N (the first seed and the N-1 after it) or a comma list of seeds (1,5,9)."""
    parts = text.split(",")
    try:
        values = [seed(x) for x in parts]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a count like 3 or seeds like 1,5,9 (each 0 to 2**63-1), "
                                         f"got {text!r}") from None
    if len(parts) == 1:
        if values[0] < 1:
            raise argparse.ArgumentTypeError(f"a count of seeds must be >= 1, got {text}")
        return values[0]
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"a seed is listed twice in {text!r}; allowed: distinct seeds")
    return values


def int_list(text):
    try:
        values = [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 1,2,4, got {text!r}") from None
    return values


def cpu_list(text):
    """A list of CPUs as cpuset(1) writes it: numbers and ranges, e.g. 0-3 or 0,2,4-5."""
    cpus = []
    for part in text.split(","):
        lo, dash, hi = part.strip().partition("-")
        try:
            first, last = int(lo), int(hi if dash else lo)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected CPUs like 0,1 or 0-3 (cpuset's syntax), got {text!r}") from None
        if last < first:
            raise argparse.ArgumentTypeError(f"range {part.strip()} runs backwards; allowed: LOW-HIGH, e.g. 0-3")
        cpus += [c for c in range(first, last + 1) if c not in cpus]
    return cpus


def engine(p):
    p.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE,
                   help=f"simulation engine (default: {DEFAULT_ENGINE}, event for event the same run as simpy, the "
                        f"reference; choices: {', '.join(ENGINES)})")


def common(p, what="the scenario's"):
    p.add_argument("--seed", type=seed, help=f"seed of every random stream (default: {what})")
    p.add_argument("--duration", type=schema_option("run", "duration_s"),
                   help=f"measured window in simulated seconds (default: {what})")
    engine(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text (default: text)")


def allow_lor(p):
    p.add_argument("--allow-lor", action="store_true",
                   help="run a variant even if WITNESS finds a lock order reversal (default: refuse it, exit 2)")


def lock_rows(p):
    p.add_argument("--lock-rows", type=integer(0, None, ">= 0"), default=12, metavar="N",
                   help="lock profile rows to show, by wait_total (default 12; 0: all)")


def quiet(p):
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar and no warnings on stderr (the bar is drawn only when stderr is a terminal)")


def counted(n: int, noun: str) -> str:
    """'1 run', '4 runs': a count with its noun."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def check_seeds(args):
    if isinstance(args.seeds, list) and args.seed is not None:
        raise TcpsimError("--seed and --seeds S1,S2,... both choose seeds; allowed: one of them, or --seed S "
                          "--seeds N for S, S+1, ..., S+N-1")


def parallel(p, first_seed):
    """Replications and where they run: --seeds, --jobs, --scheduler (sweep, compare, lockbench)."""
    p.add_argument("--seeds", type=seeds, metavar="N|S1,S2,...",
                   help=f"run every point with N seeds (--seed or {first_seed} and the N-1 after it) or "
                        "with the listed seeds; the table shows each number's mean ± the half-width of its 95%% "
                        "confidence interval (Student t over the seeds); default: one seed")
    p.add_argument("--jobs", type=jobs, help="runs in parallel local processes (default: 1)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a dask.distributed cluster: the address its 'dask scheduler' prints, e.g. "
                        "tcp://10.0.0.5:8786 (same numbers as a local run; needs tcpsim[dask] here and on the workers)")


def check_parallel(args):
    """The checks of parallel()'s options (before anything runs)."""
    if args.scheduler and args.jobs is not None:
        raise TcpsimError("--jobs and --scheduler: both choose where runs go; allowed: one of them (with "
                          "--scheduler the cluster's workers run in parallel)")
    check_seeds(args)


# The options that override a scenario key: errors about such a value name the option, not the file.
ORIGINS = {("run", "seed"): "--seed", ("run", "duration_s"): "--duration", ("run", "warmup_s"): "--warmup",
           ("scenario", "variant"): "--variant"}


def load_overrides(args) -> dict:
    """The scenario keys the common options override, as {section: {key: value}}."""
    over = overrides(args.seed, args.duration, getattr(args, "warmup", None))
    if getattr(args, "variant", None) is not None:
        over.setdefault("scenario", {})["variant"] = args.variant
    return over


def load(args):
    return scenario.load(args.scenario, load_overrides(args), ORIGINS)


def output_file(path, option):
    """Refuse, before anything runs, an output file whose folder does not exist."""
    if path is not None and not Path(path).resolve().parent.is_dir():
        raise TcpsimError(f"{option} {path}: folder {Path(path).parent} does not exist; allowed: a file in an "
                          "existing folder")


def write_text(path, text, option):
    try:
        Path(path).write_text(text)
    except OSError as e:
        raise TcpsimError(f"{option} {path}: cannot write ({e.strerror})") from None
