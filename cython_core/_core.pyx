# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Native primitives of tcpsim (private; use :mod:`tcpsim.rss` and :mod:`tcpsim.rng`).

* :func:`toeplitz_hash` -- the Microsoft RSS Toeplitz hash a NIC computes per received packet.
* :class:`Xoshiro256` -- the xoshiro256** generator (Blackman & Vigna) seeded through splitmix64
  from ``(seed, stream)``, so that many independent, named streams can share one experiment seed.

Each public ``def`` only checks and converts its arguments, then calls a ``cdef inline`` C-level routine.
"""

from libc.stdint cimport uint8_t, uint32_t, uint64_t

from prims cimport _bounded, _expovariate, _to_unit, _toeplitz, _xoshiro_next, _xoshiro_seed

_U64_MAX = (1 << 64) - 1   # Python ints: range checks must not wrap around in C
_TWO64 = 1 << 64


# --------------------------------------------------------------------------------------------------
# Toeplitz hash
# --------------------------------------------------------------------------------------------------

def toeplitz_hash(const uint8_t[:] key not None, const uint8_t[:] data not None):
    """Return the 32-bit Microsoft RSS Toeplitz hash of ``data`` under ``key``.

    ``key`` and ``data`` are bytes-like; ``key`` must be at least ``len(data) + 4`` bytes long.
    """
    if key.shape[0] < data.shape[0] + 4:
        raise ValueError(
            f"Toeplitz key too short: {key.shape[0]} bytes for {data.shape[0]} bytes of input "
            f"(need at least {data.shape[0] + 4})"
        )
    return _toeplitz(&key[0], &data[0], data.shape[0]) if data.shape[0] else 0


# --------------------------------------------------------------------------------------------------
# splitmix64 + xoshiro256**
# --------------------------------------------------------------------------------------------------

cdef class Xoshiro256:
    """xoshiro256** pseudo-random generator, seeded by splitmix64 from ``(seed, stream)``.

    The splitmix64 seed is ``seed XOR mix64(stream + 0x9E3779B97F4A7C15)``, where ``mix64`` is the
    splitmix64 finaliser (a bijection), so distinct stream ids under one seed give unrelated states. ``seed`` and ``stream`` are
    unsigned 64-bit integers.
    """

    cdef uint64_t s[4]
    cdef readonly object seed
    cdef readonly object stream

    def __cinit__(self, seed, stream=0):
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise TypeError(f"seed must be an int, got {type(seed).__name__}")
        if not isinstance(stream, int) or isinstance(stream, bool):
            raise TypeError(f"stream must be an int, got {type(stream).__name__}")
        if not 0 <= seed <= _U64_MAX:
            raise ValueError(f"seed must be in [0, 2**64), got {seed}")
        if not 0 <= stream <= _U64_MAX:
            raise ValueError(f"stream must be in [0, 2**64), got {stream}")
        self.seed = seed
        self.stream = stream
        _xoshiro_seed(self.s, <uint64_t>seed, <uint64_t>stream)

    def next_u64(self):
        """Next raw 64-bit output."""
        return _xoshiro_next(self.s)

    def random(self):
        """Float uniformly distributed in [0, 1), built from the top 53 bits of one output."""
        return _to_unit(_xoshiro_next(self.s))

    def expovariate(self, double rate):
        """Exponential variate with the given rate (mean 1/rate), by inverse CDF on 1 - U."""
        if not rate > 0.0:
            raise ValueError(f"expovariate rate must be > 0, got {rate}")
        return _expovariate(self.s, rate)

    def randrange(self, n):
        """Unbiased integer in [0, n) for 0 < n <= 2**64."""
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"randrange bound must be an int, got {type(n).__name__}")
        if n <= 0:
            raise ValueError(f"randrange bound must be > 0, got {n}")
        if n > _U64_MAX:
            if n == _TWO64:
                return _xoshiro_next(self.s)
            raise ValueError(f"randrange bound must be <= 2**64, got {n}")
        return _bounded(self.s, <uint64_t>n)

    def uniform(self, double a, double b):
        """Float in [a, b) (a + (b - a) * U)."""
        return a + (b - a) * _to_unit(_xoshiro_next(self.s))

    def __repr__(self):
        return f"Xoshiro256(seed={self.seed}, stream={self.stream})"
