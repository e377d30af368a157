"""Memory access by pointer type: loads, stores and ``ld_imm64`` (``check_mem_access``).

Each function takes the ``Explorer`` (for the program, its maps, ids and
``reject``), the instruction and the state before it, and returns the state
after it.
"""

from __future__ import annotations

from dataclasses import replace

from ..helpers.kinds import TypeFlag
from ..isa import Insn
from ..opcodes import Class, Pseudo
from . import messages
from .errors import Reject, Unsupported
from .regs import RegState, RegType
from .scalar import Scalar
from .stack import MAX_STACK, SLOT_SIZE
from .state import State
from .state_log import type_text

SIZES = {0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8}          # BPF_W, BPF_H, BPF_B, BPF_DW


def ld_imm64(ex, slot: Insn, second: Insn, state: State) -> State:
    if slot.src == Pseudo.NONE:
        value = (slot.imm & 0xFFFFFFFF) | (second.imm & 0xFFFFFFFF) << 32
        return state.set(slot.dst, RegState.const(value))
    if slot.src == Pseudo.MAP_FD and 0 <= slot.imm < len(ex.maps):
        return state.set(slot.dst, RegState.map_ptr(ex.maps[slot.imm].ref()))
    raise Unsupported(f"ld_imm64 with src_reg={slot.src} (or an unknown map) is not "
                      "modelled yet")


def load(ex, slot: Insn, state: State) -> State:
    size = SIZES[slot.opcode & 0x18]
    where, off, reg = _at(ex, slot.src, state, slot.off, size, "read from")
    if where == "stack":
        value = state.stack_of(reg.frameno).read(off, size)
    else:
        value = RegState.scalar(Scalar.unknown() if size == 8 else Scalar.of_size(size))
    return state.set(slot.dst, value)


def store(ex, slot: Insn, state: State) -> State:
    size = SIZES[slot.opcode & 0x18]
    where, off, reg = _at(ex, slot.dst, state, slot.off, size, "write to")
    if where == "map":
        return state
    stack = state.stack_of(reg.frameno)
    if slot.opcode & 0x07 == Class.ST:
        return state.with_stack(stack.write(off, size, imm=slot.imm), reg.frameno)
    value = state.regs[slot.src]
    if value.is_scalar() and off % SLOT_SIZE == 0 and value.width() <= size * 8 \
            and not value.id and not value.var.is_const():
        value = replace(value, id=ex.new_id())      # assign_scalar_id_before_mov
        state = state.set(slot.src, value)
    return state.with_stack(stack.write(off, size, value), reg.frameno)


def _memory(regno: int, state: State, pc_off: int, size: int, access: str):
    """The memory a pointer names: ("stack", fp offset) or ("map", value offset), and the pointer."""
    reg = state.regs[regno]
    if reg.is_scalar() or reg.flags & TypeFlag.PTR_MAYBE_NULL:
        raise Reject(messages.render("invalid_mem_access", regno=regno, type=type_text(reg)))
    if not reg.var.is_const() or reg.var.var_off.value:
        raise Unsupported("memory access through a pointer with a variable offset")
    off = reg.off + pc_off
    if reg.type is RegType.PTR_TO_STACK:
        if off % size:
            raise Reject(messages.render("misaligned_access", pointer="stack ", var_off="0",
                                         reg_off=reg.off, off=pc_off, size=size))
        if off < -MAX_STACK or off + size > 0:
            raise Reject(messages.render("stack_access", access=access, regno=regno,
                                         off=off, size=size))
        return "stack", off, reg
    if reg.type is RegType.PTR_TO_MAP_VALUE:
        if off < 0 or off + size > reg.map.value_size:
            raise Reject(messages.render("map_value_access", value_size=reg.map.value_size,
                                         off=off, size=size))
        return "map", off, reg
    raise Unsupported(f"memory access through {type_text(reg)} is not modelled yet")


def _at(ex, regno, state, off, size, access):
    try:
        return _memory(regno, state, off, size, access)
    except Reject as reject:
        ex.reject(state, reject.text, ex.pc)
