"""Tests for tcpsim.rng and the xoshiro256** core: reproducibility, stream independence, ranges and
a loose statistical check, plus agreement with a pure-Python reference generator."""
import math
import zlib

import pytest

from tcpsim._core import Xoshiro256
from tcpsim.rng import Stream, stream_id

M64 = (1 << 64) - 1


# -- independent pure-Python reference --------------------------------------------------------------

def ref_splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def ref_mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class RefXoshiro:
    def __init__(self, state):
        self.s = list(state)

    @classmethod
    def seeded(cls, seed, stream):
        sm = seed ^ ref_mix64((stream + 0x9E3779B97F4A7C15) & M64)
        state = []
        for _ in range(4):
            sm, out = ref_splitmix64(sm)
            state.append(out)
        return cls(state)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result


def test_reference_against_published_values():
    # splitmix64 from 0: first output 0xe220a8397b1dcdaf; xoshiro256** from state {1,2,3,4}.
    assert ref_splitmix64(0)[1] == 0xE220A8397B1DCDAF
    ref = RefXoshiro([1, 2, 3, 4])
    assert [ref.next() for _ in range(4)] == [11520, 0, 1509978240, 1215971899390074240]


@pytest.mark.parametrize("seed,stream", [(0, 0), (1, 2), (12345, 0xFFFFFFFF), (M64, M64), (42, stream_id("arrivals"))])
def test_core_matches_reference(seed, stream):
    gen = Xoshiro256(seed, stream)
    ref = RefXoshiro.seeded(seed, stream)
    assert [gen.next_u64() for _ in range(1000)] == [ref.next() for _ in range(1000)]


def test_core_derived_methods_match_reference():
    gen = Xoshiro256(7, 9)
    ref = RefXoshiro.seeded(7, 9)
    for _ in range(1000):
        assert gen.random() == (ref.next() >> 11) / 2.0**53
    for _ in range(1000):
        assert gen.uniform(-3.0, 5.0) == -3.0 + 8.0 * ((ref.next() >> 11) / 2.0**53)
    for _ in range(1000):
        u = (ref.next() >> 11) / 2.0**53
        assert gen.expovariate(2.5) == pytest.approx(-math.log(1.0 - u) / 2.5, rel=1e-15, abs=0)
    for _ in range(1000):
        # n = 10: threshold 2**64 mod 10 = 6, so rejection is practically never exercised.
        r = ref.next()
        while r < (1 << 64) % 10:
            r = ref.next()
        assert gen.randrange(10) == r % 10


def test_core_randrange_rejection_matches_reference():
    # n = 2**63 + 1 rejects almost half of the raw outputs: checks the unbiased rejection loop.
    n = (1 << 63) + 1
    gen = Xoshiro256(3, 4)
    ref = RefXoshiro.seeded(3, 4)
    threshold = (1 << 64) % n
    for _ in range(500):
        r = ref.next()
        while r < threshold:
            r = ref.next()
        assert gen.randrange(n) == r % n


def test_core_argument_checks():
    with pytest.raises(ValueError):
        Xoshiro256(-1, 0)
    with pytest.raises(ValueError):
        Xoshiro256(0, 1 << 64)
    with pytest.raises(TypeError):
        Xoshiro256(1.0, 0)
    gen = Xoshiro256(1, 1)
    assert 0 <= gen.randrange(1 << 64) <= M64
    with pytest.raises(ValueError):
        gen.randrange((1 << 64) + 1)
    assert gen.seed == 1 and gen.stream == 1


# -- Stream ----------------------------------------------------------------------------------------

def test_stream_id_is_stable_crc32():
    assert stream_id("arrivals") == zlib.crc32(b"arrivals")
    assert stream_id("é") == zlib.crc32("é".encode("utf-8"))
    with pytest.raises(TypeError):
        stream_id(3)
    with pytest.raises(ValueError):
        stream_id("")


def test_same_seed_and_name_same_sequence():
    a, b = Stream(2024, "arrivals"), Stream(2024, "arrivals")
    for _ in range(1000):
        assert a.random() == b.random()
        assert a.expovariate(3.0) == b.expovariate(3.0)
        assert a.randrange(17) == b.randrange(17)
        assert a.uniform(1.0, 2.0) == b.uniform(1.0, 2.0)
        assert a.choice("abcdef") == b.choice("abcdef")


def test_stream_is_core_generator_with_crc32_stream_id():
    s = Stream(99, "service")
    core = Xoshiro256(99, zlib.crc32(b"service"))
    assert [s.next_u64() for _ in range(100)] == [core.next_u64() for _ in range(100)]


def test_different_names_different_sequences():
    names = ["arrivals", "service", "rss", "loss", "arrival", "Arrivals"]
    seqs = {name: tuple(Stream(1, name).next_u64() for _ in range(8)) for name in names}
    assert len(set(seqs.values())) == len(names)


def test_different_seeds_different_sequences():
    seqs = {tuple(Stream(seed, "arrivals").next_u64() for _ in range(8)) for seed in range(50)}
    assert len(seqs) == 50


def test_streams_do_not_interfere():
    # Draws on one stream must not change another stream's numbers.
    alone = Stream(5, "b")
    expected = [alone.random() for _ in range(100)]
    a, b = Stream(5, "a"), Stream(5, "b")
    got = []
    for _ in range(100):
        a.random()
        a.randrange(1000)
        got.append(b.random())
    assert got == expected


def test_different_streams_uncorrelated():
    a, b = Stream(11, "x"), Stream(11, "y")
    n = 20000
    xs = [a.random() for _ in range(n)]
    ys = [b.random() for _ in range(n)]
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / n
    corr = cov / (math.sqrt(sum((x - mx) ** 2 for x in xs) / n) * math.sqrt(sum((y - my) ** 2 for y in ys) / n))
    assert abs(corr) < 0.05


def test_ranges():
    s = Stream(7, "ranges")
    for _ in range(20000):
        u = s.random()
        assert 0.0 <= u < 1.0
        v = s.uniform(-2.0, 3.0)
        assert -2.0 <= v <= 3.0
        r = s.randrange(7)
        assert 0 <= r < 7 and isinstance(r, int)
        e = s.expovariate(0.5)
        assert e >= 0.0 and math.isfinite(e)
        assert s.choice([10, 20, 30]) in (10, 20, 30)
    assert {s.randrange(7) for _ in range(2000)} == set(range(7))
    assert s.randrange(1) == 0
    assert s.uniform(4.0, 4.0) == 4.0


def test_uniform_and_randrange_statistics():
    s = Stream(13, "stats")
    n = 100_000
    mean_u = sum(s.random() for _ in range(n)) / n
    assert abs(mean_u - 0.5) < 0.01  # sd of the mean ~ 0.0009
    counts = [0] * 10
    for _ in range(n):
        counts[s.randrange(10)] += 1
    chi2 = sum((c - n / 10) ** 2 / (n / 10) for c in counts)
    assert chi2 < 40  # 9 degrees of freedom; p(chi2 > 40) ~ 1e-5


@pytest.mark.parametrize("rate", [0.5, 1.0, 250.0])
def test_expovariate_mean(rate):
    s = Stream(2718, f"exp-{rate}")
    n = 100_000
    draws = [s.expovariate(rate) for _ in range(n)]
    mean = sum(draws) / n
    # sd of the sample mean is (1/rate)/sqrt(n) ~ 0.32% of the mean; allow 2%.
    assert abs(mean * rate - 1.0) < 0.02
    var = sum((d - mean) ** 2 for d in draws) / n
    assert abs(var * rate * rate - 1.0) < 0.05


def test_argument_errors():
    s = Stream(1, "errors")
    with pytest.raises(ValueError):
        s.expovariate(0.0)
    with pytest.raises(ValueError):
        s.expovariate(-1.0)
    with pytest.raises(ValueError):
        s.expovariate(float("nan"))
    with pytest.raises(ValueError):
        s.randrange(0)
    with pytest.raises(ValueError):
        s.randrange(-5)
    with pytest.raises(TypeError):
        s.randrange(2.5)
    with pytest.raises(ValueError, match="empty"):
        s.choice([])
    with pytest.raises(ValueError):
        Stream(-1, "x")
    with pytest.raises(ValueError):
        Stream(1 << 64, "x")
    with pytest.raises(TypeError):
        Stream("1", "x")
    with pytest.raises(TypeError):
        Stream(1, 5)


def test_repr():
    assert repr(Stream(3, "arrivals")) == "Stream(seed=3, name='arrivals')"
