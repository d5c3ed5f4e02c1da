"""The SimPy engine's clients: new connections (closed loop or Poisson arrivals), the client's half of the
exchange and its retransmissions, by ``model/clients.py``'s rules.
"""
from __future__ import annotations

from ..model import clients
from ..model.kernel_state import Connection
from ..rss import hash_ipv4_tcp


class ClientMixin:
    """The clients for SimpyEngine."""

    def _new_connection(self):
        c = self.m.clients
        cid = self.next_cid
        self.next_cid += 1
        src, sport = clients.address(cid, c.addresses)
        h = hash_ipv4_tcp(src, c.server_address, sport, c.server_port, key=self.m.hardware.rss_key)
        conn = Connection(cid, self.rss.queue_for(h), h % max(self.nbuckets, 1), self.env.now)
        # SO_REUSEPORT_LB: the flow hash picks the listen socket; per_core: the receiving queue's (model/system.py)
        conn.listen = conn.queue % self.nlisten if self.m.app.acceptors == "per_core" else (h >> 8) % self.nlisten
        self.started += 1
        if self.w0 <= self.env.now < self.w1:
            self.window_started += 1
        conn.syn_tries = 1
        self.client_send(conn, clients.OPENS)
        return conn

    def _client_receive(self, conn, seg):
        self.frames["client_received"] += 1
        answers = clients.ANSWERS.get(seg)
        if answers:
            for reply in answers:
                self.client_send(conn, reply)
        elif seg == clients.COMPLETES and not conn.outcome:
            conn.outcome = "completed"
            self.completed += 1
            if self.w0 <= self.env.now < self.w1:
                self.window_completed += 1
                self.latencies.append(self.env.now - conn.t_start)
            self._client_done(conn)

    def _client_dropped(self, conn, seg, reason):
        """The client's TCP notices a lost segment by timeout and retransmits it (model/clients.py)."""
        if self.probes:
            self.probes.fire("tcp:::drop", self.env.now, conn=conn.cid, segment=seg, reason=reason)
        delay = clients.retransmission(seg, conn, self.m.clients)
        if delay is not None:
            if self.w0 <= self.env.now < self.w1:
                self.retransmits[seg] += 1
            self._at(self.env.now + delay, self.client_send, conn, seg)
        elif conn.outcome == "syn_timeout":
            self.failed += 1
            self._count_drop("connection_syn_timeout")
            self._client_done(conn)

    def _client_done(self, conn):
        c = self.m.clients
        if c.mode == "closed":
            self._at(self.env.now + int(c.think_us * 1000), self._new_connection)

    def _open_loop(self):
        c = self.m.clients
        while True:
            yield self.env.timeout(clients.arrival_gap_ns(c, self.rng_arrival))
            self._new_connection()
