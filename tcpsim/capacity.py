"""Capacity: the highest open-loop offered rate a machine sustains, found by search, by a stated rule.

The article's figures are capacity measurements ("at approximately 56,000 connections per second"): a load
generator offers connections at a rate and the rate is raised until the server stops keeping up. A closed loop
of C clients measures something else -- it always saturates the bottleneck, so its busiest CPU is never idle,
and C decides how full each receive pass is. ``search`` runs the scenario as an open loop at a series of offered
rates (every seed at each) and returns the highest one at which every seed met ``Rule``.

The search: the first probe is ``start`` (default: 10,000/s); each probe that holds multiplies the rate by
``GROW`` until one fails (each that fails divides it until one holds), then the bracket [held, failed] is
bisected until its width is at most ``resolution`` of the rate that held. It assumes that a rate that fails
makes every higher rate fail too (which the probes it prints let a reader check).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from . import scenario
from .engines import DEFAULT_ENGINE
from .errors import TcpsimError
from .execute import run_all
from .simulate import run_model

GROW = 1.25  # the factor between probes until the capacity is bracketed
MAX_PROBES = 60  # a search that has not converged by then is a bug or a machine without a capacity


@dataclass(frozen=True)
class Rule:
    """When an offered rate counts as sustained (over the scenario's measured window, for every seed)."""

    goodput_ratio: float = 0.99  # completed connections/s at least this share of the offered rate
    ring_drops: int = 0  # receive-ring drops (rx_ring_full) allowed
    retransmissions: int = 0  # client segments resent after a loss (any cause) allowed

    def __post_init__(self):
        if not 0.0 < self.goodput_ratio <= 1.0:
            raise TcpsimError(f"capacity rule: goodput ratio {self.goodput_ratio!r} is out of range; allowed: "
                              "above 0 up to 1 (e.g. 0.99)")
        for name in ("ring_drops", "retransmissions"):
            if getattr(self, name) < 0:
                raise TcpsimError(f"capacity rule: {name} {getattr(self, name)!r} is negative; allowed: 0 or more")

    def describe(self) -> str:
        return (f"goodput >= {100 * self.goodput_ratio:g}% of offered, at most {self.ring_drops} ring drops and "
                f"{self.retransmissions} retransmissions in the measured window, every seed")

    def verdict(self, point: dict) -> str:
        """'' when ``point`` (a Point's numbers) meets the rule, else what broke it."""
        broken = []
        if point["goodput_cps"] < self.goodput_ratio * point["offered_cps"]:
            broken.append(f"goodput {point['goodput_cps']:,.0f} < {100 * self.goodput_ratio:g}% of "
                          f"{point['offered_cps']:,.0f}")
        if point["ring_drops"] > self.ring_drops:
            broken.append(f"{point['ring_drops']:,} ring drops")
        if point["retransmissions"] > self.retransmissions:
            broken.append(f"{point['retransmissions']:,} retransmissions")
        return "; ".join(broken)


@dataclass
class Probe:
    """One offered rate tried: each seed's numbers and whether the rule held for all of them."""

    rate: float
    seeds: list = field(default_factory=list)  # per seed: goodput_cps, offered_cps, ring_drops, retransmissions
    held: bool = False
    why: str = ""  # the first seed's broken rule, when it did not hold


@dataclass
class Capacity:
    scenario: str
    engine: str
    arrivals: str
    jitter: float
    rule: Rule
    rate: float  # the highest offered rate that held (0.0: none did)
    probes: list  # in the order they ran
    result: dict | None = None  # the run at the capacity (first seed), with every view of `tcpsim run`
    engine_run: object = None  # that run's finished engine (pmcstat samples), not serialised

    def to_dict(self) -> dict:
        return {"scenario": self.scenario, "engine": self.engine, "arrivals": self.arrivals, "jitter": self.jitter,
                "rule": {**asdict(self.rule), "text": self.rule.describe()}, "capacity_cps": self.rate,
                "probes": [asdict(p) for p in self.probes], "at_capacity": self.result}


def _load(path, over, costs=None):
    model = scenario.load(path, over)
    if costs:  # calibration tries costs of its own
        model.costs.update(costs)
    return model


def _point(task) -> dict:
    path, over, engine, costs = task
    result, _ = run_model(_load(path, over, costs), engine)
    return {"goodput_cps": result["goodput_cps"], "offered_cps": result["offered_cps"],
            "ring_drops": int(result["drops"].get("rx_ring_full", 0)),
            "retransmissions": int(sum(result["retransmissions"].values()))}


def open_loop(rate: float, arrivals: str, jitter: float, seed: int, given: dict | None = None) -> dict:
    """The overrides that make a scenario an open loop at ``rate`` with ``seed``, on top of the user's own."""
    over = {section: dict(keys) for section, keys in (given or {}).items()}
    over.setdefault("clients", {}).update(mode="open", rate=float(rate), arrivals=arrivals, jitter=float(jitter))
    over.setdefault("run", {})["seed"] = seed
    return over


def search(path, seeds=(1,), rule: Rule = Rule(), arrivals: str | None = None, jitter: float | None = None,
           engine: str = DEFAULT_ENGINE, start: float = 10_000.0, resolution: float = 0.005, given: dict | None = None,
           jobs: int = 1, on_probe=None, views: bool = True, costs: dict | None = None) -> Capacity:
    """The capacity of the scenario at ``path`` (see the module's docstring). ``arrivals``/``jitter``: the open
    loop's arrival process (default: the scenario's own); ``given``: other overrides ({section: {key: value}},
    the clients' mode and rate excepted); ``on_probe(probe)``: called after each probe (progress);
    ``views``: run once more at the capacity for every view of `tcpsim run`; ``costs``: costs that replace the
    costs file's (calibration)."""
    if not 0.0 < resolution < 1.0:
        raise TcpsimError(f"capacity: resolution {resolution!r} is out of range; allowed: above 0, below 1 "
                          "(e.g. 0.005 for 0.5%)")
    if not start > 0:
        raise TcpsimError(f"capacity: start {start!r} is out of range; allowed: a rate above 0 connections/s")
    for section, key in (("clients", "mode"), ("clients", "rate"), ("run", "seed")):
        if key in (given or {}).get(section, {}):
            raise TcpsimError(f"capacity: [{section}] {key} is the search's own (it offers open-loop rates at each "
                              "of its seeds); allowed: any other key, and seeds to choose the seeds")
    base = scenario.load(path, given)  # validates the user's overrides once, with the file's errors
    arrivals = arrivals or base.clients.arrivals
    jitter = base.clients.jitter if jitter is None else jitter
    if arrivals != "paced" and jitter:
        raise TcpsimError(f"capacity: jitter {jitter!r} applies to paced arrivals only; allowed: --arrivals paced "
                          "with it, or no jitter")
    seeds = list(seeds)
    probes: list[Probe] = []

    def probe(rate: float) -> bool:
        if len(probes) >= MAX_PROBES:
            raise TcpsimError(f"capacity: no capacity bracketed in {MAX_PROBES} probes (last {rate:,.0f}/s); "
                              "allowed: a scenario whose goodput stops following the offered rate")
        p = Probe(rate)
        tasks = [(str(path), open_loop(rate, arrivals, jitter, s, given), engine, costs) for s in seeds]
        points = [None] * len(tasks)
        for i, point in run_all(_point, tasks, jobs=jobs):
            points[i] = point
        p.seeds = points
        whys = [rule.verdict(pt) for pt in points]
        p.held = not any(whys)
        p.why = next((w for w in whys if w), "")
        probes.append(p)
        if on_probe:
            on_probe(p)
        return p.held

    lo, hi = 0.0, None  # the highest rate that held, the lowest that failed
    rate = start
    if probe(rate):
        lo = rate
        while probe(rate * GROW):
            rate *= GROW
            lo = rate
        hi = rate * GROW
    else:
        hi = rate
        while rate > 1.0 and not probe(rate / GROW):
            rate /= GROW
            hi = rate
        lo = rate / GROW if rate > 1.0 else 0.0
    while lo > 0 and (hi - lo) > resolution * lo:
        mid = round((lo + hi) / 2, 1)
        if probe(mid):
            lo = mid
        else:
            hi = mid
    cap = Capacity(str(path), engine, arrivals, jitter, rule, lo, probes)
    if views and lo > 0:
        cap.result, cap.engine_run = run_model(_load(path, open_loop(lo, arrivals, jitter, seeds[0], given), costs),
                                               engine)
    return cap


def format_probes(cap: Capacity) -> str:
    """The probes in the order they ran, and the capacity with its rule."""
    lines = [f"{'offered/s':>12}  {'held':>4}  {'goodput/s (min over seeds)':>26}  {'ring drops':>10}  "
             f"{'retrans':>7}  why not"]
    for p in cap.probes:
        lines.append(f"{p.rate:>12,.0f}  {'yes' if p.held else 'no':>4}  "
                     f"{min(s['goodput_cps'] for s in p.seeds):>26,.0f}  "
                     f"{max(s['ring_drops'] for s in p.seeds):>10,}  {max(s['retransmissions'] for s in p.seeds):>7,}"
                     f"  {p.why}")
    arrivals = cap.arrivals + (f" (jitter ±{100 * cap.jitter:g}%)" if cap.arrivals == "paced" else "")
    lines += ["", f"capacity: {cap.rate:,.0f} connections/s  ({cap.engine} engine, {arrivals} arrivals, "
              f"{len(cap.probes[0].seeds)} seed{'s' if len(cap.probes[0].seeds) != 1 else ''})",
              f"rule: {cap.rule.describe()}"]
    return "\n".join(lines)
