"""Receive Side Scaling (RSS): how the NIC picks a receive queue, and so a CPU, for each flow.

A multi-queue NIC such as the Intel 82599 (FreeBSD's ixgbe driver) computes the Microsoft Toeplitz
hash of every received packet's addresses and ports under a secret key, then uses the hash's low
bits to index a redirection table whose entries name receive queues. Each queue's interrupt is
bound to one core, so all packets of a TCP connection arrive on the same core, while different
connections spread over the cores. The model uses this to decide which core handles each
connection's packets.

Hash input for IPv4 with TCP, in network byte order: source address, destination address,
source port, destination port (12 bytes); for IPv4 alone only the two addresses (8 bytes).
"""
from __future__ import annotations

import socket
import struct

from tcpsim import _core

__all__ = [
    "DEFAULT_KEY",
    "RETA_ENTRIES",
    "MAX_QUEUES",
    "RSS_QUEUES",
    "toeplitz_hash",
    "hash_ipv4",
    "hash_ipv4_tcp",
    "RedirectionTable",
]

#: The standard 40-byte Microsoft RSS key ("Verifying the RSS Hash Calculation"), also the
#: default key of many drivers.
DEFAULT_KEY: bytes = bytes.fromhex(
    "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa"
)

#: Size of the 82599 redirection table (indexed by the hash's low 7 bits).
RETA_ENTRIES = 128
#: Most receive queues FreeBSD 10's ixgbe driver autoconfigures (min(CPUs, 8)).
MAX_QUEUES = 8
#: Most queues the 82599's RSS spreads over (a redirection entry holds a 4-bit queue index): what Linux 3.10's
#: ixgbe configures, min(CPUs, IXGBE_MAX_RSS_INDICES = 16) (ixgbe_set_rss_queues); a kernel package says which
#: limit its driver has (``KernelPackage.max_queues``).
RSS_QUEUES = 16


def _check_bytes(value, what: str) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} must be bytes, got {type(value).__name__}")
    return bytes(value)


def toeplitz_hash(key: bytes, data: bytes) -> int:
    """Return the 32-bit Toeplitz hash of ``data`` under ``key`` (``len(key) >= len(data) + 4``)."""
    key = _check_bytes(key, "key")
    data = _check_bytes(data, "data")
    return _core.toeplitz_hash(key, data)


def _ipv4(addr, what: str) -> bytes:
    if not isinstance(addr, str):
        raise TypeError(f"{what} address must be a dotted-quad string, got {type(addr).__name__}")
    try:
        return socket.inet_pton(socket.AF_INET, addr)  # strict dotted quad, unlike inet_aton
    except (OSError, ValueError):
        raise ValueError(f"invalid IPv4 {what} address {addr!r} (expected a dotted quad like '10.0.0.1')") from None


def _port(port, what: str) -> int:
    if not isinstance(port, int) or isinstance(port, bool):
        raise TypeError(f"{what} port must be an int, got {type(port).__name__}")
    if not 0 <= port <= 0xFFFF:
        raise ValueError(f"{what} port must be in 0..65535, got {port}")
    return port


def hash_ipv4(src: str, dst: str, key: bytes = DEFAULT_KEY) -> int:
    """RSS hash of an IPv4 packet over its addresses only (input: src addr, dst addr)."""
    return toeplitz_hash(key, _ipv4(src, "source") + _ipv4(dst, "destination"))


def hash_ipv4_tcp(src: str, dst: str, sport: int, dport: int, key: bytes = DEFAULT_KEY) -> int:
    """RSS hash of an IPv4 TCP segment (input: src addr, dst addr, src port, dst port; big-endian)."""
    data = (
        _ipv4(src, "source")
        + _ipv4(dst, "destination")
        + struct.pack("!HH", _port(sport, "source"), _port(dport, "destination"))
    )
    return toeplitz_hash(key, data)


class RedirectionTable:
    """The NIC's RSS redirection table: hash -> receive queue.

    ``entries`` slots (a power of two, 128 on the 82599) filled round-robin as the ixgbe driver
    does, entry ``i`` -> queue ``i % queues``; a hash selects entry ``hash % entries``, i.e. its
    low ``log2(entries)`` bits (7 bits for 128 entries).

    (The real ixgbe fill loop packs four entries per RETA register in reverse byte order, so the
    hardware table is this one permuted within each group of four entries; the share of entries
    per queue is the same.)
    """

    __slots__ = ("queues", "entries", "_table")

    def __init__(self, queues: int, entries: int = RETA_ENTRIES, max_queues: int = MAX_QUEUES) -> None:
        for name, value in (("queues", queues), ("entries", entries), ("max_queues", max_queues)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if not 1 <= queues <= max_queues:
            raise ValueError(f"queues must be in 1..{max_queues}, got {queues}")
        if entries <= 0 or entries & (entries - 1):
            raise ValueError(f"entries must be a positive power of two, got {entries}")
        if entries < queues:
            raise ValueError(f"entries ({entries}) must be at least queues ({queues})")
        self.queues = queues
        self.entries = entries
        self._table = tuple(i % queues for i in range(entries))

    @property
    def table(self) -> tuple[int, ...]:
        """The queue number of each entry."""
        return self._table

    def queue_for(self, hash_value: int) -> int:
        """Receive queue for a 32-bit RSS hash (uses its low bits)."""
        if not isinstance(hash_value, int) or isinstance(hash_value, bool):
            raise TypeError(f"hash must be an int, got {type(hash_value).__name__}")
        if not 0 <= hash_value <= 0xFFFFFFFF:
            raise ValueError(f"hash must be a 32-bit unsigned value, got {hash_value}")
        return self._table[hash_value & (self.entries - 1)]

    def __len__(self) -> int:
        return self.entries

    def __repr__(self) -> str:
        return f"RedirectionTable(queues={self.queues}, entries={self.entries})"
