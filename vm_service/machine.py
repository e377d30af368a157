"""A steppable eBPF machine.

All state lives on the object, so a run can pause after any instruction:
``step()`` executes one instruction and returns an ``Event``; ``run()`` is a loop
over ``step()``. A run ends with exactly one terminal event (``exit``, ``fault``
or ``limit``); no Python exception escapes ``step()``.

Counting follows the kernel: ``pc`` is a slot index (ld_imm64 is two slots) and
``instructions`` counts executed instructions, ld_imm64 once.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, NamedTuple, Protocol

from .environment import Environment
from .isa import Instruction
from .memory import STACK_SIZE, Memory, MemoryFault, Region, RegionKind
from .opcodes import CallKind, Kind, Pseudo, Source
from .program import Program
from .semantics import ATOMIC, CONDITIONS, MASK, MASK64, alu, endian, sign_extend

DEFAULT_LIMIT = 1_000_000
MAX_CALL_FRAMES = 8          # the kernel's MAX_CALL_FRAMES
MAX_LOOPS = 8 * 1024 * 1024  # BPF_MAX_LOOPS: may_goto's budget per function invocation
CALLEE_SAVED = (6, 7, 8, 9)
CALLER_CLOBBERED = (1, 2, 3, 4, 5)
CLOBBERED_FLAGS = [False] * len(CALLER_CLOBBERED)
FP = 10
# Classic BPF's negative LD_ABS/LD_IND offsets: from SKF_NET_OFF up to 0 they count
# from the network header, from SKF_LL_OFF up to SKF_NET_OFF from the link-layer header.
SKF_NET_OFF = -0x100000
SKF_LL_OFF = -0x200000

MAX_TAIL_CALLS = 33         # MAX_TAIL_CALL_CNT: the 34th tail call falls through
BPF_LOOP_MAX = 1 << 23      # bpf_loop refuses more iterations with -E2BIG
HELPER_TAIL_CALL = 12       # bpf_tail_call: replaces the running program
HELPER_LOOP = 181           # bpf_loop: calls a bpf function repeatedly
E2BIG, EINVAL = 7, 22

# Where bpf functions and map handles live in the address space: a function
# pointer (ld_imm64 src=4) is CODE_BASE + 8 * pc, a map handle (src=1) MAP_BASE +
# MAP_STRIDE * index. Neither is readable memory, as in the kernel.
CODE_BASE = 0xFFFF_FFFF_A000_0000
MAP_BASE = 0xFFFF_8890_0000_0000
MAP_STRIDE = 0x1000

# A helper receives the machine and r1-r5 and returns r0 (it may raise MachineFault).
Helper = Callable[["Machine", int, int, int, int, int], int]


class ProgramContext(Protocol):
    """What the Machine asks of a program type's context (``vm_service.progtypes``)."""

    address: int   # where the context struct is: r1 at entry

    def legacy_load(self, machine: "Machine", offset: int, size: int) -> bytes | None:
        """LD_ABS/LD_IND: the ``size`` bytes at ``offset``, None when out of bounds
        (the program then exits with 0); MachineFault when the type forbids them."""


class MachineFault(Exception):
    """Ends the run with a fault event; raised by the machine and by helpers."""


TERMINAL = ("exit", "fault", "limit")


class Event(NamedTuple):
    """What one step (or run) ended with.

    ``kind`` is one of: ``step`` (an instruction ran), ``breakpoint`` and
    ``paused`` (run stopped before ``pc``), or the terminal ``exit``, ``fault``,
    ``limit``. For faults, ``addr``/``size``/``region`` describe the access.
    A named tuple, not a dataclass: one is built per step, so it must be cheap.
    """

    kind: str
    pc: int
    message: str | None = None
    r0: int | None = None
    addr: int | None = None
    size: int | None = None
    region: str | None = None
    access: str | None = None

    @property
    def terminal(self) -> bool:
        return self.kind in TERMINAL

    def to_dict(self) -> dict:
        return self._asdict()


def fault_event(pc: int, error: Exception) -> Event:
    """The terminal event for an exception raised while executing the instruction at ``pc``."""
    if isinstance(error, MemoryFault):
        return Event("fault", pc, error.reason, addr=error.addr, size=error.size,
                     region=error.region_name, access=error.access)
    if isinstance(error, MachineFault):
        return Event("fault", pc, str(error))
    return Event("fault", pc, f"internal error: {type(error).__name__}: {error}")


# The "step" event for each pc, built once: events are immutable, and one is returned per step.
STEP_EVENTS: dict[int, Event] = {}


@dataclass
class LoopState:
    """A bpf_loop in progress: the callback runs once per index until it returns non-zero."""

    index: int
    count: int
    callback_pc: int
    ctx: int


@dataclass
class Frame:
    """A caller's saved state during a bpf-to-bpf call (or a bpf_loop callback)."""

    return_pc: int
    saved: dict[int, tuple[int, bool]]   # r6-r9 and r10: (value, written)
    stack: Region
    loops_left: int
    loop: LoopState | None = None


@dataclass
class Machine:
    program: Program
    memory: Memory = field(default_factory=Memory)
    env: Environment = field(default_factory=Environment)
    helpers: Mapping[int, Helper] = field(default_factory=dict)
    limit: int = DEFAULT_LIMIT
    packet: Region | None = None  # what legacy LD_ABS/LD_IND read
    resolve_pseudo: Callable[["Machine", Instruction], int] | None = None
    maps: list = field(default_factory=list)          # BpfMap objects, by ld_imm64 index
    helper_name: Callable[[int], str | None] = lambda helper_id: None
    # The program type's context for this run (vm_service.progtypes), None in raw mode:
    # its ctx struct and packet are in memory; legacy loads and context helpers ask it.
    context: "ProgramContext | None" = None

    regs: list[int] = field(default_factory=lambda: [0] * 11)
    written: list[bool] = field(default_factory=lambda: [False] * 11)
    pc: int = 0
    instructions: int = 0
    frames: list[Frame] = field(default_factory=list)
    result: Event | None = None
    loops_left: int = MAX_LOOPS   # the current function's may_goto budget
    tail_calls: int = 0
    output: list[dict] = field(default_factory=list)  # trace_printk lines, ring-buffer records...

    # Everything a snapshot must hold to put the machine back exactly.
    STATE = ("program", "regs", "written", "pc", "instructions", "frames", "result",
             "loops_left", "tail_calls", "output", "stack", "memory", "maps", "packet", "env",
             "context")

    def __post_init__(self) -> None:
        self.stack = self.memory.add("stack", RegionKind.STACK, bytes(STACK_SIZE), track_writes=True)
        self._set(FP, self.stack.end)
        self._execute = {
            Kind.ALU: self._alu, Kind.JUMP: self._jump, Kind.LOAD: self._load,
            Kind.STORE: self._store, Kind.ATOMIC: self._atomic, Kind.LDDW: self._lddw,
            Kind.LEGACY: self._legacy, Kind.CALL: self._call, Kind.EXIT: self._exit,
        }

    @classmethod
    def raw(cls, program: Program, mem: bytes = b"", **options) -> "Machine":
        """The conformance convention: r1 points to a copy of ``mem``, r2 holds its length.

        Empty memory gives r1 = 0, as the conformance runners pass a NULL pointer.
        """
        machine = cls(program, **options)
        if mem:
            region = machine.memory.add("mem", RegionKind.INPUT, mem)
            machine.packet = machine.packet or region
            machine._set(1, region.base)
        else:  # as the conformance runners pass it: a NULL pointer
            machine._set(1, 0)
        machine._set(2, len(mem))
        return machine

    def attach_context(self, context: "ProgramContext") -> None:
        """Run with a program type's context: r1 = its address, as the kernel passes it."""
        self.context = context
        self._set(1, context.address)

    # -- running -------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self.result is not None

    def step(self) -> Event:
        """Execute one instruction. After a terminal event, returns it again."""
        if self.result is not None:
            return self.result
        pc = self.pc
        if self.instructions >= self.limit:
            return self._end(Event("limit", pc, f"instruction limit reached: {self.limit} "
                                                f"instructions executed"))
        insn = self.program.at[pc]
        self.instructions += 1
        env = self.env
        env.clock_ns += env.ns_per_insn  # Environment.tick(), inlined: once per step
        try:
            outcome = self._execute[insn.spec.kind](insn, pc)
        except Exception as error:  # a bug of ours must still not crash the caller
            return self._end(fault_event(pc, error))
        if isinstance(outcome, Event):
            return self._end(outcome)
        self.pc = pc + 1 if outcome is None else outcome
        event = STEP_EVENTS.get(pc)
        if event is None:
            event = STEP_EVENTS[pc] = Event("step", pc)
        return event

    def run(self, budget: int | None = None, breakpoints: Iterable[int] = ()) -> Event:
        """Step until a terminal event, a breakpoint, or ``budget`` more instructions.

        A breakpoint stops *before* the instruction at that pc; the instruction
        at the starting pc always runs, so repeated ``run`` calls make progress.
        """
        stops = frozenset(breakpoints)
        executed = 0
        while (stop := self.stop_before_next(executed, budget, stops)) is None:
            self.step()
            executed += 1
        return stop

    def stop_before_next(self, executed: int, budget: int | None,
                         stops: frozenset[int]) -> Event | None:
        """Why a run that has executed ``executed`` instructions stops now, if it does.

        One rule for every run mode (step and fast): the result first, then the
        budget, then a breakpoint (never before the first instruction).
        """
        if self.result is not None:
            return self.result
        if budget is not None and executed >= budget:
            return Event("paused", self.pc, f"paused after {executed} instructions")
        if executed and self.pc in stops:
            return Event("breakpoint", self.pc)
        return None

    def _end(self, event: Event) -> Event:
        self.result = event
        return event

    # -- registers -----------------------------------------------------------

    def _set(self, reg: int, value: int) -> None:
        self.regs[reg] = value & MASK64
        self.written[reg] = True

    def _set_dst(self, reg: int, value: int) -> None:
        if reg == FP:
            raise MachineFault("frame pointer is read only")
        self._set(reg, value)

    def _clobber(self, regs: Iterable[int]) -> None:
        for reg in regs:
            self.written[reg] = False

    def _operand(self, insn: Instruction, width: int) -> int:
        value = self.regs[insn.src] if insn.spec.source is Source.X else insn.imm
        return value & MASK[width]

    # -- instruction families ------------------------------------------------

    def _alu(self, insn: Instruction, pc: int) -> None:
        spec = insn.spec
        if spec.op in ("le", "be", "bswap"):
            value = endian(spec.op, self.regs[insn.dst], spec.width)
        elif spec.op == "addr_space_cast":
            raise MachineFault("addr_space_cast needs an arena map (BPF_MAP_TYPE_ARENA); "
                               "raw bytecode has none")
        else:
            width = spec.width
            value = alu(spec.op, self.regs[insn.dst] & MASK[width], self._operand(insn, width),
                        width, insn.off)
        self._set_dst(insn.dst, value)

    def _jump(self, insn: Instruction, pc: int) -> int | None:
        spec = insn.spec
        if spec.op == "ja":
            return pc + 1 + (insn.imm if spec.width == 32 else insn.off)
        if spec.op == "may_goto":
            if self.loops_left == 0:
                return pc + 1 + insn.off
            self.loops_left -= 1
            return None
        width = spec.width
        if CONDITIONS[spec.op](self.regs[insn.dst] & MASK[width], self._operand(insn, width), width):
            return pc + 1 + insn.off
        return None

    def _load(self, insn: Instruction, pc: int) -> None:
        size = insn.spec.width
        value = self.memory.load((self.regs[insn.src] + insn.off) & MASK64, size)
        if insn.spec.op == "ldxs":
            value = sign_extend(value, size * 8)
        self._set_dst(insn.dst, value)

    def _store(self, insn: Instruction, pc: int) -> None:
        # A store-immediate's imm stays signed: a hooked region (a context) may look at it.
        value = self.regs[insn.src] if insn.spec.op == "stx" else insn.imm
        self.memory.store((self.regs[insn.dst] + insn.off) & MASK64, insn.spec.width, value)

    def _atomic(self, insn: Instruction, pc: int) -> None:
        size = insn.spec.width
        op = insn.spec.op
        if op == "load_acquire":
            addr = (self.regs[insn.src] + insn.off) & MASK64
            self._refuse_hooked(addr, size, f"BPF_ATOMIC loads from R{insn.src}")
            self._set_dst(insn.dst, self.memory.load(addr, size))
            return
        mask = MASK[size * 8]
        addr = (self.regs[insn.dst] + insn.off) & MASK64
        self._refuse_hooked(addr, size, f"BPF_ATOMIC stores into R{insn.dst}")
        operand = self.regs[insn.src] & mask
        if op == "store_release":
            self.memory.store(addr, size, operand)
            return
        old = self.memory.load(addr, size)
        if op == "cmpxchg":
            if old == self.regs[0] & mask:
                self.memory.store(addr, size, operand)
            self._set(0, old)
            return
        self.memory.store(addr, size, ATOMIC[op.removeprefix("fetch_")](old, operand))
        if op == "xchg" or op.startswith("fetch_"):
            self._set_dst(insn.src, old)

    def _refuse_hooked(self, addr: int, size: int, what: str) -> None:
        """Atomics never touch a context (the verifier's rule); unmapped memory faults later."""
        try:
            region, _ = self.memory.find(addr, size, "read")
        except MemoryFault:
            return
        if region.hook is not None:
            raise MachineFault(f"{what} {region.hook.type_name} is not allowed")

    def _lddw(self, insn: Instruction, pc: int) -> int:
        if insn.src == Pseudo.NONE:
            value = insn.imm64
        elif insn.src == Pseudo.FUNC:
            value = CODE_BASE + 8 * (pc + 1 + insn.imm)
        elif self.resolve_pseudo is not None:
            value = self.resolve_pseudo(self, insn)
        elif insn.src in (Pseudo.MAP_FD, Pseudo.MAP_IDX):
            value = self.map_address(self._map_index(insn.imm))
        elif insn.src in (Pseudo.MAP_VALUE, Pseudo.MAP_IDX_VALUE):
            value = self._map_value_address(self._map_index(insn.imm), insn.next_imm)
        else:
            raise MachineFault(f"ld_imm64 with src_reg {insn.src} ({Pseudo(insn.src).name}) "
                               f"needs a loaded object to resolve it; raw bytecode has none")
        self._set_dst(insn.dst, value)
        return pc + 2

    # -- maps ------------------------------------------------------------------

    def _map_index(self, index: int) -> int:
        if not 0 <= index < len(self.maps):
            raise MachineFault(f"ld_imm64 names map {index}, but the program has "
                               f"{len(self.maps)} map(s)")
        return index

    @staticmethod
    def map_address(index: int) -> int:
        return MAP_BASE + MAP_STRIDE * index

    def map_at(self, addr: int):
        """The map whose handle is ``addr`` (a helper's map argument); MachineFault if none."""
        index, rest = divmod(addr - MAP_BASE, MAP_STRIDE)
        if rest or not 0 <= index < len(self.maps):
            raise MachineFault(f"0x{addr:x} is not a map")
        return self.maps[index]

    def value_pointer(self, storage: bytearray, name: str, kind: RegionKind = RegionKind.MAP_VALUE,
                      writable: bool = True) -> int:
        """The address of a map's live value storage, mapping it on first use."""
        region = self.memory.region_of(storage)
        if region is None:
            region = self.memory.add(name, kind, storage, writable=writable, share=True)
        return region.base

    def _map_value_address(self, index: int, offset: int) -> int:
        bpf_map = self.maps[index]
        storage = bpf_map.lookup(bytes(bpf_map.spec.key_size))
        if storage is None:
            raise MachineFault(f"map {index} has no value at key 0 for a direct value pointer")
        writable = not getattr(bpf_map, "frozen", False)
        return self.value_pointer(storage, f"{bpf_map.spec.name or f'map{index}'}[0]",
                                  writable=writable) + offset

    def _legacy(self, insn: Instruction, pc: int) -> Event | None:
        """LD_ABS/LD_IND: big-endian packet load into r0; out of bounds exits with 0.

        With a program type's context, the context says where offsets count from
        (``legacy_load``). In raw mode the packet starts at the network header, as
        a socket filter's skb does, so an offset SKF_NET_OFF + k reads byte k. The
        packet has no link-layer header before it: offsets from SKF_LL_OFF (and
        any other negative one) are out of bounds.
        """
        size = insn.spec.width
        offset = insn.imm
        if insn.spec.op == "ldind":
            offset = (self.regs[insn.src] + insn.imm) & MASK[32]
            offset = offset - (1 << 32) if offset >> 31 else offset
        if self.context is not None:
            data = self.context.legacy_load(self, offset, size)
        else:
            if SKF_NET_OFF <= offset < 0:
                offset -= SKF_NET_OFF
            packet = self.packet
            inside = packet is not None and 0 <= offset and offset + size <= len(packet.data)
            data = bytes(packet.data[offset:offset + size]) if inside else None
        self._clobber(CALLER_CLOBBERED)
        if data is None:
            self._set(0, 0)
            return Event("exit", pc, f"{insn.spec.mnemonic} at offset {offset} is outside the "
                                     f"packet: the program exits with 0, as the kernel does", r0=0)
        self._set(0, int.from_bytes(data, "big"))
        return None

    def _call(self, insn: Instruction, pc: int) -> int | None:
        if insn.src == CallKind.LOCAL:
            return self._call_local(insn, pc)
        if insn.src == CallKind.KFUNC:
            raise MachineFault(f"kernel function calls (kfunc btf_id {insn.imm}) are not supported")
        helper = self.helper(insn.imm)
        result = helper(self, *self.regs[1:6])  # for these two: the prototype's checks only
        if insn.imm == HELPER_LOOP:
            return self._bpf_loop(pc)
        if insn.imm == HELPER_TAIL_CALL:
            return self._tail_call(pc)
        self.helper_returned(helper, result)
        return None

    def helper(self, helper_id: int) -> Helper:
        """The helper a call instruction names; MachineFault (the kernel's words) if none."""
        helper = self.helpers.get(helper_id)
        if helper is None:
            name = self.helper_name(helper_id)
            if name is None:
                raise MachineFault(f"invalid func unknown#{helper_id}")
            raise MachineFault(f"program of this type cannot use helper {name}#{helper_id}")
        return helper

    def helper_returned(self, helper: Helper, result: int) -> None:
        """r0 = the result; r1-r5 become unreadable, as after any helper call."""
        self.regs[0] = result & MASK64
        written = self.written
        written[1:6] = CLOBBERED_FLAGS  # a hot path: one slice, not a loop
        written[0] = not getattr(helper, "returns_void", False)  # void: r0 stays uninitialised

    def _bpf_loop(self, pc: int) -> int | None:
        """bpf_loop(nr_loops, callback, ctx, flags): each iteration is a real call, steppable.

        With flags 0 the verifier inlines the call, and the inlined code is what
        runs: it compares all 64 bits of nr_loops and returns -E2BIG as a 32-bit value.
        """
        count, callback, ctx, flags = self.regs[1], self.regs[2], self.regs[3], self.regs[4]
        if flags:
            return self._helper_result(-EINVAL)
        if count > BPF_LOOP_MAX:
            return self._helper_result(-E2BIG & MASK[32])
        target, rest = divmod(callback - CODE_BASE, 8)
        if rest or not 0 <= target < len(self.program.at) or self.program.at[target] is None:
            raise MachineFault(f"bpf_loop callback 0x{callback:x} is not a bpf function")
        if count == 0:
            return self._helper_result(0)
        return self._enter(pc + 1, target, LoopState(0, count, target, ctx))

    def _helper_result(self, value: int) -> None:
        self._set(0, value)
        self._clobber(CALLER_CLOBBERED)
        return None

    def _tail_call(self, pc: int) -> int | None:
        """bpf_tail_call(ctx, prog_array, index): jump into another program, or fall through."""
        prog_array, index = self.map_at(self.regs[2]), self.regs[3] & MASK[32]
        if not hasattr(prog_array, "get"):
            raise MachineFault(f"cannot pass map_type {int(prog_array.spec.type)} into func "
                               f"bpf_tail_call#{HELPER_TAIL_CALL}")
        target = prog_array.get(index) if index < prog_array.spec.max_entries else None
        self._clobber(CALLER_CLOBBERED + (0,))  # void: the verifier leaves r0 uninitialised
        if target is None or self.tail_calls >= MAX_TAIL_CALLS:
            return None
        self.tail_calls += 1
        self.program = target
        self.stack.data[:] = bytes(STACK_SIZE)
        if self.stack.written is not None:
            self.stack.written[:] = bytes(STACK_SIZE)
        self.loops_left = MAX_LOOPS
        return 0

    def _call_local(self, insn: Instruction, pc: int) -> int:
        return self._enter(pc + 1, pc + 1 + insn.imm)

    def _enter(self, return_pc: int, target: int, loop: LoopState | None = None) -> int:
        """Push a frame and start a bpf function (a call, or one bpf_loop iteration)."""
        if len(self.frames) + 1 >= MAX_CALL_FRAMES:
            raise MachineFault(f"the call stack of {len(self.frames) + 2} frames is too deep !")
        saved = {reg: (self.regs[reg], self.written[reg]) for reg in CALLEE_SAVED + (FP,)}
        self.frames.append(Frame(return_pc, saved, self.stack, self.loops_left, loop))
        self.loops_left = MAX_LOOPS
        self.stack = self.memory.add(f"stack#{len(self.frames)}", RegionKind.STACK,
                                     bytes(STACK_SIZE), track_writes=True)
        self._set(FP, self.stack.end)
        self._clobber(CALLEE_SAVED)
        if loop is not None:
            self._set(1, loop.index)
            self._set(2, loop.ctx)
            self._clobber((3, 4, 5))
        return target

    def _exit(self, insn: Instruction, pc: int) -> int | Event:
        if not self.frames:
            return Event("exit", pc, r0=self.regs[0])
        frame = self.frames.pop()
        self.memory.remove(self.stack)
        self.stack = frame.stack
        self.loops_left = frame.loops_left
        for reg, (value, written) in frame.saved.items():
            self.regs[reg] = value
            self.written[reg] = written
        self._clobber(CALLER_CLOBBERED)
        loop = frame.loop
        if loop is None:
            return frame.return_pc
        loop.index += 1
        if self.regs[0] == 0 and loop.index < loop.count:  # the kernel stops on any non-zero
            return self._enter(frame.return_pc, loop.callback_pc, loop)
        self._set(0, loop.index)
        return frame.return_pc

    # -- snapshots -------------------------------------------------------------

    def snapshot(self) -> dict:
        """A deep copy of every piece of run state (aliasing kept: map values stay mapped)."""
        return copy.deepcopy({name: getattr(self, name) for name in self.STATE})

    def restore(self, snapshot: dict) -> None:
        """Put the machine back to ``snapshot``, which stays usable for later restores.

        The maps keep their identity (their contents are put back in place), so
        whoever holds them, a ProgramInstance between events or the UI, sees the
        restored contents.
        """
        state = copy.deepcopy(snapshot)
        saved_maps = state.pop("maps")
        for name, value in state.items():
            setattr(self, name, value)
        self._adopt_maps(saved_maps)

    def _adopt_maps(self, saved: list) -> None:
        live = self.maps
        if len(saved) > len(live) or any(type(a) is not type(b) for a, b in zip(live, saved)):
            self.maps = saved  # not the same maps at all: nothing to keep
            return
        del live[len(saved):]  # maps registered since (inner maps a lookup handed out)
        originals = {id(restored): original for original, restored in zip(live, saved)}
        for original, restored in zip(live, saved):
            original.__dict__ = restored.__dict__
        for original in live:
            original.relink_inner_maps(originals)

    # -- views for tools and the UI -----------------------------------------

    def stack_bytes(self) -> tuple[bytes, bytes]:
        """The current frame's stack and its written-bytes mask (1 = written)."""
        return bytes(self.stack.data), bytes(self.stack.written or b"")
