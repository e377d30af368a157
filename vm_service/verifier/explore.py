"""Depth-first path exploration, as Linux 6.18's ``do_check`` walks a program as root.

One path at a time: each instruction is checked (``cfg.check_instruction``),
then its transfer function gives the next state. A conditional jump the
scalar domain cannot decide continues with the fall-through side and pushes
the jump side on a stack of pending paths, as the kernel does. At prune points
(conditional jumps and the targets of ``goto``) a state equal to one explored
before ends the path, and a state equal to one of the path's own checkpoints
is an infinite loop; checkpoints are added with the kernel's frequency rule.

What is modelled: scalar ALU, moves and byte swaps; ``ld_imm64`` of constants
and of maps; stack and map-value loads and stores at fixed offsets; scalar
branches with refinement and linked scalars (ids); NULL checks of map lookups;
the helpers of ``HELPERS``; ``exit`` with the return ranges of ``RETURN_RANGES``.
Anything else raises ``Unsupported``: the caller answers "unsupported", never a
guessed verdict. Where this explorer knows less than the kernel (a link between
scalars it drops), the path is marked ``approximate``: an error found on such a
path may be one the kernel never meets, so it is reported as unsupported too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import VmError
from ..helpers.kinds import ProgType, TypeFlag
from ..helpers.prototypes import PROTOTYPES
from ..isa import Insn
from ..opcodes import Class, Pseudo
from . import cfg, messages
from .regs import FRAME_POINTER, REG_COUNT, MapRef, RegState, RegType
from .scalar import S64_MAX, S64_MIN, Scalar
from .scalar_alu import AluOp, alu, byte_swap, mov, mov_imm
from .scalar_branch import JmpOp, branch_taken, refine
from .stack import SLOT_SIZE, MAX_STACK, SlotType, Stack, StackError
from .state_log import type_text

INSN_LIMIT = 1_000_000            # BPF_COMPLEXITY_LIMIT_INSNS
OUR_BUDGET = 30_000               # beyond this many processed insns we stop and say unsupported
MAX_POINTER_OFFSET = 1 << 29      # BPF_MAX_VAR_OFF: larger constant offsets are refused
CALLER_SAVED = range(1, 6)
HELPER_ARG_REGS = (1, 2, 3, 4, 5)

ALU_OPS = {0x00: AluOp.ADD, 0x10: AluOp.SUB, 0x20: AluOp.MUL, 0x30: AluOp.DIV, 0x40: AluOp.OR,
           0x50: AluOp.AND, 0x60: AluOp.LSH, 0x70: AluOp.RSH, 0x80: AluOp.NEG, 0x90: AluOp.MOD,
           0xA0: AluOp.XOR, 0xC0: AluOp.ARSH}
JMP_OPS = {0x10: JmpOp.JEQ, 0x20: JmpOp.JGT, 0x30: JmpOp.JGE, 0x40: JmpOp.JSET, 0x50: JmpOp.JNE,
           0x60: JmpOp.JSGT, 0x70: JmpOp.JSGE, 0xA0: JmpOp.JLT, 0xB0: JmpOp.JLE,
           0xC0: JmpOp.JSLT, 0xD0: JmpOp.JSLE}
SIZES = {0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8}          # BPF_W, BPF_H, BPF_B, BPF_DW
MOV, END, JA, CALL, EXIT = 0xB0, 0xD0, 0x00, 0x80, 0x90
MODE_MEM, MODE_MEMSX = 0x60, 0x80

# Program types whose exit this explorer models, with the range check_return_code
# enforces on R0 (None: no check). Asked of the live kernel (tests check it).
RETURN_RANGES: dict[ProgType, tuple[int, int] | None] = {
    ProgType.SOCKET_FILTER: None, ProgType.KPROBE: None, ProgType.SCHED_CLS: None,
    ProgType.SCHED_ACT: None, ProgType.TRACEPOINT: None, ProgType.XDP: None,
    ProgType.PERF_EVENT: None, ProgType.CGROUP_SKB: (0, 1),
}
# Map types a lookup is modelled for; the array's value is never NULL for a constant
# key in range (can_elide_value_nullness).
LOOKUP_MAP_TYPES = {"hash": False, "array": True}


def _possible_cpus() -> int:
    """nr_cpu_ids: the kernel bounds bpf_get_smp_processor_id's result by it."""
    text = Path("/sys/devices/system/cpu/possible").read_text().strip()
    return max(int(part.split("-")[-1]) for part in text.split(",")) + 1


def _scalar_below(limit: int) -> Scalar:
    regs = Scalar.unknown().thaw()
    regs.umin, regs.umax = 0, limit - 1
    regs.bounds_sync()
    return regs.freeze()


# Helpers modelled: id -> what R0 becomes. Their arguments are checked by _call.
SCALAR_HELPERS = {5: Scalar.unknown, 7: Scalar.unknown,               # ktime_get_ns, get_prandom_u32
                  8: lambda: _scalar_below(_possible_cpus())}        # get_smp_processor_id
MAP_LOOKUP = 1


class Unsupported(VmError):
    """The program uses something this explorer does not model yet."""


class _Reject(Exception):
    """Internal: the kernel refuses the program at ``pc`` with ``text``."""

    def __init__(self, text: str, pc: int):
        self.text, self.pc = text, pc


@dataclass(frozen=True)
class MapInfo:
    """A map the program may name with ``r1 = map[id:N]`` (N is its index)."""

    type: str
    key_size: int
    value_size: int
    max_entries: int
    name: str = ""

    def ref(self) -> MapRef:
        return MapRef(self.name, self.key_size, self.value_size)


@dataclass(frozen=True)
class State:
    """The state of one path: registers and stack (one frame: no bpf-to-bpf calls yet)."""

    regs: tuple[RegState, ...]
    stack: Stack = Stack()
    approximate: bool = field(default=False, compare=False)

    def set(self, regno: int, reg: RegState) -> "State":
        return replace(self, regs=self.regs[:regno] + (reg,) + self.regs[regno + 1:])

    def initialised(self) -> frozenset[int]:
        return frozenset(i for i, reg in enumerate(self.regs) if reg.is_init())


def _stack_prefix_equal(old: Stack, cur: Stack) -> bool:
    """stacksafe(EXACT): every slot of the old state's allocation, byte for byte."""
    return len(cur.slots) >= len(old.slots) and cur.slots[:len(old.slots)] == old.slots


@dataclass
class Outcome:
    """What the exploration found."""

    accepted: bool
    error: str | None = None
    error_insn: int | None = None
    processed: int = 0
    total_states: int = 0
    peak_states: int = 0
    max_states_per_insn: int = 0


@dataclass
class _Checkpoint:
    pc: int
    state: State


class Explorer:
    """One exploration of one program (the kernel's ``bpf_verifier_env``)."""

    def __init__(self, slots: list[Insn], prog_type: ProgType, maps: tuple[MapInfo, ...]):
        if prog_type not in RETURN_RANGES:
            raise Unsupported(f"program type {prog_type.name.lower()} is not modelled yet")
        self.slots, self.prog_type, self.maps = slots, prog_type, maps
        self.prune_points = self._prune_points()
        self.explored: dict[int, dict[State, list[_Checkpoint]]] = {}
        self.processed = self.jumps = self.prev_processed = self.prev_jumps = 0
        self.id_gen = 0
        self.pc = 0   # the instruction being stepped, for errors found deep in a transfer

    def _prune_points(self) -> set[int]:
        """Conditional jumps themselves, and the targets of ``goto`` (6.18's visit_insn)."""
        points = set()
        for pc, slot in enumerate(self.slots):
            cls, op = slot.opcode & 0x07, slot.opcode & 0xF0
            if cls in (Class.JMP, Class.JMP32) and op in JMP_OPS:
                points.add(pc)
            elif cls in (Class.JMP, Class.JMP32) and op == JA and slot.opcode != 0xE5:
                points.add(pc + 1 + (slot.imm if cls == Class.JMP32 else slot.off))
        return points

    def new_id(self) -> int:
        self.id_gen += 1
        return self.id_gen

    # -- the walk ------------------------------------------------------------------------
    def run(self) -> Outcome:
        regs = [RegState.not_init()] * REG_COUNT
        regs[1], regs[FRAME_POINTER] = RegState.ctx(), RegState.frame_pointer()
        pending: list[tuple[int, State, tuple[_Checkpoint, ...], int | None]] = [
            (0, State(tuple(regs)), (), None)]
        try:
            while pending:
                self._walk(*pending.pop(), pending)
        except _Reject as reject:
            return self._outcome(False, reject.text, reject.pc)
        return self._outcome(True)

    def _outcome(self, accepted: bool, error: str | None = None, pc: int | None = None) -> Outcome:
        counts = [sum(map(len, v.values())) for v in self.explored.values()]
        return Outcome(accepted, error, pc, self.processed, sum(counts), sum(counts),
                       max(counts, default=0))

    def _walk(self, pc: int, state: State, path: tuple[_Checkpoint, ...], came_from: int | None,
              pending) -> None:
        """One path from ``pc``; ``came_from`` is the instruction before it (the log's last line
        when the path is refused before its first instruction is printed)."""
        while True:
            self.processed += 1
            if self.processed > OUR_BUDGET:
                raise Unsupported(f"more than {OUR_BUDGET} instructions processed: the pruning "
                                  "of this explorer is weaker than the kernel's")
            if pc in self.prune_points:
                visited = self._visit(pc, state, path, came_from)
                if visited is None:
                    return
                path = visited
            slot = self.slots[pc]
            error = cfg.check_instruction(slot, pc, int(self.prog_type), state.initialised())
            if error is not None:
                self._reject(state, error.text, pc)
            self.pc = pc
            try:
                nexts = self._step(pc, slot, state)
            except StackError as error:
                if not str(error).startswith("invalid "):
                    raise Unsupported(f"insn {pc}: {error}") from None
                self._reject(state, str(error), pc)
            if slot.opcode & 0x07 in (Class.JMP, Class.JMP32):
                self.jumps += 1
            if not nexts:
                return
            for next_pc, next_state in nexts[1:]:
                pending.append((next_pc, next_state, path, pc))
            came_from, (pc, state) = pc, nexts[0]

    def _reject(self, state: State, text: str, pc: int) -> None:
        if state.approximate:
            raise Unsupported(f"insn {pc}: {text}: found on a path where this explorer knows "
                              "less than the kernel, which may never take it")
        raise _Reject(text, pc)

    def _visit(self, pc: int, state: State, path: tuple[_Checkpoint, ...], came_from):
        """is_state_visited: None to prune this path, else the path's checkpoints."""
        for checkpoint in path:
            if (checkpoint.pc == pc and checkpoint.state.regs == state.regs
                    and _stack_prefix_equal(checkpoint.state.stack, state.stack)):
                self._reject(state, messages.render("infinite_loop", insn=pc), came_from)
        on_path = {id(checkpoint) for checkpoint in path}
        explored = self.explored.setdefault(pc, {})
        if any(id(done) not in on_path for done in explored.get(state, ())):
            return None
        if self.jumps - self.prev_jumps >= 2 and self.processed - self.prev_processed >= 8:
            checkpoint = _Checkpoint(pc, state)
            explored.setdefault(state, []).append(checkpoint)
            self.prev_jumps, self.prev_processed = self.jumps, self.processed
            return path + (checkpoint,)
        return path

    # -- one instruction -----------------------------------------------------------------
    def _step(self, pc: int, slot: Insn, state: State) -> list[tuple[int, State]]:
        """The states after ``slot``: [] at exit, [(fall-through), (jump side)] at a branch."""
        cls = slot.opcode & 0x07
        if cls in (Class.ALU, Class.ALU64):
            return [(pc + 1, self._alu(slot, state))]
        if cls in (Class.JMP, Class.JMP32):
            return self._jump(pc, slot, state)
        if cls == Class.LD and slot.opcode == cfg.LDDW:
            return [(pc + 2, self._ld_imm64(slot, self.slots[pc + 1], state))]
        if cls == Class.LDX and slot.opcode & 0xE0 == MODE_MEM:
            return [(pc + 1, self._load(slot, state))]
        if cls in (Class.ST, Class.STX) and slot.opcode & 0xE0 == MODE_MEM:
            return [(pc + 1, self._store(slot, state))]
        raise Unsupported(f"insn {pc}: opcode {slot.opcode:#04x} (atomics, sign-extending "
                          "loads, legacy packet loads) is not modelled yet")

    # ALU ----------------------------------------------------------------------------------
    def _alu(self, slot: Insn, state: State) -> State:
        alu64 = slot.opcode & 0x07 == Class.ALU64
        op, from_reg = slot.opcode & 0xF0, bool(slot.opcode & 0x08)
        dst = state.regs[slot.dst]
        if op == MOV:
            return self._mov(slot, state, alu64, from_reg)
        if op == END:
            if not dst.is_scalar():
                raise Unsupported("byte swap of a pointer is not modelled yet")
            to_be = None if alu64 else from_reg
            return state.set(slot.dst, RegState.scalar(byte_swap(dst.var, slot.imm, to_be)))
        src = state.regs[slot.src] if from_reg else RegState.const(slot.imm)
        if not alu64 and not from_reg:
            src = RegState.const(slot.imm)
        if dst.is_pointer() or src.is_pointer():
            return self._pointer_alu(slot, state, ALU_OPS[op], dst, src, alu64)
        if dst.id and ALU_OPS[op] in (AluOp.ADD, AluOp.SUB) and alu64 and src.is_const():
            state = replace(state, approximate=True)   # the kernel keeps a delta-linked copy
        return state.set(slot.dst, RegState.scalar(alu(ALU_OPS[op], dst.var, src.var, alu64)))

    def _pointer_alu(self, slot, state, op, dst, src, alu64) -> State:
        """Only ``pointer += constant`` / ``-= constant`` on stack and map-value pointers."""
        movable = dst.type in (RegType.PTR_TO_STACK, RegType.PTR_TO_MAP_VALUE) and not (
            dst.flags & TypeFlag.PTR_MAYBE_NULL)
        if not (alu64 and movable and src.is_const() and op in (AluOp.ADD, AluOp.SUB)):
            raise Unsupported(f"pointer arithmetic {op.value} on {type_text(dst)} with "
                              f"{type_text(src)} is not modelled yet")
        delta = src.var.var_off.value
        delta = delta - (1 << 64) if delta >> 63 else delta
        moved = dst.moved(delta if op is AluOp.ADD else -delta)
        if abs(moved.off) >= MAX_POINTER_OFFSET:
            raise Unsupported("pointer offsets beyond 2^29 are not modelled yet")
        return state.set(slot.dst, moved)

    def _mov(self, slot: Insn, state: State, alu64: bool, from_reg: bool) -> State:
        if not from_reg:
            return state.set(slot.dst, RegState.scalar(mov_imm(slot.imm, alu64)))
        src = state.regs[slot.src]
        if src.is_pointer():
            if alu64 and slot.off == 0:
                return state.set(slot.dst, src)
            raise Unsupported("a 32-bit or sign-extending move of a pointer is not modelled yet")
        if slot.off == 0:
            linked = alu64 or src.width() <= 32
        else:
            linked = src.var.umax < 1 << (slot.off - 1)
        if linked and not src.id and not src.var.is_const():
            src = replace(src, id=self.new_id())
            state = state.set(slot.src, src)
        value = mov(src.var, alu64, slot.off)
        return state.set(slot.dst, RegState.scalar(value, id=src.id if linked else 0))

    # loads and stores ---------------------------------------------------------------------
    def _ld_imm64(self, slot: Insn, second: Insn, state: State) -> State:
        if slot.src == Pseudo.NONE:
            value = (slot.imm & 0xFFFFFFFF) | (second.imm & 0xFFFFFFFF) << 32
            return state.set(slot.dst, RegState.const(value))
        if slot.src == Pseudo.MAP_FD and 0 <= slot.imm < len(self.maps):
            return state.set(slot.dst, RegState.map_ptr(self.maps[slot.imm].ref()))
        raise Unsupported(f"ld_imm64 with src_reg={slot.src} (or an unknown map) is not "
                          "modelled yet")

    def _memory(self, regno: int, state: State, pc_off: int, size: int, access: str):
        """The memory a pointer names: ("stack", fp offset) or ("map", value offset)."""
        reg = state.regs[regno]
        if reg.is_scalar() or reg.flags & TypeFlag.PTR_MAYBE_NULL:
            raise _Reject(messages.render("invalid_mem_access", regno=regno, type=type_text(reg)),
                          -1)
        if not reg.var.is_const() or reg.var.var_off.value:
            raise Unsupported("memory access through a pointer with a variable offset")
        off = reg.off + pc_off
        if reg.type is RegType.PTR_TO_STACK:
            if off % size:
                raise _Reject(messages.render("misaligned_access", pointer="stack ", var_off="0",
                                              reg_off=reg.off, off=pc_off, size=size), -1)
            if off < -MAX_STACK or off + size > 0:
                raise _Reject(messages.render("stack_access", access=access, regno=regno,
                                              off=off, size=size), -1)
            return "stack", off, reg
        if reg.type is RegType.PTR_TO_MAP_VALUE:
            if off < 0 or off + size > reg.map.value_size:
                raise _Reject(messages.render("map_value_access", value_size=reg.map.value_size,
                                              off=off, size=size), -1)
            return "map", off, reg
        raise Unsupported(f"memory access through {type_text(reg)} is not modelled yet")

    def _load(self, slot: Insn, state: State) -> State:
        size = SIZES[slot.opcode & 0x18]
        where, off, _ = self._at(slot.src, state, slot.off, size, "read from")
        if where == "stack":
            value = state.stack.read(off, size)
        else:
            value = RegState.scalar(Scalar.unknown() if size == 8 else Scalar.of_size(size))
        return state.set(slot.dst, value)

    def _store(self, slot: Insn, state: State) -> State:
        size = SIZES[slot.opcode & 0x18]
        where, off, _ = self._at(slot.dst, state, slot.off, size, "write to")
        if where == "map":
            return state
        if slot.opcode & 0x07 == Class.ST:
            return replace(state, stack=state.stack.write(off, size, imm=slot.imm))
        value = state.regs[slot.src]
        if value.is_scalar() and off % SLOT_SIZE == 0 and value.width() <= size * 8 \
                and not value.id and not value.var.is_const():
            value = replace(value, id=self.new_id())      # assign_scalar_id_before_mov
            state = state.set(slot.src, value)
        return replace(state, stack=state.stack.write(off, size, value))

    def _at(self, regno, state, off, size, access):
        try:
            return self._memory(regno, state, off, size, access)
        except _Reject as reject:
            self._reject(state, reject.text, self.pc)

    # jumps ----------------------------------------------------------------------------------
    def _jump(self, pc: int, slot: Insn, state: State) -> list[tuple[int, State]]:
        cls, op = slot.opcode & 0x07, slot.opcode & 0xF0
        if op == EXIT:
            self._exit(pc, state)
            return []
        if op == CALL:
            return [(pc + 1, self._call(pc, slot, state))]
        if op == JA:
            if slot.opcode == 0xE5:
                raise Unsupported("may_goto is not modelled yet")
            return [(pc + 1 + (slot.imm if cls == Class.JMP32 else slot.off), state)]
        if op not in JMP_OPS:
            raise Unsupported(f"jump opcode {slot.opcode:#04x} is not modelled yet")
        jmp32, from_reg = cls == Class.JMP32, bool(slot.opcode & 0x08)
        dst = state.regs[slot.dst]
        src = state.regs[slot.src] if from_reg else RegState.const(slot.imm)
        if jmp32 and not from_reg:
            src = RegState.scalar(Scalar.const32(slot.imm))
        taken, fall = pc + 1 + slot.off, pc + 1
        if dst.is_pointer() or src.is_pointer():
            return self._pointer_jump(JMP_OPS[op], dst, src, jmp32, slot, state, taken, fall)
        if from_reg and dst.id and dst.id == src.id and slot.dst != slot.src:
            state = replace(state, approximate=True)   # linked operands: the kernel may know more
        decided = branch_taken(JMP_OPS[op], dst.var, src.var, jmp32)
        if decided is True:
            return [(taken, state)]
        if decided is False:
            return [(fall, state)]
        same = from_reg and slot.dst == slot.src
        refined = refine(JMP_OPS[op], dst.var, src.var, jmp32, same_register=same)
        sides = []
        for side_dst, side_src in ((refined.false_dst, refined.false_src),
                                   (refined.true_dst, refined.true_src)):
            side = self._refined(state, slot.dst, side_dst)
            if from_reg and not same:
                side = self._refined(side, slot.src, side_src)
            sides.append(side)
        return [(fall, sides[0]), (taken, sides[1])]

    def _refined(self, state: State, regno: int, value: Scalar) -> State:
        """The register narrowed, and every scalar linked to it by id (sync_linked_regs)."""
        reg = replace(state.regs[regno], var=value)
        state = state.set(regno, reg)
        if not reg.id:
            return state
        for other, copy in enumerate(state.regs):
            if copy.is_scalar() and copy.id == reg.id:
                state = state.set(other, replace(copy, var=value))
        stack = state.stack
        for spi, stack_slot in enumerate(stack.slots):
            spilled = stack_slot.spilled
            if stack_slot.is_spill() and spilled.is_scalar() and spilled.id == reg.id:
                stack = stack.with_spilled(-(spi + 1) * SLOT_SIZE, replace(spilled, var=value))
        return replace(state, stack=stack)

    def _pointer_jump(self, op, dst, src, jmp32, slot, state, taken, fall):
        """``if ptr == 0`` / ``!= 0``: NULL checks by id; others are not modelled."""
        against_zero = src.is_null() and dst.is_pointer() and not jmp32
        if not against_zero or op not in (JmpOp.JEQ, JmpOp.JNE):
            raise Unsupported(f"comparing {type_text(dst)} with {type_text(src)} is not "
                              "modelled yet")
        if dst.flags & TypeFlag.PTR_MAYBE_NULL and dst.type is RegType.PTR_TO_MAP_VALUE:
            null, non_null = self._null_checked(state, dst.id, True), \
                self._null_checked(state, dst.id, False)
            return [(fall, non_null), (taken, null)] if op is JmpOp.JEQ else \
                [(fall, null), (taken, non_null)]
        if dst.type is RegType.PTR_TO_MAP_VALUE:
            return [(fall if op is JmpOp.JEQ else taken, state)]
        if dst.type is RegType.PTR_TO_STACK:
            return [(fall, state), (taken, state)]
        raise Unsupported(f"comparing {type_text(dst)} with 0 is not modelled yet")

    def _null_checked(self, state: State, id: int, is_null: bool) -> State:
        """mark_ptr_or_null_regs: every copy of the maybe-NULL pointer, registers and spills."""
        def checked(reg: RegState) -> RegState:
            if not (reg.flags & TypeFlag.PTR_MAYBE_NULL and reg.id == id):
                return reg
            return RegState.const(0) if is_null else reg.not_null()
        stack = state.stack
        for spi, stack_slot in enumerate(stack.slots):
            if stack_slot.is_spill():
                stack = stack.with_spilled(-(spi + 1) * SLOT_SIZE, checked(stack_slot.spilled))
        return replace(state, regs=tuple(checked(r) for r in state.regs), stack=stack)

    # calls and exit -------------------------------------------------------------------------
    def _call(self, pc: int, slot: Insn, state: State) -> State:
        if slot.src != 0:
            raise Unsupported("bpf-to-bpf calls and kfuncs are not modelled yet")
        proto = PROTOTYPES.get(slot.imm)
        if proto is None or (slot.imm not in SCALAR_HELPERS and slot.imm != MAP_LOOKUP):
            raise Unsupported(f"helper #{slot.imm} is not modelled yet")
        if not proto.allowed_in(self.prog_type):
            self._reject(state, messages.render("helper_not_for_prog_type", name=proto.name,
                                                func_id=slot.imm), pc)
        for regno in HELPER_ARG_REGS[:len(proto.args)]:
            if not state.regs[regno].is_init():
                self._reject(state, messages.render("not_read_ok", regno=regno), pc)
        if slot.imm == MAP_LOOKUP:
            result = self._map_lookup(state)
        else:
            result = RegState.scalar(SCALAR_HELPERS[slot.imm]())
        regs = list(state.regs)
        for regno in CALLER_SAVED:
            regs[regno] = RegState.not_init()
        regs[0] = result
        return replace(state, regs=tuple(regs))

    def _map_lookup(self, state: State) -> RegState:
        map_reg, key = state.regs[1], state.regs[2]
        if map_reg.type is not RegType.CONST_PTR_TO_MAP:
            raise Unsupported("bpf_map_lookup_elem without a map in R1 is not modelled yet")
        info = next(m for m in self.maps if m.ref() == map_reg.map)
        if info.type not in LOOKUP_MAP_TYPES:
            raise Unsupported(f"lookups in {info.type} maps are not modelled yet")
        if key.type is not RegType.PTR_TO_STACK or not key.var.is_const() or key.var.var_off.value:
            raise Unsupported("a map key that is not on the stack at a fixed offset")
        if key.off < -MAX_STACK or key.off + info.key_size > 0:
            raise Unsupported("a map key outside the stack: the kernel's message is not modelled")
        for byte in range(key.off, key.off + info.key_size):
            kind = state.stack.slot_at(byte).types[(-byte - 1) % SLOT_SIZE]
            if kind not in (SlotType.STACK_MISC, SlotType.STACK_ZERO, SlotType.STACK_SPILL):
                raise Unsupported("a map key with unwritten or special stack bytes")
        constant = _constant_key(state.stack, key.off, info.key_size)
        if LOOKUP_MAP_TYPES[info.type] and constant is not None and constant < info.max_entries:
            return RegState.map_value(map_reg.map)
        return RegState.map_value_or_null(map_reg.map, self.new_id())

    def _exit(self, pc: int, state: State) -> None:
        r0 = state.regs[0]
        if not r0.is_init():
            self._reject(state, messages.render("not_read_ok", regno=0), pc)
        bounds = RETURN_RANGES[self.prog_type]
        if bounds is None:
            return
        if not r0.is_scalar():
            raise Unsupported("a pointer returned where the return value is checked")
        low, high = bounds
        if not low <= r0.var.smin <= r0.var.smax <= high:
            shown = []
            if r0.var.smin > S64_MIN:
                shown.append(f"smin={r0.var.smin}")
            if r0.var.smax < S64_MAX:
                shown.append(f"smax={r0.var.smax}")
            value = " ".join(shown)
            self._reject(state, messages.render("return_range", context="program exit",
                                                regno=0, value=value, low=low, high=high), pc)


def _constant_key(stack: Stack, off: int, key_size: int) -> int | None:
    """get_constant_map_key: zeros covering the key, or a constant spilled with its size."""
    slot = stack.slot_at(off)
    index = (-off - 1) % SLOT_SIZE
    zeros = 0
    for i in range(index, -1, -1):
        if slot.types[i] is not SlotType.STACK_ZERO:
            break
        zeros += 1
    if zeros >= key_size:
        return 0
    if not slot.is_spill() or not slot.spilled.is_scalar():
        return None
    spill = 0
    for i in range(index, -1, -1):
        if slot.types[i] is not SlotType.STACK_SPILL:
            break
        spill += 1
    if spill != key_size or not slot.spilled.var.is_const():
        return None
    return slot.spilled.var.var_off.value
