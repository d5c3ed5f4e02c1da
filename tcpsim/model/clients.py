"""The clients' side of the exchange, as rules an engine applies: addresses, answers, retransmission.

The article's load generator opens connections "from a wide range of client source IP addresses and ports";
each client runs the client half of the nine packets (``tcp.py``) and retransmits what it sent when it was
lost: a SYN after ``syn_rto_ms`` doubling per try, up to ``max_syn_retries``; the request or its FIN after
``rto_ms`` doubling (at most 2^6); pure ACKs are never resent.
"""
from __future__ import annotations

from . import tcp

OPENS = tcp.SYN  # the first segment of a connection
# What a client sends when a server segment reaches it (in this order); FINAL_ACK completes the connection.
ANSWERS = {tcp.SYNACK: (tcp.HS_ACK, tcp.REQUEST), tcp.SERVER_FIN: (tcp.RESP_ACK, tcp.CLIENT_FIN)}
COMPLETES = tcp.FINAL_ACK
MAX_RTO_SHIFT = 6
# What a client resends after a loss, and by which timer: "syn" (syn_rto_ms doubling, max_syn_retries tries) or
# "rto" (rto_ms doubling, at most 2^MAX_RTO_SHIFT); a segment not listed (a pure ACK) is never resent.
RESENT = {tcp.SYN: "syn", tcp.REQUEST: "rto", tcp.CLIENT_FIN: "rto"}


def address(cid: int, addresses: int) -> tuple[str, int]:
    """Source address and port of connection ``cid``: addresses cycle first, then ports (from 1024)."""
    a = cid % addresses
    return f"10.{a >> 16 & 255}.{a >> 8 & 255}.{a & 255}", 1024 + (cid // addresses) % 64511


def closed_loop_starts(clients) -> list[int]:
    """When each closed-loop client opens its first connection (ns): staggered over one RTT so the clients do
    not move in lockstep; none for an open loop."""
    if clients.mode != "closed":
        return []
    one_way, n = clients.one_way_ns(), clients.concurrency
    return [int(i * 2 * one_way / max(n, 1)) for i in range(n)]


def arrival_gap_ns(clients, stream) -> int:
    """The open loop's next gap between two connection attempts (ns, at least 1), drawn from ``stream`` (one
    draw per gap). Poisson: exponential gaps of mean 1/rate. Paced: the mean gap times 1 + jitter x U(-1, 1),
    as a load generator that targets a rate spaces its connections (the fast engine's arrival_gap computes the
    same expression in C, draw for draw)."""
    if clients.arrivals == "paced":
        return max(1, int((1.0 + clients.jitter * (2.0 * stream.random() - 1.0)) / clients.rate * 1e9))
    return max(1, int(stream.expovariate(clients.rate) * 1e9))


def retransmission(segment: str, conn, clients) -> int | None:
    """Delay (ns) before the client resends ``segment``, lost on its way; counts the try on ``conn``.
    None: not resent (a pure ACK) or the client gives up (a SYN past max_syn_retries: ``conn.outcome``
    says so)."""
    kind = RESENT.get(segment)
    if kind == "syn":
        if conn.syn_tries > clients.max_syn_retries:
            conn.outcome = "syn_timeout"
            return None
        delay = int(clients.syn_rto_ms * 1e6) << (conn.syn_tries - 1)
        conn.syn_tries += 1
        return delay
    if kind == "rto":
        delay = int(clients.rto_ms * 1e6) << min(conn.rto_tries, MAX_RTO_SHIFT)
        conn.rto_tries += 1
        return delay
    return None
