# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Native primitives of tcpsim (private; use :mod:`tcpsim.rss` and :mod:`tcpsim.rng`).

* :func:`toeplitz_hash` -- the Microsoft RSS Toeplitz hash a NIC computes per received packet.
* :class:`Xoshiro256` -- the xoshiro256** generator (Blackman & Vigna) seeded through splitmix64
  from ``(seed, stream)``, so that many independent, named streams can share one experiment seed.

Each public ``def`` only checks and converts its arguments, then calls a ``cdef inline`` C-level routine.
"""

from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.math cimport log

_U64_MAX = (1 << 64) - 1   # Python ints: range checks must not wrap around in C
_TWO64 = 1 << 64


# --------------------------------------------------------------------------------------------------
# Toeplitz hash
# --------------------------------------------------------------------------------------------------

cdef inline uint32_t _toeplitz(const uint8_t[:] key, const uint8_t[:] data) noexcept nogil:
    """Toeplitz hash of ``data`` under ``key``; caller guarantees len(key) >= len(data) + 4.

    For every input bit (most significant bit of the first byte first) that is set, XOR into the
    result the 32-bit window of the key that starts at the same bit position.
    """
    cdef Py_ssize_t n = data.shape[0]
    cdef Py_ssize_t i
    cdef int b
    cdef uint32_t result = 0
    # 64-bit window: the high 32 bits are the current key window, the low 32 bits are the
    # following key bits waiting to be shifted in.
    cdef uint64_t window = (
        (<uint64_t>key[0] << 56) | (<uint64_t>key[1] << 48) | (<uint64_t>key[2] << 40) | (<uint64_t>key[3] << 32)
    )
    cdef uint8_t byte
    for i in range(n):
        window |= <uint64_t>key[i + 4] << 24
        byte = data[i]
        for b in range(8):
            if byte & (0x80 >> b):
                result ^= <uint32_t>(window >> 32)
            window <<= 1
    return result


def toeplitz_hash(const uint8_t[:] key not None, const uint8_t[:] data not None):
    """Return the 32-bit Microsoft RSS Toeplitz hash of ``data`` under ``key``.

    ``key`` and ``data`` are bytes-like; ``key`` must be at least ``len(data) + 4`` bytes long.
    """
    if key.shape[0] < data.shape[0] + 4:
        raise ValueError(
            f"Toeplitz key too short: {key.shape[0]} bytes for {data.shape[0]} bytes of input "
            f"(need at least {data.shape[0] + 4})"
        )
    return _toeplitz(key, data)


# --------------------------------------------------------------------------------------------------
# splitmix64 + xoshiro256**
# --------------------------------------------------------------------------------------------------

cdef inline uint64_t _rotl(uint64_t x, int k) noexcept nogil:
    return (x << k) | (x >> (64 - k))


cdef inline uint64_t _splitmix64_next(uint64_t* state) noexcept nogil:
    state[0] += 0x9E3779B97F4A7C15ULL
    cdef uint64_t z = state[0]
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline uint64_t _mix64(uint64_t z) noexcept nogil:
    """The splitmix64 output finaliser (a bijection on 64-bit integers)."""
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline uint64_t _xoshiro_next(uint64_t* s) noexcept nogil:
    cdef uint64_t result = _rotl(s[1] * 5, 7) * 9
    cdef uint64_t t = s[1] << 17
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


cdef inline double _to_unit(uint64_t x) noexcept nogil:
    """Top 53 bits as a double in [0, 1)."""
    return <double>(x >> 11) * (1.0 / 9007199254740992.0)


cdef inline uint64_t _bounded(uint64_t* s, uint64_t n) noexcept nogil:
    """Unbiased integer in [0, n), n > 0: reject the 2**64 mod n lowest outputs, then reduce."""
    cdef uint64_t threshold = (0 - n) % n   # == 2**64 mod n
    cdef uint64_t r
    while True:
        r = _xoshiro_next(s)
        if r >= threshold:
            return r % n


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
        self._init(<uint64_t>seed, <uint64_t>stream)

    cdef inline void _init(self, uint64_t seed, uint64_t stream) noexcept:
        cdef uint64_t sm = seed ^ _mix64(stream + 0x9E3779B97F4A7C15ULL)
        cdef int i
        for i in range(4):
            self.s[i] = _splitmix64_next(&sm)
        if (self.s[0] | self.s[1] | self.s[2] | self.s[3]) == 0:   # all-zero state is a fixed point
            self.s[0] = 0x9E3779B97F4A7C15ULL

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
        # 0.0 - log(1) is +0.0 (a bare -log(1) would be -0.0); 1 - U is in (0, 1], so log never sees 0.
        return (0.0 - log(1.0 - _to_unit(_xoshiro_next(self.s)))) / rate

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
