# cython: language_level=3
"""C-level primitives shared by tcpsim's extensions (``_core``: the Python-facing hash and random streams;
``_fast``: the fast engine, which draws from the same streams and hashes the same flows without a Python
call). Inline functions only, so that each extension compiles its own copy."""

from libc.math cimport log
from libc.stdint cimport uint8_t, uint32_t, uint64_t


cdef inline uint32_t _toeplitz(const uint8_t* key, const uint8_t* data, Py_ssize_t n) noexcept nogil:
    """Toeplitz hash of ``data`` under ``key``; caller guarantees len(key) >= len(data) + 4.

    For every input bit (most significant bit of the first byte first) that is set, XOR into the
    result the 32-bit window of the key that starts at the same bit position.
    """
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


cdef inline void _xoshiro_seed(uint64_t* s, uint64_t seed, uint64_t stream) noexcept nogil:
    """The state for ``(seed, stream)``: splitmix64 from ``seed XOR mix64(stream + golden ratio)``."""
    cdef uint64_t sm = seed ^ _mix64(stream + 0x9E3779B97F4A7C15ULL)
    cdef int i
    for i in range(4):
        s[i] = _splitmix64_next(&sm)
    if (s[0] | s[1] | s[2] | s[3]) == 0:   # all-zero state is a fixed point
        s[0] = 0x9E3779B97F4A7C15ULL


cdef inline double _expovariate(uint64_t* s, double rate) noexcept nogil:
    """Exponential variate with the given rate (> 0), by inverse CDF on 1 - U: 0.0 - log(1) is +0.0 (a bare
    -log(1) would be -0.0); 1 - U is in (0, 1], so log never sees 0."""
    return (0.0 - log(1.0 - _to_unit(_xoshiro_next(s)))) / rate
