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

from dataclasses import dataclass, replace

from ..helpers.kinds import ProgType
from ..isa import Insn
from ..opcodes import Class
from . import access, calls, cfg, messages, pointers
from .errors import Reject, Unsupported
from .observer import Observer
from .regs import FRAME_POINTER, REG_COUNT, MapRef, RegState
from .scalar import Scalar
from .scalar_alu import AluOp, alu, byte_swap, mov, mov_imm
from .scalar_branch import JmpOp, branch_taken, refine
from .stack import SLOT_SIZE, Stack, StackError
from .state import State

__all__ = ["Explorer", "MapInfo", "Outcome", "Unsupported", "INSN_LIMIT"]

INSN_LIMIT = 1_000_000            # BPF_COMPLEXITY_LIMIT_INSNS
OUR_BUDGET = 30_000               # beyond this many processed insns we stop and say unsupported

ALU_OPS = {0x00: AluOp.ADD, 0x10: AluOp.SUB, 0x20: AluOp.MUL, 0x30: AluOp.DIV, 0x40: AluOp.OR,
           0x50: AluOp.AND, 0x60: AluOp.LSH, 0x70: AluOp.RSH, 0x80: AluOp.NEG, 0x90: AluOp.MOD,
           0xA0: AluOp.XOR, 0xC0: AluOp.ARSH}
JMP_OPS = {0x10: JmpOp.JEQ, 0x20: JmpOp.JGT, 0x30: JmpOp.JGE, 0x40: JmpOp.JSET, 0x50: JmpOp.JNE,
           0x60: JmpOp.JSGT, 0x70: JmpOp.JSGE, 0xA0: JmpOp.JLT, 0xB0: JmpOp.JLE,
           0xC0: JmpOp.JSLT, 0xD0: JmpOp.JSLE}
MOV, END, JA, CALL, EXIT = 0xB0, 0xD0, 0x00, 0x80, 0x90
MODE_MEM, MODE_MEMSX = 0x60, 0x80


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


@dataclass(eq=False)
class _Checkpoint:
    """A state kept for pruning at ``pc``; ``branches`` counts the paths still running below
    it (the kernel's ``bpf_verifier_state.branches``): while any is, it is in a loop's reach."""

    pc: int
    state: State
    parent: "_Checkpoint | None"
    branches: int = 1


class Explorer:
    """One exploration of one program (the kernel's ``bpf_verifier_env``)."""

    def __init__(self, slots: list[Insn], prog_type: ProgType, maps: tuple[MapInfo, ...],
                 observer: Observer | None = None):
        if prog_type not in calls.RETURN_RANGES:
            raise Unsupported(f"program type {prog_type.name.lower()} is not modelled yet")
        self.slots, self.prog_type, self.maps = slots, prog_type, maps
        self.prune_points = self._prune_points()
        self.explored: dict[int, dict[State, list[_Checkpoint]]] = {}
        self.processed = self.jumps = self.prev_processed = self.prev_jumps = 0
        self.id_gen = 0
        self.pc = 0   # the instruction being stepped, for errors found deep in a transfer
        self.observer = observer or Observer()

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
        pending: list[tuple[int, State, _Checkpoint | None, int | None]] = [
            (0, State.entry(regs), None, None)]
        try:
            while pending:
                self._walk(*pending.pop(), pending)
        except Reject as reject:
            return self._outcome(False, reject.text, reject.pc)
        return self._outcome(True)

    def _outcome(self, accepted: bool, error: str | None = None, pc: int | None = None) -> Outcome:
        counts = [sum(map(len, v.values())) for v in self.explored.values()]
        return Outcome(accepted, error, pc, self.processed, sum(counts), sum(counts),
                       max(counts, default=0))

    def _walk(self, pc: int, state: State, parent: _Checkpoint | None, came_from: int | None,
              pending) -> None:
        """One path from ``pc`` below checkpoint ``parent``; ``came_from`` is the instruction
        before it (the log's last line when the path is refused before its first is printed)."""
        observer = self.observer
        observer.path_started(pc, state, came_from)
        while True:
            self.processed += 1
            if self.processed > OUR_BUDGET:
                raise Unsupported(f"more than {OUR_BUDGET} instructions processed: the pruning "
                                  "of this explorer is weaker than the kernel's")
            if pc in self.prune_points:
                visited = self._visit(pc, state, parent, came_from)
                if visited is False:
                    observer.pruned(pc, state)
                    return self._path_ended(parent)
                parent = visited
            observer.insn(pc, state)
            slot = self.slots[pc]
            error = cfg.check_instruction(slot, pc, int(self.prog_type), state.initialised())
            if error is not None:
                self.reject(state, error.text, pc)
            self.pc = pc
            try:
                nexts = self._step(pc, slot, state)
            except StackError as error:
                if not str(error).startswith("invalid "):
                    raise Unsupported(f"insn {pc}: {error}") from None
                self.reject(state, str(error), pc)
            except Reject as reject:
                if reject.pc != -1:
                    raise
                self.reject(state, reject.text, pc)
            if slot.opcode & 0x07 in (Class.JMP, Class.JMP32):
                self.jumps += 1
            if not nexts:
                observer.path_ended(pc, state)
                return self._path_ended(parent)
            for next_pc, next_state in nexts[1:]:
                if parent is not None:
                    parent.branches += 1
                pending.append((next_pc, next_state, parent, pc))
                observer.branch_queued(pc, next_pc, next_state)
            came_from, (pc, state) = pc, nexts[0]

    @staticmethod
    def _path_ended(parent: _Checkpoint | None) -> None:
        """update_branch_counts: a checkpoint no path runs below any more is complete."""
        while parent is not None:
            parent.branches -= 1
            if parent.branches:
                return
            parent = parent.parent

    def reject(self, state: State, text: str, pc: int) -> None:
        if state.approximate:
            raise Unsupported(f"insn {pc}: {text}: found on a path where this explorer knows "
                              "less than the kernel, which may never take it")
        self.observer.rejected(pc, text, state)
        raise Reject(text, pc)

    def _visit(self, pc: int, state: State, parent: _Checkpoint | None, came_from):
        """is_state_visited: False to prune this path, else the path's newest checkpoint.

        A state equal to a complete one is safe; equal to one with paths still running
        below it (its own ancestor on a loop) is an infinite loop."""
        explored = self.explored.setdefault(pc, {})
        same = explored.get(state, ())
        for done in same:
            if done.branches:
                self.reject(state, messages.render("infinite_loop", insn=pc), came_from)
        if same:
            return False
        if self.jumps - self.prev_jumps >= 2 and self.processed - self.prev_processed >= 8:
            checkpoint = _Checkpoint(pc, state, parent)
            self.observer.checkpoint(pc, state)
            explored.setdefault(state, []).append(checkpoint)
            self.prev_jumps, self.prev_processed = self.jumps, self.processed
            return checkpoint
        return parent

    # -- one instruction -----------------------------------------------------------------
    def _step(self, pc: int, slot: Insn, state: State) -> list[tuple[int, State]]:
        """The states after ``slot``: [] at exit, [(fall-through), (jump side)] at a branch."""
        cls = slot.opcode & 0x07
        if cls in (Class.ALU, Class.ALU64):
            return [(pc + 1, self._alu(slot, state))]
        if cls in (Class.JMP, Class.JMP32):
            return self._jump(pc, slot, state)
        if cls == Class.LD and slot.opcode == cfg.LDDW:
            return [(pc + 2, access.ld_imm64(self, slot, self.slots[pc + 1], state))]
        if cls == Class.LDX and slot.opcode & 0xE0 == MODE_MEM:
            return [(pc + 1, access.load(self, slot, state))]
        if cls in (Class.ST, Class.STX) and slot.opcode & 0xE0 == MODE_MEM:
            return [(pc + 1, access.store(self, slot, state))]
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
            return pointers.pointer_alu(self, slot, state, ALU_OPS[op], dst, src, alu64)
        if dst.id and ALU_OPS[op] in (AluOp.ADD, AluOp.SUB) and alu64 and src.is_const():
            state = replace(state, approximate=True)   # the kernel keeps a delta-linked copy
        return state.set(slot.dst, RegState.scalar(alu(ALU_OPS[op], dst.var, src.var, alu64)))

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

    # jumps ----------------------------------------------------------------------------------
    def _jump(self, pc: int, slot: Insn, state: State) -> list[tuple[int, State]]:
        cls, op = slot.opcode & 0x07, slot.opcode & 0xF0
        if op == EXIT:
            return calls.exit_(self, pc, state)
        if op == CALL:
            return calls.call(self, pc, slot, state)
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
            return pointers.pointer_jump(self, JMP_OPS[op], dst, src, jmp32, slot, state, taken, fall)
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
        for frameno, frame in enumerate(state.frames):
            stack = frame.stack
            for spi, stack_slot in enumerate(stack.slots):
                spilled = stack_slot.spilled
                if stack_slot.is_spill() and spilled.is_scalar() and spilled.id == reg.id:
                    stack = stack.with_spilled(-(spi + 1) * SLOT_SIZE, replace(spilled, var=value))
            state = state.with_stack(stack, frameno)
        return state

