"""Which of Linux 3.10's paths run for an inbound segment: in the NET_RX softirq (``paths_for``) and, for a
segment the softirq put on an owned socket's backlog, in the owner's release_sock (``backlog_paths_for``).

Segments and states are the model's (``model/tcp.py``). Linux keeps a connection in SYN_RECEIVED as a request
in the listener's SYN table, and after the ACK of its FIN as a TIME-WAIT sock in substate FIN_WAIT2 -- or, with
tcp_max_tw_buckets TIME-WAIT socks already, as nothing at all (CLOSED): its later segments then find only the
listener, which answers them with a RST (``listen_rst``).
"""
from __future__ import annotations

from ...model.tcp import CLIENT_FIN, HS_ACK, REQUEST, RESP_ACK, SYN


def paths_for(segment: str, state: str) -> tuple[str, ...]:
    """The softirq's paths (tcp_v4_rcv) for ``segment`` arriving in connection ``state``."""
    if segment == SYN:
        return ("syn",)
    if state == "SYN_RECEIVED" and segment in (HS_ACK, REQUEST):
        # a request whose handshake ACK was lost completes the handshake, then is data for the child
        return ("handshake_ack",) if segment == HS_ACK else ("handshake_ack", "data")
    if state == "CLOSED":
        return ("listen_rst",)  # no socket: the listener, then a RST (an ACK in LISTEN, tcp_input.c:5612)
    if segment == REQUEST and state == "ESTABLISHED":
        return ("data",)
    if segment == RESP_ACK and state == "FIN_WAIT_1":
        return ("fin_wait_1_ack",)
    if segment == CLIENT_FIN and state in ("FIN_WAIT_2", "TIME_WAIT"):
        return ("client_fin",)  # the TIME-WAIT sock (a FIN_WAIT1 socket's FIN after a lost ACK: late_segment)
    return ("late_segment",)


_BACKLOG = {"syn": "syn_backlog", "handshake_ack": "handshake_ack_backlog", "listen_rst": "listen_rst_backlog",
            "data": "data_backlog", "fin_wait_1_ack": "fin_wait_1_ack_backlog", "late_segment": "late_segment_backlog"}


def backlog_paths_for(segment: str, state: str) -> tuple[str, ...]:
    """The owner's paths (__release_sock -> tcp_v4_do_rcv) for a backlogged ``segment``, dispatched on the
    connection's state when the owner gets to it. A segment queued behind the ACK that turned its socket into a
    TIME-WAIT sock (FIN_WAIT_2) finds the socket closed (tcp_rcv_state_process discards it in TCP_CLOSE: no path;
    the client resends its FIN to the TIME-WAIT sock). CLOSED is taken as the listener's backlog (a segment of a
    flow closed without TIME-WAIT, queued while accept() owned the listener), the frequent case; one queued on
    the socket behind the ACK that closed it would be discarded instead (not told apart: rare)."""
    return tuple(_BACKLOG[p] for p in paths_for(segment, state) if p in _BACKLOG)
