"""TCP segments, connection states, frame sizes and the choice of kernel path for an inbound segment.

The canonical nine-packet exchange of the article's Figure 1: the client sends SYN (1), the handshake ACK (3)
and the request (4), later the ACK of the response (7) and its FIN (8); the server sends SYN|ACK (2), the
response (5), its FIN (6) and the final ACK (9).
"""
from __future__ import annotations

# Client -> server
SYN = "SYN"
HS_ACK = "HS_ACK"  # (3) completes the handshake
REQUEST = "REQUEST"  # (4) request data
RESP_ACK = "RESP_ACK"  # (7) acknowledges the response and the server's FIN
CLIENT_FIN = "CLIENT_FIN"  # (8)
CLIENT_SEGMENTS = (SYN, HS_ACK, REQUEST, RESP_ACK, CLIENT_FIN)

# Server -> client
SYNACK = "SYNACK"
RESPONSE = "DATA"
SERVER_FIN = "FIN"
FINAL_ACK = "ACK"
SERVER_SEGMENTS = (SYNACK, RESPONSE, SERVER_FIN, FINAL_ACK)

STATES = ("CLOSED", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT")

# Bytes on the wire per frame as the article counts them: 78 bytes minimum (12 inter-frame gap, 8 preamble +
# SFD, 18 Ethernet, 20 IPv4, 20 TCP), 12 more for the timestamp option, 20 more for the SYN options
# (MSS, SACK-permitted, window scale, timestamps). Egress per connection: 98 + 90 + 90 + 90 = 368 + payload.
FRAME_MIN = 78
TIMESTAMPS = 12
SYN_OPTIONS = 20


def frame_bytes(segment: str, request_bytes: int, response_bytes: int) -> int:
    if segment in (SYN, SYNACK):
        return FRAME_MIN + SYN_OPTIONS
    if segment == REQUEST:
        return FRAME_MIN + TIMESTAMPS + request_bytes
    if segment == RESPONSE:
        return FRAME_MIN + TIMESTAMPS + response_bytes
    return FRAME_MIN + TIMESTAMPS


def paths_for(segment: str, state: str) -> tuple[str, ...]:
    """Kernel paths tcp_input runs for ``segment`` arriving in connection ``state`` (server side)."""
    if segment == SYN:
        return ("syn",)
    if segment in (HS_ACK, REQUEST) and state == "SYN_RECEIVED":
        # The request also acknowledges the SYN|ACK: if the handshake ACK was lost it completes the handshake.
        return ("handshake_ack",) if segment == HS_ACK else ("handshake_ack", "data")
    if segment == REQUEST and state == "ESTABLISHED":
        return ("data",)
    if segment == RESP_ACK and state == "FIN_WAIT_1":
        return ("fin_wait_1_ack",)
    if segment == CLIENT_FIN and state in ("FIN_WAIT_1", "FIN_WAIT_2"):
        return ("client_fin",)
    return ("late_segment",)
