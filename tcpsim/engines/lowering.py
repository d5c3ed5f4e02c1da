"""Lower a ``Model`` to the flat integer tables the fast engine runs (``cython_core/_fast.pyx``).

Once per run, in Python: every thread program (``model/programs.py``) and kernel path (``model/paths.py``, after
variant patches, assertions stripped) becomes fixed-width instructions in one code array; every name the engine
would otherwise compare as a string -- paths, lock declarations, sites, lock-profile rows, call stacks, segments,
states, actions, drop reasons -- becomes a small integer, and the strings stay here to turn the run's counters
back into the result ``observe`` formats. The rules themselves stay in ``model``: segment dispatch is
the kernel's ``paths_for`` tabulated, the clients' answers and retransmission kinds are ``clients``' tables, the
driver's and scheduler's arithmetic is ``nic``'s and ``sched``'s constants.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import _fast, kernels
from ..errors import TcpsimError
from ..model import clients, nic, programs as op, sched, tcp
from ..model.kernel_state import ACTIONS, CONDITIONS
from ..model.lockclasses import CLASSES
from ..model.rwlock import runlock_function, spin_frames
from ..model.steps import (DISTRIBUTIONS, WRITE, Acquire, Act, Release, Retire, Stop, TryAcquire, When, Work,
                           executable)
from ..model.threads import listen_sockets
from ..model.topology import siblings, smt_extra, transfer_table
from ..observe.probes import PROBES
from ..observe.words import words

OP = _fast.OPCODES
W = _fast.WIDTH  # fields per instruction
# the engine's numbering of names that are not lists of the model's
SCOPES, PROGRAM_CONDITIONS, KINDS, CATEGORIES = _fast.SCOPES, _fast.PROGRAM_CONDITIONS, _fast.KINDS, _fast.CATEGORIES
SEGMENTS = tcp.CLIENT_SEGMENTS + tcp.SERVER_SEGMENTS
RESEND_KINDS = (None, "syn", "rto")  # clients.RESENT's values; index 0: never resent


class Interner:
    """Names <-> small integers, in first-seen order."""

    def __init__(self):
        self.ids, self.names = {}, []

    def __call__(self, name) -> int:
        i = self.ids.get(name)
        if i is None:
            i = self.ids[name] = len(self.names)
            self.names.append(name)
        return i


@dataclass
class Lowered:
    code: list = field(default_factory=list)
    stacks: Interner = field(default_factory=Interner)  # call stack tuples
    stack_sets: list = field(default_factory=list)  # per stack set: one stack id per base variant
    sites: Interner = field(default_factory=Interner)
    displays: Interner = field(default_factory=Interner)
    rows: Interner = field(default_factory=Interner)  # (site id, display id) -> lock-profile row
    paths: Interner = field(default_factory=Interner)
    reasons: Interner = field(default_factory=Interner)  # drop reasons
    path_pc: dict = field(default_factory=dict)


def lower(model) -> dict:
    """Everything the fast engine needs, as plain ints, lists and strings (see ``_fast.Core.__init__``)."""
    low = Lowered()
    low.reasons("rx_ring_full")  # the engine's own drop reasons first: ids 0 and 1
    low.reasons("connection_syn_timeout")
    kernel = kernels.of(model)
    specs = kernel.thread_specs(model)
    bases = [None] + list(dict.fromkeys(s.base for s in specs if s.base is not None))
    costs = model.costs
    spin_table = words(model.kernel_name).get("spin")  # where the kernel's spinning shows (None: FreeBSD's)

    # --- locks: declarations, and the fixed slots of every lock that is not a connection's ----------------------
    decls = list(model.locks.values())
    inp = next(i for i, d in enumerate(decls) if d.scope == "connection")
    bucket = next((i for i, d in enumerate(decls) if d.scope == "bucket"), -1)
    nlisten = listen_sockets(model.app)
    nbuckets = int(costs["syncache_buckets"])
    if not 1 <= nbuckets <= 32767:  # a connection record keeps its bucket in 16 bits
        raise TcpsimError(f"syncache_buckets = {nbuckets}: the fast engine allows 1 to 32,767; allowed: such a "
                          "number in the costs file, or --engine simpy")
    slot_decl, decl_slot, decl_nslots = [], [], []
    for i, d in enumerate(decls):
        decl_slot.append(len(slot_decl))
        # keyed by their own name, as the reference's group/listen tables are: a TIME-WAIT group name is a
        # separate set of locks from the connection group name, even with the same display
        n = {"global": 1, "listen": nlisten, "group": model.hardware.queues,
             "timewait_group": model.hardware.queues, "txring": model.hardware.queues}.get(d.scope, 0)
        decl_nslots.append(n)
        slot_decl += [i] * n
    bucket_slot = len(slot_decl)
    if bucket >= 0:
        slot_decl += [bucket] * nbuckets
    # a lock object's class: the connection and TIME-WAIT names all mean the connection's own lock
    # (the first connection-scope declaration), every bucket name the first bucket declaration's locks
    lock_decl = [inp if d.scope in ("connection", "timewait") else bucket if d.scope == "bucket" else i
                 for i, d in enumerate(decls)]
    decl_display = [low.displays(decls[lock_decl[i]].display) for i in range(len(decls))]
    decl_index = {d.name: i for i, d in enumerate(decls)}

    def stack_set(frames_of_base) -> int:
        """One stack per base variant: ``frames_of_base(base_fn)`` gives the tuple for a thread of that variant."""
        low.stack_sets.append([low.stacks(frames_of_base(b)) for b in bases])
        return len(low.stack_sets) - 1

    def emit(*fields) -> int:
        pc = len(low.code) // W
        low.code += list(fields) + [0] * (W - len(fields))
        return pc

    def patch(pc, index, value):
        low.code[pc * W + index] = value

    # --- paths -------------------------------------------------------------------------------------------------
    def base_of(path, b):
        return path.base if b is None else b(path.base)

    def block(path, steps, depth):
        """Lower a block of steps. Work only accumulates time (``pend``); before any other step the thread
        waits out what it accumulated, then takes a pending preemption: the step's boundary, which waits only
        where a Work step ran since the last one (the lowering knows)."""
        dirty = False  # a Work step since the last point where the pending time was waited out
        for step in steps:
            cls = step.__class__
            if cls is Work:
                user = step.user
                sidx = stack_set(lambda b, s=step: s.frames if user else base_of(path, b) + s.frames)
                emit(OP["WORK"], int(costs[step.cost]), int(user), sidx, DISTRIBUTIONS.index(step.dist))
                dirty = dirty or bool(int(costs[step.cost]))
                continue
            # the boundary before the step: a conditional block's own (its repeat comes back to the condition
            # without one); any other step's is folded into the step's instruction (its BOUNDARY field)
            boundary = _fast.BOUNDARY_FLUSH if dirty else _fast.BOUNDARY_PREEMPT
            if cls is When:
                emit(OP["STEP"] if dirty else OP["PREEMPT"])
                boundary = 0
            dirty = False
            if cls in (Acquire, TryAcquire):
                d = decl_index[step.lock]
                site = low.sites(step.site)
                spin = spin_frames(decls[lock_decl[d]].kind, decls[lock_decl[d]].cls, step.mode, spin_table)
                sidx = stack_set(lambda b, s=step: base_of(path, b) + s.frames)
                spin_sidx = stack_set(lambda b, s=step: base_of(path, b) + s.frames + spin)
                row = low.rows((site, decl_display[d]))
                mode = int(step.mode == WRITE)
                if cls is Acquire:
                    pc = emit(OP["ACQ"], d, mode, row, site, sidx, spin_sidx, 1)
                    patch(pc, _fast.BOUNDARY, boundary)
                else:  # the fallback follows inline; success goes on at field 8
                    pc = emit(OP["TRY"], d, mode, row, site, sidx, spin_sidx, 0)
                    patch(pc, _fast.BOUNDARY, boundary)
                    block(path, step.on_fail, depth)
                    if step.locked is None:  # success: the rest of the path, holding the lock
                        patch(pc, 8, len(low.code) // W)
                    else:  # success: the locked block; the fallback jumps past it
                        past = emit(OP["JUMP"], 0)
                        patch(pc, 8, len(low.code) // W)
                        block(path, step.locked, depth)
                        patch(past, 1, len(low.code) // W)
            elif cls is Release:
                d = decl_index[step.lock]
                rel_sidx = 0  # a read release's wait for the word's line, charged to its runlock function
                if decls[lock_decl[d]].kind == "rw":
                    runlock = runlock_function(decls[lock_decl[d]].cls)
                    rel_sidx = stack_set(lambda b, s=step: base_of(path, b) + s.frames + (runlock,))
                patch(emit(OP["REL"], d, rel_sidx), _fast.BOUNDARY, boundary)
            elif cls is Retire:
                patch(emit(OP["RETIRE"], decl_index[step.lock]), _fast.BOUNDARY, boundary)
            elif cls is Act:
                action = list(ACTIONS).index(step.name)
                arg = _arg(step.name, step.arg)
                patch(emit(OP["ACT"], action, arg, low.reasons(step.abort_reason or step.name)), _fast.BOUNDARY, boundary)
            elif cls is When:
                if depth >= _fast.MAX_WHEN:
                    raise TcpsimError(f"variant {model.variant!r}: path {path.name!r}: conditional blocks nested "
                                      f"{depth + 1} deep; the fast engine allows {_fast.MAX_WHEN}; allowed: "
                                      "shallower nesting, or --engine simpy")
                pc = emit(OP["WHEN"], CONDITIONS.index(step.condition), 0, depth, int(step.repeat))
                block(path, step.steps, depth + 1)
                if step.repeat:
                    emit(OP["AGAIN"], pc, depth)
                patch(pc, 2, len(low.code) // W)
            elif cls is Stop:
                patch(emit(OP["STOP"]), _fast.BOUNDARY, boundary)
                return  # what follows a Stop in its block never runs (and need not be valid: checks.py skips it)
            else:
                raise TypeError(f"unknown step {step!r}")
        if dirty:
            emit(OP["FLUSH"])  # a block's pending work ends before whatever follows it

    for name, path in model.paths.items():
        path = executable(path)
        low.path_pc[name] = emit(OP["ENTER"], low.paths(name))  # not executed: a call reads the path's name here
        block(path, path.steps, 0)
        emit(OP["RET"])

    def path_pc(name):
        if name not in low.path_pc:
            raise KeyError(f"path {name!r} is not declared (variant {model.variant!r})")
        return low.path_pc[name]

    # --- thread programs ------------------------------------------------------------------------------------------
    def program(ops):
        for o in ops:
            cls = o.__class__
            if cls is op.Loop:
                top = len(low.code) // W
                program(o.body)
                emit(OP["JUMP"], top)
            elif cls is op.If:
                pc = emit(OP["IFNOT"], PROGRAM_CONDITIONS.index(o.cond))
                program(o.then)
                jump = emit(OP["JUMP"], 0)
                patch(pc, 2, len(low.code) // W)
                program(o.else_)
                patch(jump, 1, len(low.code) // W)
            elif cls is op.Sleep:
                emit(OP["SLEEP"])
            elif cls is op.Tick:
                emit(OP["TICK"], int(getattr(model.kernel, o.period) * 1e6))
            elif cls is op.Run:
                emit(OP["CALL"], path_pc(o.path))
            elif cls is op.RxPass:
                emit(OP["RXBEGIN"])
                top = emit(OP["RXNEXT"], 0, path_pc(o.frame_path))
                call = emit(OP["RXDISP"], top, 0)
                emit(OP["RXDRET"], call, top)
                patch(top, 1, emit(OP["RXEND"], op.NIC_COUNTERS.index(o.counter), PROBES.index(o.probe)))
            elif cls is op.Moderate:
                emit(OP["MODERATE"])
            elif cls is op.Unmask:
                emit(OP["UNMASK"], PROBES.index(o.probe))
            elif cls is op.WakeTask:
                emit(OP["WAKETASK"])
            elif cls is op.TakeTask:
                emit(OP["TAKETASK"])
            elif cls is op.Count:
                emit(OP["COUNT"], op.NIC_COUNTERS.index(o.counter), PROBES.index(o.probe) if o.probe else -1)
            elif cls is op.TakeReady:
                emit(OP["TAKEREADY"])
            elif cls is op.HandOff:
                emit(OP["HANDOFF"], int(o.to == "self"))
            elif cls is op.DrainBacklog:
                emit(OP["BLBEGIN"])
                top = emit(OP["BLNEXT"], int(o.socket == "conn"), 0)
                call = emit(OP["RXDISP"], top, 1)
                emit(OP["RXDRET"], call, top)
                patch(top, 2, emit(OP["BLEND"]))
            elif cls is op.Deadline:
                emit(OP["DEADLINE"], o.ticks)
            elif cls is op.Think:
                emit(OP["THINK"], int(costs[o.cost]), DISTRIBUTIONS.index(o.dist), stack_set(lambda b, o=o: o.frames))
            else:
                raise TypeError(f"unknown program operation {o!r}")

    threads = []
    programs_pc = {}
    for spec in specs:
        if spec.program not in programs_pc:
            programs_pc[spec.program] = len(low.code) // W
            program(spec.program)
        threads.append(dict(name=spec.name, command=spec.command, pid=spec.pid, pri=spec.pri, cpu=spec.cpu,
                            mode=CATEGORIES.index(spec.mode), kind=KINDS.index(spec.kind), queue=spec.index,
                            listen=spec.listen, bound=int(spec.bound), basevar=bases.index(spec.base),
                            pc=programs_pc[spec.program]))
    acceptors = [i for i, t in enumerate(threads) if t["listen"] >= 0]  # by listen socket, as specs list them

    # --- segments: what tcp_input runs for each (segment, state), frame sizes, the clients' rules ----------------
    c = model.clients
    dispatch, backlog_dispatch = [], []
    for seg in SEGMENTS:
        for state in tcp.STATES:
            client = seg in tcp.CLIENT_SEGMENTS
            names = kernel.paths_for(seg, state) if client else ()
            dispatch.append([path_pc(n) for n in names])
            names = kernel.backlog_paths_for(seg, state) if client and kernel.backlog_paths_for else ()
            backlog_dispatch.append([path_pc(n) for n in names])
    answers = [[SEGMENTS.index(a) for a in clients.ANSWERS.get(seg, ())] for seg in SEGMENTS]
    hw = model.hardware
    switch_stack = low.stacks(kernel.word("switch_stack", sched.SWITCH_STACK))
    return dict(
        code=low.code, stacks=low.stacks.names, stack_sets=low.stack_sets, nvariants=len(bases),
        sites=low.sites.names, displays=low.displays.names, rows=low.rows.names, paths=low.paths.names,
        reasons=low.reasons.names, switch_stack=switch_stack,
        decl_scope=[SCOPES.index(d.scope) for d in decls], decl_slot=decl_slot, decl_nslots=decl_nslots,
        decl_kind=[int(d.kind == "rw") for d in decls], decl_recursive=[int(d.recursive) for d in decls],
        decl_cls=[list(CLASSES).index(d.cls) for d in decls],
        decl_display=decl_display, inp_decl=inp, slot_decl=slot_decl, bucket_slot=bucket_slot,
        nbuckets=nbuckets, nlisten=nlisten, listen_by_queue=int(model.app.acceptors == "per_core"), threads=threads,
        acceptors=acceptors,
        segments=SEGMENTS, states=tcp.STATES, actions=list(ACTIONS), dispatch=dispatch, backlog_dispatch=backlog_dispatch, answers=answers,
        frame_bytes=[tcp.frame_bytes(s, c.request_bytes, c.response_bytes) for s in SEGMENTS],
        resend=[RESEND_KINDS.index(clients.RESENT.get(s)) for s in SEGMENTS],
        opens=SEGMENTS.index(clients.OPENS), completes=SEGMENTS.index(clients.COMPLETES),
        eitr=nic.initial_eitr(hw.max_interrupt_rate), eitr_mask=nic.EITR_INTERVAL_MASK, eitr_unit=nic.EITR_UNIT_NS,
        frame_overhead=nic.DRIVER_FRAME_OVERHEAD, idle_pri=sched.IDLE_PRI, tick_ns=sched.TICK_NS,
        affinity_ticks=sched.AFFINITY_TICKS,
        state_closed=tcp.STATES.index("CLOSED"), state_tw=tcp.STATES.index("TIME_WAIT"),
        line_transfer=[ns for row in transfer_table(hw, costs) for ns in row],  # [from cpu * cpus + to cpu]
        **_smt(hw, costs),
    )


def _smt(hw, costs) -> dict:
    """SMT execution sharing: each CPU's siblings flattened ([cpu * smt_n + k]) and the two extras."""
    sibs = siblings(hw)
    if sibs is None:
        return dict(smt_n=0, smt_siblings=[], smt_extra=(0, 0))
    return dict(smt_n=hw.threads_per_core - 1, smt_siblings=[c for row in sibs for c in row], smt_extra=smt_extra(costs))


def _arg(action: str, arg: str) -> int:
    """An action's argument as an index: a state for "state", a segment for "tx_enqueue", else 0."""
    if action == "state":
        return tcp.STATES.index(arg)
    if action == "tx_enqueue":
        return SEGMENTS.index(arg)
    return 0
