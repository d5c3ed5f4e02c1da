# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The fast engine's runtime (private; use ``tcpsim.engines.fast_engine``).

It interprets the tables ``tcpsim.engines.lowering`` makes of a ``Model`` -- the same thread programs and kernel
paths the SimPy engine interprets -- with its own event heap keyed by (time, sequence), and keeps threads, CPUs,
locks, NIC queues and connections in C structs. It mirrors the SimPy engine event for event: every place that
engine schedules a SimPy event that resumes a process or runs a callback, this one pushes a heap entry, in the
same order, so equal times break the same way and both engines produce the same probe trace (the differential
tests compare them). Names of the reference's methods are given where a function here mirrors one.

No Python object is made per event or per connection: a connection is a slot in a pool (its inpcb lock
embedded), found again by index. Probes, the time series, the deadlock watchdog and errors call back into
Python; one flag test each when nothing is attached.

The source is in parts under ``fast/``, included below in order: one extension, one module, the parts being text
that Cython reads in place (as uvloop builds its loop). ``Core`` (``fast/core.pxi``) holds a run's state as C
fields and is what Python calls; what happens per event is module-level ``cdef`` functions taking the ``Core``
first, each in the part named after the reference module it mirrors (Cython 3 refuses ``include`` inside a
class body; these are direct C calls, as the methods of the final class were).
"""

from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc, qsort, realloc
from libc.string cimport memset

from prims cimport _bounded, _expovariate, _to_unit, _toeplitz, _xoshiro_next, _xoshiro_seed

cimport cython

from collections import deque

from tcpsim.errors import TcpsimError
from tcpsim.invariants import CATEGORIES
from tcpsim.model.kernel_state import ACTIONS, CONDITIONS
from tcpsim.model.lockclasses import CLASSES as LOCK_CLASSES
from tcpsim.model.nic import DESCRIPTORS_PER_FRAME, RX_TASK, TX_TASK
from tcpsim.model.programs import INTERRUPT_PROBE, NIC_COUNTERS
from tcpsim.model.tcp import CLIENT_SEGMENTS, SERVER_SEGMENTS, STATES
from tcpsim.observe.probes import PROBES
from tcpsim.observe.results import SERIES
from tcpsim.rng import stream_id

include "fast/records.pxi"  # constants, the enums that number the model's names, the C records (threads, locks, ...)
include "fast/events.pxi"   # the event queue (a FIFO for now, two heaps) and what each kind of event does
include "fast/core.pxi"     # class Core: a run's fields, built from lowering's tables; what Python calls
include "fast/engine.pxi"   # engines/simpy_engine.py: the program and path interpreter, accounting, probes
include "fast/kernel.pxi"   # model/kernel_state.py: connection records, the TIME-WAIT list, kernel actions
include "fast/sched.pxi"    # engines/simpy_sched.py: placement, run queues, preemption, sleep and wake
include "fast/locks.pxi"    # engines/simpy_locks.py (with model/rwlock.py's rules): waiting, granting, profiling
include "fast/nic.pxi"      # engines/simpy_nic.py: the link, receive rings, interrupts, moderation, transmit
include "fast/clients.pxi"  # engines/simpy_clients.py: arrivals, answers, retransmission, think time
