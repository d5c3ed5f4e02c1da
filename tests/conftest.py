"""Shared fixtures: small scenarios built from text, and a harness that runs hand-written paths."""
from __future__ import annotations

import io
from dataclasses import replace

import pytest

from tcpsim import scenario
from tcpsim.engines.simpy_engine import SimpyEngine, Thread
from tcpsim.model.rwlock import runlock_function

SMALL = """
[scenario]
name = "small"
[hardware]
cpus = 8
queues = 2
[app]
accept_cpu = 4
worker_cpus = [5]
[clients]
concurrency = 16
[run]
warmup_s = 0.002
duration_s = 0.005
"""


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, so commands draw their progress bars into it."""

    def isatty(self):
        return True


def make_model(text=SMALL, **sections):
    return scenario.build(scenario.parse(text, "<test>", sections), text)


@pytest.fixture
def small_model():
    return make_model()


class LockHarness:
    """An engine with no clients: tests add threads that run their own paths at chosen times."""

    def __init__(self, hardware=None, classes=None, **cost_overrides):
        """``classes``: {lock name: lock class} (model/lockclasses.py) for the locks the threads use."""
        m = make_model(run={"warmup_s": 0.0, "duration_s": 0.01}, **({"hardware": hardware} if hardware else {}))
        m.costs.update(cost_overrides)
        m.locks = {n: replace(d, cls=(classes or {}).get(n, d.cls)) for n, d in m.locks.items()}
        self.engine = SimpyEngine(m)
        self.env = self.engine.env
        self.log = []  # (time, thread name, event)

    def thread(self, name, cpu):
        th = Thread(name, name, 2000, 100, cpu, "system", "test")
        self.engine.threads.append(th)
        return th

    def start(self, th, at, program):
        """program: list of ("acquire", lock, mode) | ("release", lock) | ("work", ns) | ("sleep", ns) |
        ("retire", lock)."""
        eng, env = self.engine, self.env

        def proc():
            yield env.timeout(at)
            yield from eng._on_cpu(th)
            for op in program:
                if op[0] == "acquire":
                    lock = eng.global_locks[op[1]]
                    yield from eng._acquire(th, lock, op[2], f"test.c:{op[1]}", ("test",))
                    self.log.append((env.now, th.name, f"got {op[1]}"))
                elif op[0] == "release":
                    lock = eng.global_locks[op[1]]
                    wait = eng._release(th, lock)
                    if wait:  # a read release waits for the lock word's line, as the Release step does
                        yield from eng._wait_line(th, ("test", runlock_function(lock.cls)), wait)
                    self.log.append((env.now, th.name, f"released {op[1]}"))
                elif op[0] == "retire":
                    eng._retire(eng.global_locks[op[1]])
                    self.log.append((env.now, th.name, f"retired {op[1]}"))
                elif op[0] == "work":
                    eng._charge(th, env.now, op[1], ("work",), False)
                    yield env.timeout(op[1])
                elif op[0] == "sleep":  # leave the CPU (holding whatever is held), come back later
                    eng._off_cpu(th)
                    yield env.timeout(op[1])
                    yield from eng._on_cpu(th)
            eng._off_cpu(th)

        env.process(proc())

    def run(self, until):
        self.env.run(until=until)
        return self.log

    def order(self, event_prefix="got"):
        return [name for _, name, ev in self.log if ev.startswith(event_prefix)]


@pytest.fixture
def harness():
    return LockHarness
