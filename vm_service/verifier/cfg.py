"""The program's shape, checked as the kernel checks it before walking any path.

Linux runs these passes, in this order, before ``do_check`` explores a single
instruction; the first that fails decides the verdict and the only error line:

1. ``bpf_prog_load``: 1 to 1,000,000 instructions as root (else E2BIG, no log);
2. ``add_subprog_and_kfunc``: every local call (``call`` with src=1) and
   function pointer (``ld_imm64`` with src=4) starts a subprogram and must land
   inside the program; then, at log level 2, ``func#N @start`` per subprogram;
3. ``check_subprogs``: every jump stays inside its subprogram, and each
   subprogram ends with ``exit`` or an unconditional jump;
4. ``resolve_pseudo_ldimm64``: LDX reserved fields, ld_imm64 forms and map fds,
   and opcodes the kernel does not know;
5. ``check_cfg``: every slot is reachable from insn 0 (calls are edges, so an
   uncalled subprogram is unreachable), and no jump lands inside an ld_imm64.
   Back-edges are allowed: as root the kernel accepts bounded loops.

The passes read raw slots, not decoded instructions, like the kernel: an
ld_imm64's second slot is visited by the passes that visit every slot, and the
first two passes run before opcodes are validated. This is why this module does
not reuse ``Program``'s checks: ``Program`` decodes first and words its own
errors, while the verdict, the wording and the order here must be the kernel's.

Instruction checks the kernel makes only when a path reaches the instruction
(reserved fields of an ALU instruction, ``R11 is invalid``, unknown helper ids)
are not structural: code the explorer never reaches is accepted with them.
``check_instruction`` makes them, for the explorer to call on each instruction
it reaches.
"""

from __future__ import annotations

from functools import lru_cache

import errno
from dataclasses import dataclass, field

from ..isa import SLOT_SIZE, Insn
from ..opcodes import BY_OPCODE, AtomicOp, CallKind, Class, JmpOp, Mode, Pseudo, Size
from ..program import Program
from ..errors import VmError
from ..helper_ids import MAX_ID as MAX_HELPER_ID
from . import messages

MAX_INSNS = 1_000_000    # BPF_COMPLEXITY_LIMIT_INSNS, the size limit for bpf_capable loaders
MAX_SUBPROGS = 256       # BPF_MAX_SUBPROGS
LDDW = Class.LD | Mode.IMM | Size.DW
LOG_LEVEL_FUNC_LINES = 2  # func#N @start lines are printed from log level 2 (BPF_LOG_LEVEL2)


class StructureInputError(VmError):
    """Input the kernel could not even be given: bytes that are not whole instructions."""


class StructureUnsupported(VmError):
    """A form whose structural check needs kernel BTF, which this module does not read yet."""

    def __init__(self, pc: int, message: str):
        super().__init__(f"insn {pc}: {message}")
        self.pc = pc


@dataclass(frozen=True)
class Subprogram:
    """One bpf function: slots ``start`` up to, not including, ``end``."""

    index: int
    start: int
    end: int


@dataclass(frozen=True)
class StructuralError:
    """Why the kernel refuses the program: before exploring it (``check_structure``),
    or on reaching one instruction (``check_instruction``)."""

    message_id: str
    params: dict[str, int | str]
    errno: int
    insn: int | None  # the slot the error is about (None: the whole program)

    @property
    def text(self) -> str:
        return messages.render(self.message_id, **self.params)

    @property
    def logged(self) -> bool:
        """False when the kernel answers with only an errno and an empty log."""
        return messages.message(self.message_id).in_log


@dataclass(frozen=True)
class StructureResult:
    """The subprograms and the log's first lines, or the kernel's structural error."""

    subprograms: tuple[Subprogram, ...]
    log_lines: tuple[str, ...]  # what the kernel logs before exploring, error included
    error: StructuralError | None = None
    slot_count: int = 0
    reached: frozenset[int] = field(default=frozenset(), compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None


class _Refusal(Exception):
    """Internal: one pass refused the program."""

    def __init__(self, error: StructuralError):
        self.error = error


def _refuse(message_id: str, at: int | None, code: int = errno.EINVAL, **params) -> _Refusal:
    """A refusal about slot ``at``; ``params`` fill the message's template."""
    return _Refusal(StructuralError(message_id, params, code, at))


def check_structure(code: bytes | Program, *, log_level: int = LOG_LEVEL_FUNC_LINES,
                    map_fds: frozenset[int] | set[int] | None = None) -> StructureResult:
    """Run the kernel's pre-exploration passes over ``code``.

    ``log_level`` is the ``log_level`` the program would be loaded with: it
    decides whether the ``func#N @start`` lines are part of the log. ``map_fds``
    are the fds that name maps for ``ld_imm64`` map forms; None skips that check
    (the caller has not created maps). Raises StructureInputError for bytes that
    are not whole instructions, StructureUnsupported for kfunc calls and
    ``ld_imm64`` of a kernel BTF id.
    """
    slots = _slots(code)
    log: list[str] = []
    subprograms: tuple[Subprogram, ...] = ()
    reached: set[int] = set()
    try:
        _check_size(slots)
        subprograms = _find_subprograms(slots)
        if log_level & LOG_LEVEL_FUNC_LINES:
            log.extend(messages.render("func_start", subprog=s.index, start=s.start)
                       for s in subprograms)
        _check_subprograms(slots, subprograms)
        _check_instructions(slots, map_fds)
        reached = _reachable(slots)
        _check_reached(slots, reached)
    except _Refusal as refusal:
        if refusal.error.logged:
            log.append(refusal.error.text)
        return StructureResult(subprograms, tuple(log), refusal.error, len(slots),
                               frozenset(reached))
    return StructureResult(subprograms, tuple(log), None, len(slots), frozenset(reached))


def _slots(code: bytes | Program) -> list[Insn]:
    data = code.encode() if isinstance(code, Program) else bytes(code)
    if len(data) % SLOT_SIZE:
        raise StructureInputError(f"the program is {len(data)} bytes, not a multiple of "
                                  f"{SLOT_SIZE}: it cannot be split into instructions")
    return [Insn.unpack(data, offset) for offset in range(0, len(data), SLOT_SIZE)]


def _check_size(slots: list[Insn]) -> None:
    if not slots:
        raise _refuse("empty_program", None, errno.E2BIG)
    if len(slots) > MAX_INSNS:
        raise _refuse("program_too_long", None, errno.E2BIG, count=len(slots), limit=MAX_INSNS)


# -- the shape of one slot, read as the kernel reads it ---------------------------------

def _is_lddw(slot: Insn) -> bool:
    return slot.opcode == LDDW


def _is_local_call(slot: Insn) -> bool:
    return slot.opcode == Class.JMP | JmpOp.CALL and slot.src == CallKind.LOCAL


def _is_function_pointer(slot: Insn) -> bool:
    return _is_lddw(slot) and slot.src == Pseudo.FUNC


def _is_jump_class(slot: Insn) -> bool:
    return slot.opcode & 0x07 in (Class.JMP, Class.JMP32)


def _jump_op(slot: Insn) -> int:
    return slot.opcode & 0xF0


def _jump_target(pc: int, slot: Insn) -> int:
    """Where a jump goes; ``gotol`` (JMP32 ja) carries its offset in imm."""
    if slot.opcode == Class.JMP32 | JmpOp.JA:
        return pc + slot.imm + 1
    return pc + slot.off + 1


# -- the passes, in the kernel's order ---------------------------------------------------

def _find_subprograms(slots: list[Insn]) -> tuple[Subprogram, ...]:
    """add_subprog_and_kfunc: subprogram starts from local calls and function pointers."""
    starts = {0}
    for pc, slot in enumerate(slots):
        if _is_local_call(slot) or _is_function_pointer(slot):
            target = pc + slot.imm + 1
            if not 0 <= target < len(slots):
                raise _refuse("call_to_invalid_destination", pc)
            if target not in starts:
                if len(starts) >= MAX_SUBPROGS:
                    raise _refuse("too_many_subprograms", pc, errno.E2BIG)
                starts.add(target)
        elif slot.opcode == Class.JMP | JmpOp.CALL and slot.src == CallKind.KFUNC:
            raise StructureUnsupported(pc, "kfunc calls (call with src_reg=2) need the kernel's "
                                           "BTF, which the structural check does not read yet")
    ordered = sorted(starts) + [len(slots)]
    return tuple(Subprogram(index, start, end)
                 for index, (start, end) in enumerate(zip(ordered, ordered[1:])))


def _check_subprograms(slots: list[Insn], subprograms: tuple[Subprogram, ...]) -> None:
    """check_subprogs: jumps stay in their subprogram, which ends in exit or goto."""
    endings = {Class.JMP | JmpOp.EXIT, Class.JMP | JmpOp.JA, Class.JMP32 | JmpOp.JA}
    for sub in subprograms:
        for pc in range(sub.start, sub.end):
            slot = slots[pc]
            if _is_jump_class(slot) and _jump_op(slot) not in (JmpOp.EXIT, JmpOp.CALL):
                target = _jump_target(pc, slot)
                if not sub.start <= target < sub.end:
                    raise _refuse("jump_out_of_range", pc, insn=pc, target=target)
        last = sub.end - 1
        if slots[last].opcode not in endings:
            raise _refuse("last_insn_not_exit", last)


def _check_instructions(slots: list[Insn], map_fds) -> None:
    """resolve_pseudo_ldimm64: LDX fields, ld_imm64 forms, known opcodes."""
    pc = 0
    while pc < len(slots):
        slot = slots[pc]
        if slot.opcode & 0x07 == Class.LDX and (
                slot.opcode & 0xE0 not in (Mode.MEM, Mode.MEMSX) or slot.imm != 0):
            raise _refuse("uses_reserved_fields", pc, what="BPF_LDX")
        if _is_lddw(slot):
            _check_ld_imm64(slots, pc, map_fds)
            pc += 2
            continue
        if slot.opcode not in BY_OPCODE:
            raise _refuse("unknown_opcode", pc, opcode=slot.opcode)
        pc += 1


def _check_ld_imm64(slots: list[Insn], pc: int, map_fds) -> None:
    slot = slots[pc]
    second = slots[pc + 1] if pc + 1 < len(slots) else None
    if second is None or second.opcode or second.dst or second.src or second.off:
        raise _refuse("invalid_ld_imm64", pc)
    if slot.src in (Pseudo.NONE, Pseudo.FUNC):
        return
    if slot.src == Pseudo.BTF_ID:
        raise StructureUnsupported(pc, "ld_imm64 of a kernel BTF id (src_reg=3) needs the "
                                       "kernel's BTF, which the structural check does not read yet")
    takes_offset = slot.src in (Pseudo.MAP_VALUE, Pseudo.MAP_IDX_VALUE)
    if slot.src not in tuple(Pseudo) or (not takes_offset and second.imm != 0):
        raise _refuse("unrecognized_ld_imm64", pc)
    if slot.src in (Pseudo.MAP_IDX, Pseudo.MAP_IDX_VALUE):
        # The loader here never passes an fd_array: indices into it cannot resolve.
        raise _refuse("fd_idx_without_fd_array", pc, errno.EPROTO)
    if map_fds is not None and slot.imm not in map_fds:
        raise _refuse("not_a_map_fd", pc, errno.EBADF, fd=slot.imm)


def _successors(pc: int, slot: Insn) -> tuple[int, ...]:
    """The edges check_cfg follows out of one slot."""
    if _is_function_pointer(slot):
        return (pc + 2, pc + slot.imm + 1)
    if not _is_jump_class(slot):
        return (pc + (2 if _is_lddw(slot) else 1),)
    op = _jump_op(slot)
    if op == JmpOp.EXIT:
        return ()
    if op == JmpOp.CALL:
        return (pc + 1, pc + slot.imm + 1) if _is_local_call(slot) else (pc + 1,)
    if op == JmpOp.JA:
        return (_jump_target(pc, slot),)
    return (pc + 1, pc + slot.off + 1)


def _reachable(slots: list[Insn]) -> set[int]:
    """check_cfg's walk from insn 0. Targets were range-checked by the passes before."""
    reached = {0}
    pending = [0]
    while pending:
        pc = pending.pop()
        for target in _successors(pc, slots[pc]):
            if not 0 <= target < len(slots):
                raise _refuse("jump_out_of_range", pc, insn=pc, target=target)
            if target not in reached:
                reached.add(target)
                pending.append(target)
    return reached


def _check_reached(slots: list[Insn], reached: set[int]) -> None:
    """check_cfg's sweep: in slot order, the first unreached slot or entered ld_imm64."""
    pc = 0
    while pc < len(slots):
        if pc not in reached:
            raise _refuse("unreachable_insn", pc, insn=pc)
        if _is_lddw(slots[pc]):
            if pc + 1 in reached:
                raise _refuse("jump_into_ldimm64", pc, insn=pc)
            pc += 2
            continue
        pc += 1


# -- one instruction, as do_check meets it ------------------------------------------------
#
# When a path reaches an instruction, the kernel's handler for its class checks,
# in an order of its own, the fields, the register numbers, whether the registers
# it reads are initialised, and a few immediates (div by zero, shift width), before
# it looks at any value. ``check_instruction`` replays exactly that prefix of each
# handler; everything after it (types, bounds, memory) is the explorer's. Dead code
# is never reached, so none of this is structural: the explorer calls it.

MAX_REG = 10                     # r0..r10: MAX_BPF_REG is 11
FRAME_POINTER = 10
CTX_REG = 6                      # legacy packet loads read the skb from r6
ALL_REGS = frozenset(range(MAX_REG + 1))
SKB_PROG_TYPES = frozenset({1, 3, 4})  # may_access_skb: socket_filter, sched_cls, sched_act
ATOMIC_RMW = frozenset({0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xA0, 0xA1, 0xE1, 0xF1})
ATOMIC_LOAD_STORE = frozenset({0x100, 0x110})
ATOMIC_CMPXCHG = 0xF1
DIV_MOD = (0x30, 0x90)
SHIFTS = (0x60, 0x70, 0xC0)


def _alu_off_bad(slot: Insn) -> bool:
    """off is 0, or 1 for signed div/mod only."""
    return slot.off not in (0, 1) or (slot.off == 1 and slot.opcode & 0xF0 not in DIV_MOD)


def _mov_x_bad(slot: Insn) -> bool:
    widths = (0, 8, 16) if slot.opcode & 0x07 == Class.ALU else (0, 8, 16, 32)
    return slot.off not in widths or slot.imm != 0


# family -> (the handler's name in "... uses reserved fields", fields it refuses)
RESERVED: dict[str, tuple[str, object]] = {
    "neg": ("BPF_NEG", lambda s: s.src or s.off or s.imm),
    "end": ("BPF_END", lambda s: s.src or s.off or s.imm not in (16, 32, 64)),
    "mov_k": ("BPF_MOV", lambda s: s.src or s.off),
    "mov_x": ("BPF_MOV", _mov_x_bad),
    "alu_k": ("BPF_ALU", lambda s: s.src or _alu_off_bad(s)),
    "alu_x": ("BPF_ALU", lambda s: s.imm or _alu_off_bad(s)),
    "stx": ("BPF_STX", lambda s: s.imm),
    "st": ("BPF_ST", lambda s: s.src),
    "call": ("BPF_CALL", lambda s: (s.src != CallKind.KFUNC and s.off)
             or s.src not in tuple(CallKind) or s.dst),
    "ja": ("BPF_JA", lambda s: s.src or s.dst or (s.imm if s.opcode & 0x07 == Class.JMP else s.off)),
    "exit": ("BPF_EXIT", lambda s: s.imm or s.src or s.dst),
    "jmp_k": ("BPF_JMP/JMP32", lambda s: s.src),
    "jmp_x": ("BPF_JMP/JMP32", lambda s: s.imm),
    "ld_abs": ("BPF_LD_[ABS|IND]", lambda s: s.dst or s.off or (s.opcode & 0xE0 == Mode.ABS and s.src)),
    "ld_imm64": ("BPF_LD_IMM64", lambda s: s.off),
}

# family -> the handler's checks, in the kernel's order. "read R" / "write R": the
# register number must exist; a read register must be initialised; r10 cannot be written.
STEPS: dict[str, tuple[str, ...]] = {
    "neg": ("reserved", "read dst", "write dst"),
    "end": ("reserved", "read dst", "write dst"),
    "mov_k": ("reserved", "write dst"),
    "mov_x": ("addr_space_cast", "reserved", "read src", "write dst"),
    "alu_k": ("reserved", "read dst", "div_by_zero", "shift", "write dst"),
    "alu_x": ("reserved", "read src", "read dst", "write dst"),
    "ldx": ("read src", "write dst"),
    "stx": ("reserved", "read src", "read dst"),
    "st": ("reserved", "read dst"),
    "atomic": ("atomic_op", "atomic_size", "atomic_regs"),
    "call": ("reserved", "helper_id"),
    "ja": ("reserved",),
    "exit": ("reserved",),
    "may_goto": ("may_goto",),
    "jmp_k": ("read dst", "reserved"),
    "jmp_x": ("read dst", "reserved", "read src"),
    "ld_abs": ("prog_type", "reserved", "read ctx"),
    "ld_imm64": ("reserved", "write dst"),
}


def _family(slot: Insn) -> str:
    """Which of do_check's handlers takes this (known) opcode."""
    cls, op, source = slot.opcode & 0x07, slot.opcode & 0xF0, slot.opcode & 0x08
    if cls in (Class.ALU, Class.ALU64):
        if op in (0x80, 0xD0):
            return "neg" if op == 0x80 else "end"
        kind = "mov" if op == 0xB0 else "alu"
        return f"{kind}_{'x' if source else 'k'}"
    if cls in (Class.JMP, Class.JMP32):
        named = {JmpOp.CALL: "call", JmpOp.JA: "ja", JmpOp.EXIT: "exit", JmpOp.JCOND: "may_goto"}
        return named.get(op) or f"jmp_{'x' if source else 'k'}"
    if cls == Class.LD:
        return "ld_imm64" if slot.opcode == LDDW else "ld_abs"
    if cls == Class.STX and slot.opcode & 0xE0 == Mode.ATOMIC:
        return "atomic"
    return {Class.LDX: "ldx", Class.STX: "stx", Class.ST: "st"}[cls]


@lru_cache(maxsize=1 << 16)
def check_instruction(slot: Insn, pc: int, prog_type: int,
                      initialised: frozenset[int] = ALL_REGS) -> StructuralError | None:
    """The error do_check reports at ``slot`` (slot ``pc``) before looking at any value.

    ``slot`` must be a known opcode (check_structure passed). ``prog_type`` is the
    kernel's program type number (``kernel.ProgType``): legacy packet loads exist
    only for socket filters and tc programs. ``initialised`` are the registers the
    path has written (r10 always is).
    """
    family = _family(slot)
    try:
        for step in STEPS[family]:
            _STEP_CHECKS[step.split()[0]](slot, pc, family, step, prog_type,
                                          initialised | {FRAME_POINTER})
    except _Refusal as refusal:
        return refusal.error
    return None


def _register(slot: Insn, step: str) -> int:
    name = step.split()[1]
    return CTX_REG if name == "ctx" else getattr(slot, name)


def _read(slot, pc, family, step, prog_type, initialised) -> None:
    _read_register(_register(slot, step), pc, initialised)


def _read_register(regno: int, pc: int, initialised) -> None:
    if regno > MAX_REG:
        raise _refuse("invalid_register", pc, regno=regno)
    if regno not in initialised:
        raise _refuse("not_read_ok", pc, regno=regno)


def _write(slot, pc, family, step, prog_type, initialised) -> None:
    regno = _register(slot, step)
    if regno > MAX_REG:
        raise _refuse("invalid_register", pc, regno=regno)
    if regno == FRAME_POINTER:
        raise _refuse("frame_pointer_read_only", pc)


def _reserved(slot, pc, family, step, prog_type, initialised) -> None:
    what, refuses = RESERVED[family]
    if refuses(slot):
        raise _refuse("uses_reserved_fields", pc, what=what)


def _div_by_zero(slot, pc, family, step, prog_type, initialised) -> None:
    if slot.opcode & 0xF0 in DIV_MOD and slot.imm == 0:
        raise _refuse("div_by_zero", pc)


def _shift(slot, pc, family, step, prog_type, initialised) -> None:
    width = 64 if slot.opcode & 0x07 == Class.ALU64 else 32
    if slot.opcode & 0xF0 in SHIFTS and not 0 <= slot.imm < width:
        raise _refuse("invalid_shift", pc, amount=slot.imm)


def _addr_space_cast(slot, pc, family, step, prog_type, initialised) -> None:
    if slot.opcode & 0x07 == Class.ALU64 and slot.off == 1:
        if slot.imm not in (1, 1 << 16):
            raise _refuse("addr_space_cast_spaces", pc)
        raise _refuse("addr_space_cast_without_arena", pc)  # maps never carry an arena here


def _atomic_op(slot, pc, family, step, prog_type, initialised) -> None:
    if slot.imm not in ATOMIC_RMW | ATOMIC_LOAD_STORE:
        raise _refuse("atomic_invalid_opcode", pc, atomic_op=slot.imm & 0xFFFFFFFF)


def _atomic_size(slot, pc, family, step, prog_type, initialised) -> None:
    if slot.imm in ATOMIC_RMW and slot.opcode & 0x18 not in (Size.W, Size.DW):
        raise _refuse("atomic_operand_size", pc)


def _atomic_regs(slot, pc, family, step, prog_type, initialised) -> None:
    """Read-modify-write reads src, dst (and r0 for cmpxchg); store-release reads src then
    dst; load-acquire reads src and writes dst, like the plain load and store."""
    if slot.imm == AtomicOp.LOAD_ACQ:
        _read_register(slot.src, pc, initialised)
        _write(slot, pc, family, "write dst", prog_type, initialised)
        return
    reads = (slot.src, slot.dst) + ((0,) if slot.imm == ATOMIC_CMPXCHG else ())
    for regno in reads:
        _read_register(regno, pc, initialised)


def _helper_id(slot, pc, family, step, prog_type, initialised) -> None:
    """A helper id outside the kernel's enum: check_helper_call's first check."""
    if slot.src == CallKind.HELPER and not 0 <= slot.imm < MAX_HELPER_ID:
        raise _refuse("invalid_func", pc, name="unknown", func_id=slot.imm)


def _may_goto(slot, pc, family, step, prog_type, initialised) -> None:
    if slot.src or slot.dst or slot.imm:
        raise _refuse("invalid_may_goto", pc, imm=slot.imm)


def _prog_type(slot, pc, family, step, prog_type, initialised) -> None:
    if prog_type not in SKB_PROG_TYPES:
        raise _refuse("ld_abs_not_allowed", pc)


_STEP_CHECKS = {
    "read": _read, "write": _write, "reserved": _reserved, "div_by_zero": _div_by_zero,
    "shift": _shift, "addr_space_cast": _addr_space_cast, "atomic_op": _atomic_op,
    "atomic_size": _atomic_size, "atomic_regs": _atomic_regs, "helper_id": _helper_id,
    "may_goto": _may_goto, "prog_type": _prog_type,
}
