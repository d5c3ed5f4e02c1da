"""Tests for tcpsim.rss: the Toeplitz hash against Microsoft's published vectors and an independent
pure-Python reference, the redirection table, and input validation."""
import ipaddress
import random
import struct

import pytest

from tcpsim import rss
from tcpsim.rss import DEFAULT_KEY, RedirectionTable, hash_ipv4, hash_ipv4_tcp, toeplitz_hash

MS_KEY_BYTES = bytes([
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
    0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
    0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
    0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
    0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
])

# Microsoft, "Verifying the RSS Hash Calculation" (same rows as the Intel 82599 datasheet's RSS
# verification suite and DPDK's test_thash.c):
# (destination, dest port, source, source port, IPv4-only hash, IPv4+TCP hash)
IPV4_VECTORS = [
    ("161.142.100.80", 1766, "66.9.149.187", 2794, 0x323E8FC2, 0x51CCC178),
    ("65.69.140.83", 4739, "199.92.111.2", 14230, 0xD718262A, 0xC626B0EA),
    ("12.22.207.184", 38024, "24.19.198.95", 12898, 0xD2D0A5DE, 0x5C2B394A),
    ("209.142.163.6", 2217, "38.27.205.30", 48228, 0x82989176, 0xAFC7327F),
    ("202.188.127.2", 1303, "153.39.163.191", 44251, 0x5D1809C5, 0x10E828A2),
]

# The IPv6 rows of the same table, exercised through the generic toeplitz_hash (36 bytes of input
# with ports, which exactly uses up the 40-byte key).
IPV6_VECTORS = [
    ("3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794, 0x2CC18CD5, 0x40207D3D),
    ("ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230, 0x0F0C461C, 0xDDE51BBF),
    ("fe80::200:f8ff:fe21:67cf", 38024, "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251, 0x4B61E985, 0x02D1FEEF),
]


def ref_toeplitz(key: bytes, data: bytes) -> int:
    """Independent reference: treat key and data as big integers and slide a 32-bit window."""
    nbits = 8 * len(data)
    k = int.from_bytes(key, "big")
    klen = 8 * len(key)
    d = int.from_bytes(data, "big")
    result = 0
    for i in range(nbits):
        if (d >> (nbits - 1 - i)) & 1:
            result ^= (k >> (klen - 32 - i)) & 0xFFFFFFFF
    return result


def v4_input(src, dst, sport=None, dport=None) -> bytes:
    data = socket_aton(src) + socket_aton(dst)
    if sport is not None:
        data += struct.pack(">HH", sport, dport)
    return data


def socket_aton(addr: str) -> bytes:
    return bytes(int(part) for part in addr.split("."))


def test_default_key_is_microsoft_key():
    assert DEFAULT_KEY == MS_KEY_BYTES
    assert len(DEFAULT_KEY) == 40


def test_reference_implementation_matches_published_vectors():
    # Guards the reference itself, so that agreement with it below means something.
    for dst, dport, src, sport, h_ip, h_tcp in IPV4_VECTORS:
        assert ref_toeplitz(MS_KEY_BYTES, v4_input(src, dst)) == h_ip
        assert ref_toeplitz(MS_KEY_BYTES, v4_input(src, dst, sport, dport)) == h_tcp


@pytest.mark.parametrize("dst,dport,src,sport,h_ip,h_tcp", IPV4_VECTORS)
def test_ipv4_published_vectors(dst, dport, src, sport, h_ip, h_tcp):
    assert hash_ipv4(src, dst) == h_ip
    assert hash_ipv4_tcp(src, dst, sport, dport) == h_tcp
    assert hash_ipv4(src, dst, key=DEFAULT_KEY) == h_ip
    assert toeplitz_hash(DEFAULT_KEY, v4_input(src, dst, sport, dport)) == h_tcp


def test_ipv4_input_order_is_source_first():
    dst, dport, src, sport, h_ip, h_tcp = IPV4_VECTORS[0]
    assert hash_ipv4(dst, src) != h_ip
    assert hash_ipv4_tcp(dst, src, dport, sport) != h_tcp


@pytest.mark.parametrize("dst,dport,src,sport,h_ip,h_tcp", IPV6_VECTORS)
def test_ipv6_published_vectors_generic_hash(dst, dport, src, sport, h_ip, h_tcp):
    addrs = ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed
    with_ports = addrs + struct.pack(">HH", sport, dport)
    assert toeplitz_hash(DEFAULT_KEY, addrs) == h_ip == ref_toeplitz(DEFAULT_KEY, addrs)
    assert toeplitz_hash(DEFAULT_KEY, with_ports) == h_tcp == ref_toeplitz(DEFAULT_KEY, with_ports)


def test_matches_reference_on_random_inputs():
    gen = random.Random(20240601)
    for _ in range(500):
        n = gen.randrange(0, 40)
        key = bytes(gen.randrange(256) for _ in range(n + 4 + gen.randrange(0, 8)))
        data = bytes(gen.randrange(256) for _ in range(n))
        assert toeplitz_hash(key, data) == ref_toeplitz(key, data)


def test_result_is_32_bit_and_edge_cases():
    assert toeplitz_hash(DEFAULT_KEY, b"") == 0
    assert toeplitz_hash(DEFAULT_KEY, b"\x00" * 36) == 0
    # A single leading 1 bit selects exactly the first 32 key bits.
    assert toeplitz_hash(DEFAULT_KEY, b"\x80") == 0x6D5A56DA
    assert toeplitz_hash(b"\xff" * 40, b"\xff" * 36) == 0  # even number of all-ones windows
    h = toeplitz_hash(b"\xff" * 40, b"\xff" * 35 + b"\xfe")
    assert h == 0xFFFFFFFF
    # bytes-like inputs are accepted
    dst, dport, src, sport, h_ip, _ = IPV4_VECTORS[1]
    assert toeplitz_hash(bytearray(DEFAULT_KEY), memoryview(v4_input(src, dst))) == h_ip


def test_core_hash_directly():
    from tcpsim import _core

    dst, dport, src, sport, h_ip, h_tcp = IPV4_VECTORS[2]
    assert _core.toeplitz_hash(DEFAULT_KEY, v4_input(src, dst, sport, dport)) == h_tcp
    with pytest.raises(ValueError):
        _core.toeplitz_hash(b"\x00" * 7, b"1234")


def test_short_key_rejected():
    with pytest.raises(ValueError, match="key too short"):
        toeplitz_hash(b"\x01\x02\x03\x04\x05", b"\x00\x00")
    # exactly len(data) + 4 is enough
    assert toeplitz_hash(b"\x01\x02\x03\x04\x05\x06", b"\x00\x00") == 0
    with pytest.raises(ValueError, match="key too short"):
        hash_ipv4_tcp("1.2.3.4", "5.6.7.8", 1, 2, key=DEFAULT_KEY[:15])
    assert hash_ipv4_tcp("1.2.3.4", "5.6.7.8", 1, 2, key=DEFAULT_KEY[:16]) == hash_ipv4_tcp(
        "1.2.3.4", "5.6.7.8", 1, 2
    )


def test_non_bytes_rejected():
    with pytest.raises(TypeError):
        toeplitz_hash("not bytes", b"")
    with pytest.raises(TypeError):
        toeplitz_hash(DEFAULT_KEY, "abc")


@pytest.mark.parametrize("bad", ["1.2.3", "127.1", "256.1.1.1", "1.2.3.4.5", "", "a.b.c.d", "::1", "1.2.3.4 ", "1.2.3.4\x00"])
def test_bad_addresses_rejected(bad):
    with pytest.raises(ValueError, match="invalid IPv4"):
        hash_ipv4(bad, "1.2.3.4")
    with pytest.raises(ValueError, match="destination"):
        hash_ipv4_tcp("1.2.3.4", bad, 1, 2)


def test_address_must_be_string():
    with pytest.raises(TypeError):
        hash_ipv4(0x01020304, "1.2.3.4")


@pytest.mark.parametrize("bad", [-1, 65536, 1 << 20])
def test_bad_ports_rejected(bad):
    with pytest.raises(ValueError, match="port must be in 0..65535"):
        hash_ipv4_tcp("1.2.3.4", "5.6.7.8", bad, 80)
    with pytest.raises(ValueError, match="destination port"):
        hash_ipv4_tcp("1.2.3.4", "5.6.7.8", 80, bad)


def test_port_type_checked():
    with pytest.raises(TypeError):
        hash_ipv4_tcp("1.2.3.4", "5.6.7.8", "80", 80)
    with pytest.raises(TypeError):
        hash_ipv4_tcp("1.2.3.4", "5.6.7.8", 80.0, 80)
    assert hash_ipv4_tcp("1.2.3.4", "5.6.7.8", 0, 65535) == ref_toeplitz(
        DEFAULT_KEY, v4_input("1.2.3.4", "5.6.7.8", 0, 65535)
    )


# -- redirection table -----------------------------------------------------------------------------

@pytest.mark.parametrize("queues", range(1, 9))
def test_reta_round_robin(queues):
    reta = RedirectionTable(queues)
    assert len(reta) == reta.entries == rss.RETA_ENTRIES == 128
    assert reta.table == tuple(i % queues for i in range(128))
    for h in (0, 1, 127, 128, 129, 0xFFFFFFFF, 0x51CCC178, 0xDEADBEEF):
        assert reta.queue_for(h) == (h & 0x7F) % queues == reta.table[h % 128]
    counts = [reta.table.count(q) for q in range(queues)]
    assert max(counts) - min(counts) <= 1
    assert sum(counts) == 128


def test_reta_uses_low_seven_bits_only():
    reta = RedirectionTable(8)
    for low in range(128):
        queues = {reta.queue_for((high << 7) | low) for high in (0, 1, 0x1FFFFFF, 0x123456)}
        assert queues == {low % 8}


def test_reta_published_vectors_spread():
    reta = RedirectionTable(4)
    got = [reta.queue_for(h_tcp) for *_, h_tcp in IPV4_VECTORS]
    assert got == [(h & 0x7F) % 4 for *_, h in IPV4_VECTORS]
    assert got[0] == 0x78 % 4 == 0  # 0x51ccc178 -> entry 0x78 = 120


def test_reta_custom_entries():
    reta = RedirectionTable(3, entries=64)
    assert reta.table == tuple(i % 3 for i in range(64))
    assert reta.queue_for(0xFFFFFFFF) == 63 % 3


@pytest.mark.parametrize("queues", [0, -1, 9, 16])
def test_reta_bad_queue_count(queues):
    with pytest.raises(ValueError, match="queues must be in 1..8"):
        RedirectionTable(queues)


def test_reta_more_queues_when_allowed():
    assert RedirectionTable(16, max_queues=16).queue_for(15) == 15


@pytest.mark.parametrize("entries", [0, -128, 100, 127, 2])
def test_reta_bad_entries(entries):
    with pytest.raises(ValueError, match="entries"):
        RedirectionTable(4, entries=entries)


def test_reta_type_errors():
    with pytest.raises(TypeError):
        RedirectionTable(4.0)
    with pytest.raises(TypeError):
        RedirectionTable(True)
    with pytest.raises(TypeError):
        RedirectionTable(4).queue_for(1.5)


@pytest.mark.parametrize("h", [-1, 1 << 32])
def test_reta_bad_hash(h):
    with pytest.raises(ValueError, match="32-bit"):
        RedirectionTable(4).queue_for(h)
