"""Named, explicitly seeded random streams.

Every source of randomness in the simulator is a :class:`Stream` with its own name and the
experiment's seed, in the manner of ns-3's RngSeedManager/RngStream: a run is reproducible from
its seed alone, and adding, removing or reordering draws on one stream (say connection arrivals)
does not change the numbers any other stream (say service times) produces. Nothing uses the
global :mod:`random` module.

The stream id is ``zlib.crc32`` of the UTF-8 name -- stable across processes and Python versions,
unlike the salted built-in ``hash()``. The generator is xoshiro256** (``tcpsim._core.Xoshiro256``)
seeded through splitmix64 from ``(seed, stream id)``.
"""
from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import TypeVar

from tcpsim._core import Xoshiro256

__all__ = ["Stream", "stream_id"]

T = TypeVar("T")

_U64_MAX = (1 << 64) - 1


def stream_id(name: str) -> int:
    """Stable 32-bit stream id of a stream name (CRC-32 of its UTF-8 encoding)."""
    if not isinstance(name, str):
        raise TypeError(f"stream name must be a str, got {type(name).__name__}")
    if not name:
        raise ValueError("stream name must not be empty")
    return zlib.crc32(name.encode("utf-8"))


class Stream:
    """A named random stream: ``Stream(seed, name)``.

    The same ``(seed, name)`` always yields the same sequence; different names under one seed
    yield independent sequences. ``seed`` is an int in ``[0, 2**64)``.
    """

    __slots__ = ("seed", "name", "_gen")

    def __init__(self, seed: int, name: str) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise TypeError(f"seed must be an int, got {type(seed).__name__}")
        if not 0 <= seed <= _U64_MAX:
            raise ValueError(f"seed must be in [0, 2**64), got {seed}")
        self.seed = seed
        self.name = name
        self._gen = Xoshiro256(seed, stream_id(name))

    def random(self) -> float:
        """Float in [0, 1)."""
        return self._gen.random()

    def expovariate(self, rate: float) -> float:
        """Exponentially distributed float with the given rate (> 0); the mean is 1/rate."""
        return self._gen.expovariate(rate)

    def randrange(self, n: int) -> int:
        """Uniform integer in [0, n), n > 0, without modulo bias."""
        return self._gen.randrange(n)

    def uniform(self, a: float, b: float) -> float:
        """Float uniformly distributed between a and b (a + (b - a) * random())."""
        return self._gen.uniform(a, b)

    def choice(self, seq: Sequence[T]) -> T:
        """A uniformly chosen element of a non-empty sequence."""
        n = len(seq)
        if n == 0:
            raise ValueError("cannot choose from an empty sequence")
        return seq[self._gen.randrange(n)]

    def next_u64(self) -> int:
        """Next raw 64-bit output of the generator."""
        return self._gen.next_u64()

    def __repr__(self) -> str:
        return f"Stream(seed={self.seed}, name={self.name!r})"
