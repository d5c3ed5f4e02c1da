"""The SimPy engine's link and NIC: frames serialised on each direction of the link, the receive ring, and the
driver's causes, moderation, vector mask, receive passes and transmit rings. The driver's rules are ``model/nic.py``'s
and its loops ``model/programs.py``'s; this module keeps their time.
"""
from __future__ import annotations

from ..model import nic, programs as op, tcp
from ..model.nic import DRIVER_FRAME_OVERHEAD


class NicMixin:
    """The link and the NIC queues for SimpyEngine."""

    def _wire(self, direction, now, nbytes):
        """Serialise a frame on one direction of the link; return when its last bit has left."""
        start = max(now, self.link_free[direction])
        done = start + int(nbytes * self.link_ns_per_byte)
        self.link_free[direction] = done
        if self.w0 <= done < self.w1:
            self.link_bytes[direction] += nbytes
        return done

    def _frame_bytes(self, seg):
        c = self.m.clients
        return tcp.frame_bytes(seg, c.request_bytes, c.response_bytes)

    def client_send(self, conn, seg):
        self.frames["client_sent"] += 1
        arrive = self._wire("in", self.env.now + self.one_way, self._frame_bytes(seg))
        self._at(arrive, self._nic_rx, conn, seg)

    # --- transmit (model/nic.py's rules; kernel_state's tx_* actions call these) --------------------------------
    def tx_enqueue(self, th, conn, seg):
        """ixgbe_mq_start: the frame goes on its ring's buf_ring; the thread's TX work is now on that ring."""
        th.txring = ring = nic.transmit_ring(conn, th.cpu, len(self.nic))
        q = self.nic[ring]
        q.buf_ring.append((conn, seg))
        if len(q.buf_ring) > q.buf_ring_max:
            q.buf_ring_max = len(q.buf_ring)
        self.segments_out += 1
        if self.probes:  # tcp:::send fires in tcp_output, before the driver has the frame
            self.probes.fire("tcp:::send", self.env.now, conn=conn.cid, segment=seg)

    def tx_xmit(self, ring):
        """ixgbe_xmit and the doorbell for the oldest frame of the ring's buf_ring: it leaves on the link, and
        its descriptors await ixgbe_txeof; the client answers after the other half of the RTT."""
        q = self.nic[ring]
        if not q.buf_ring:  # nothing queued (a variant may move the action out of its tx_pending block)
            return
        conn, seg = q.buf_ring.popleft()
        nbytes = self._frame_bytes(seg)
        done = self._wire("out", self.env.now, nbytes)
        q.tx_done.append(nbytes - DRIVER_FRAME_OVERHEAD)
        self._cause(ring)
        self._at(done + self.one_way, self._client_receive, conn, seg)

    def tx_reclaim(self, th):
        """ixgbe_txeof frees the ring's oldest sent frame, if one awaits it."""
        q = self.nic[th.txring]
        if not q.tx_done:
            return
        th.tx_budget -= 1
        q.reclaim()
        self.frames["reclaimed"] += 1

    def tx_defer(self, th):
        """taskqueue_enqueue(que->tq, &txr->txq_task): the ring's queue task drains it later (the sender wakes it)."""
        self._enqueue_task(th.txring, nic.TX_TASK, th)

    def _enqueue_task(self, qi, task, waker):
        if self.nic[qi].enqueue_task(task):
            self._wake(self.tasks[qi], waker)

    def _nic_rx(self, conn, seg):
        q = self.nic[conn.queue]
        self.frames["arrived"] += 1
        if len(q.ring) >= self.ring_size:
            self.frames["ring_dropped"] += 1
            self._count_drop("rx_ring_full")
            self._client_dropped(conn, seg, "rx_ring_full")
            return
        q.ring.append((conn, seg))
        self.frames["ring_accepted"] += 1
        if self.probes:
            self.probes.fire("tcp:::receive", self.env.now, conn=conn.cid, segment=seg)
        self._cause(conn.queue)

    # --- the NIC (model/nic.py): causes, moderation, the vector's mask, receive and transmit passes -------------
    def _cause(self, qi):
        """A queue has work: its vector fires once enabled and its moderation interval has run out."""
        q = self.nic[qi]
        if q.masked or q.scheduled or not q.has_cause():
            return
        q.scheduled = True
        self._at(q.next_interrupt(self.env.now), self._interrupt, qi)

    def _interrupt(self, qi):
        q = self.nic[qi]
        q.interrupt(self.env.now)
        self._count_nic(qi, "interrupts", 1)
        if self.probes:
            self.probes.fire(op.INTERRUPT_PROBE, self.env.now, queue=qi, eitr=q.eitr)
        self._wake(self.ithreads[qi])

    def _enable_vector(self, qi):
        self.nic[qi].masked = False
        self._cause(qi)

    def _count_nic(self, qi, counter, n):
        if self.w0 <= self.env.now < self.w1:
            self.nic_counts[qi][counter] += n

    def _receive(self, th, conn, seg, paths_for):
        """Run the paths ``paths_for`` names for a frame of ``conn`` (its connection current), until one aborts:
        a drop the client will notice, or the frame queued on a socket's backlog."""
        th.rx_seg = seg
        for name in paths_for(seg, conn.state):
            ok = yield from self._run(th, name)
            if not ok:
                if th.deferred:
                    th.deferred = False
                else:
                    self._client_dropped(conn, seg, th.abort_reason)
                break

    def _drain_backlog(self, th, sock):
        """programs.DrainBacklog: the owner runs the frames queued on ``sock``'s backlog, oldest first, each with
        its connection current; then its own connection is current again."""
        own = th.conn
        while (frame := self.kernel.backlog_take(sock)) is not None:
            th.conn = frame[0]
            yield from self._receive(th, frame[0], frame[1], self.kernel_package.backlog_paths_for)
        th.conn = own

    def _rx_pass(self, th, qi, o):
        """Clean at most rx_process_limit received frames, including those that land during the pass; return
        whether the whole budget was used (the next descriptor is not looked at)."""
        q = self.nic[qi]
        ring = q.ring
        limit = n = self.m.hardware.rx_process_limit
        while ring and n:
            n -= 1
            conn, seg = ring.popleft()
            self.segments_in += 1
            q.rx_bytes += self._frame_bytes(seg) - DRIVER_FRAME_OVERHEAD
            yield from self._run(th, o.frame_path)
            th.conn = conn
            yield from self._receive(th, conn, seg, self.kernel_package.paths_for)
        self._count_nic(qi, o.counter, limit - n)
        if self.probes:
            self.probes.fire(o.probe, self.env.now, queue=qi, thread=th.name, cpu=th.cpu, frames=limit - n,
                             more=n == 0)
        return n == 0

