"""The ixgbe driver's rules as FreeBSD 10.0-RELEASE ships them (driver 2.5.15): receive, transmit, moderation.

Engine-independent arithmetic and state; the engines own the time. Read in 10.0's ``sys/dev/ixgbe/ixgbe.c``:

* ``ixgbe_msix_que`` (the queue's MSI-X handler, run by its interrupt thread): masks the queue's vector, cleans
  at most ``rx_process_limit`` received descriptors (``ixgbe_rxeof``, which returns TRUE exactly when it used
  its whole budget, without looking at the next descriptor), reclaims at most ``tx_process_limit`` sent frames
  (``ixgbe_txeof``, which never asks for more), does adaptive interrupt moderation (below), then enqueues the
  queue's task if rxeof used its budget, else unmasks the vector.
* ``ixgbe_handle_que`` (the task, ``kernel{ix0 que}``): one more ``ixgbe_rxeof`` pass and ``ixgbe_txeof``, then
  unmasks the vector whatever remains. It never requeues itself, so under overload interrupt passes and task
  passes alternate, each at most one batch.
* Transmit (``ixgbe_mq_start``, read in 2.5.15 as FreeBSD 9.3 ships it -- the same driver version as 10.0's;
  10.0's own copy was not at hand, so the TX mutex's lines are that copy's): the ring is the frame's flow id
  modulo the queue count when the frame carries one, else the sending CPU's id modulo it. The flow id is the
  receive queue's index (``ixgbe_rxeof`` sets ``m_pkthdr.flowid = que->msix``); a pcb learns it from the first
  frame received on it (tcp_input, ``INP_HW_FLOWID``) and ip_output copies it onto what the pcb sends, so a
  connection's frames go out on its receive queue's ring once it has received one, and the SYN|ACK (sent by
  ``syncache_respond`` with no pcb) on the sending CPU's. The frame goes on the ring's ``buf_ring``
  (``drbr_enqueue``); then ``IXGBE_TX_TRYLOCK``: on success ``ixgbe_mq_start_locked`` sends every frame on the
  buf_ring (``ixgbe_xmit``, one TDT doorbell write each) and, with fewer than ``IXGBE_TX_CLEANUP_THRESHOLD``
  (num_tx_desc / 8) descriptors free, runs ``ixgbe_txeof``; on failure it enqueues the ring's ``txq_task`` on
  the queue's taskqueue, whose thread runs ``ixgbe_deferred_mq_start`` (TX mutex, drain). ``ixgbe_msix_que``
  and ``ixgbe_handle_que`` hold the TX mutex through ``ixgbe_txeof`` and a drain of the buf_ring. Each frame
  takes two descriptors: a context descriptor (``ixgbe_tx_ctx_setup``: checksum offload) and one for its data.
* Interrupt moderation: the EITR register's interval field (bits 3-11) holds the minimum time between two
  interrupts of the vector in 2 µs units (``ixgbe_sysctl_interrupt_rate_handler`` converts it as
  ``500000 / ((reg & 0x0FF8) >> 3)`` interrupts/s). At attach it is ``(4000000 / max_interrupt_rate) & 0x0FF8``.
  With ``hw.ixgbe.enable_aim`` (on by default) every interrupt writes the value computed at the previous one
  from that interval's average frame size, and computes the next.
"""
from __future__ import annotations

from collections import deque

EITR_INTERVAL_MASK = 0x0FF8  # IXGBE_EITR_ITR_INT_MASK: the interval field, bits 3..11
EITR_UNIT_NS = 2000  # one unit of the interval field: 2 µs, as the driver's sysctl handler converts it
DRIVER_FRAME_OVERHEAD = 24  # bytes a frame has on the wire but not in the driver's counts: the driver adds
#                             them back ("hardware frame, crc"): 12 inter-frame gap + 8 preamble + 4 FCS


def initial_eitr(max_interrupt_rate: int) -> int:
    """EITR as ixgbe_configure_ivars programs it from hw.ixgbe.max_interrupt_rate."""
    return (4_000_000 // max_interrupt_rate) & EITR_INTERVAL_MASK


def interrupt_rate(eitr: int) -> int:
    """What ``sysctl dev.ix.0.queueN.interrupt_rate`` prints for an EITR value (0: unmoderated)."""
    units = (eitr & EITR_INTERVAL_MASK) >> 3
    return 1_000_000_000 // (units * EITR_UNIT_NS) if units else 0


def eitr_interval_ns(eitr: int) -> int:
    """Minimum time between two interrupts of a vector whose EITR holds ``eitr`` (0: no moderation)."""
    return ((eitr & EITR_INTERVAL_MASK) >> 3) * EITR_UNIT_NS


def aim_eitr(rx_bytes: int, tx_bytes: int, tx_packets: int) -> int:
    """ixgbe_msix_que's adaptive moderation: the EITR value for the next interval from this one's traffic
    (bytes as the driver counts them, without preamble, gap and CRC); 0 when the queue saw nothing.

    The driver means to take the larger of the received and sent average frame sizes, but 2.5.15 never
    increments ``rxr->packets`` (ixgbe_rxeof counts only ``rxr->bytes``), so the received term never applies:
    the average is the sent frames' alone, and an interval that only received gets the shortest setting."""
    if not rx_bytes and not tx_bytes:
        return 0
    avg = tx_bytes // tx_packets if tx_bytes and tx_packets else 0
    avg = min(avg + DRIVER_FRAME_OVERHEAD, 3000)
    return avg // 3 if 300 < avg < 1200 else avg // 2


DESCRIPTORS_PER_FRAME = 2  # ixgbe_xmit: a context descriptor and one data descriptor per small frame
RX_TASK, TX_TASK = "rx", "tx"  # the queue's two tasks: ixgbe_handle_que, ixgbe_deferred_mq_start


def transmit_ring(conn, cpu: int, queues: int) -> int:
    """ixgbe_mq_start's ring: the flow id (the receive queue's index) modulo the queues, else curcpu's."""
    return conn.queue % queues if conn.flowid else cpu % queues


class QueueState:
    """One receive/transmit queue pair, its MSI-X vector and its taskqueue: the rings, the transmit ring's
    buf_ring, the mask, moderation, AIM counters, the tasks pending."""

    __slots__ = ("ring", "tx_done", "buf_ring", "tasks", "masked", "scheduled", "last_intr", "eitr", "eitr_setting",
                 "aim", "rx_bytes", "tx_bytes", "tx_packets", "buf_ring_max")

    def __init__(self, max_interrupt_rate: int, aim: bool):
        self.ring = deque()  # (connection, segment) received and not yet cleaned
        self.buf_ring = deque()  # (connection, segment) queued by ixgbe_mq_start, not yet handed to the NIC
        self.buf_ring_max = 0  # the deepest the buf_ring got (its 4,096 slots are never the limit here)
        self.tasks = deque()  # RX_TASK / TX_TASK pending on the queue's taskqueue, oldest first, each at most once
        self.tx_done = deque()  # driver bytes of each frame sent on this queue's ring, not yet reclaimed by txeof
        self.masked = False  # vector masked from the handler's start until ixgbe_enable_queue
        self.scheduled = False  # an interrupt is due (its cause is pending and the vector enabled)
        self.eitr = initial_eitr(max_interrupt_rate)
        self.last_intr = -eitr_interval_ns(self.eitr)
        self.eitr_setting = 0  # AIM's value for the next interrupt (0: leave the register alone)
        self.aim = aim
        self.rx_bytes = self.tx_bytes = self.tx_packets = 0  # since the last AIM computation

    def has_cause(self) -> bool:
        return bool(self.ring) or bool(self.tx_done)

    def next_interrupt(self, now: int) -> int:
        """When the vector may fire next: the interval runs from the previous interrupt."""
        return max(now, self.last_intr + eitr_interval_ns(self.eitr))

    def interrupt(self, now: int) -> None:
        """The vector fires: the handler masks it."""
        self.scheduled = False
        self.masked = True
        self.last_intr = now

    def enqueue_task(self, task: str) -> bool:
        """taskqueue_enqueue: a task already pending is not queued again; return whether it was queued."""
        if task in self.tasks:
            return False
        self.tasks.append(task)
        return True

    def descriptors_low(self, descriptors: int) -> bool:
        """Fewer free descriptors than IXGBE_TX_CLEANUP_THRESHOLD (num_tx_desc / 8)."""
        return descriptors - DESCRIPTORS_PER_FRAME * len(self.tx_done) < descriptors // 8

    def reclaim(self) -> None:
        """ixgbe_txeof frees one sent frame's descriptors and counts it for AIM."""
        self.tx_bytes += self.tx_done.popleft()
        self.tx_packets += 1

    def moderate(self) -> None:
        """AIM at the end of ixgbe_msix_que: write the setting computed last time, compute the next one (an
        interval with no traffic computes nothing and keeps its counters)."""
        if not self.aim:
            return
        if self.eitr_setting:
            self.eitr = self.eitr_setting
        self.eitr_setting = aim_eitr(self.rx_bytes, self.tx_bytes, self.tx_packets)
        if self.eitr_setting:
            self.rx_bytes = self.tx_bytes = self.tx_packets = 0
