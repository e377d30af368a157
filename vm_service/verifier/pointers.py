"""Pointer arithmetic and pointer comparisons (``adjust_ptr_min_max_vals``, NULL checks)."""

from __future__ import annotations

from dataclasses import replace

from ..helpers.kinds import TypeFlag
from .errors import Unsupported
from .regs import RegState, RegType
from .scalar_alu import AluOp
from .scalar_branch import JmpOp
from .stack import SLOT_SIZE
from .state import State
from .state_log import type_text

MAX_POINTER_OFFSET = 1 << 29      # BPF_MAX_VAR_OFF: larger constant offsets are refused


def pointer_alu(ex, slot, state: State, op: AluOp, dst: RegState, src: RegState,
                alu64: bool) -> State:
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


def pointer_jump(ex, op: JmpOp, dst: RegState, src: RegState, jmp32: bool, slot, state: State,
                 taken: int, fall: int) -> list[tuple[int, State]]:
    """``if ptr == 0`` / ``!= 0``: NULL checks by id; others are not modelled."""
    against_zero = src.is_null() and dst.is_pointer() and not jmp32
    if not against_zero or op not in (JmpOp.JEQ, JmpOp.JNE):
        raise Unsupported(f"comparing {type_text(dst)} with {type_text(src)} is not "
                          "modelled yet")
    if dst.flags & TypeFlag.PTR_MAYBE_NULL and dst.type is RegType.PTR_TO_MAP_VALUE:
        null, non_null = null_checked(state, dst.id, True), null_checked(state, dst.id, False)
        return [(fall, non_null), (taken, null)] if op is JmpOp.JEQ else \
            [(fall, null), (taken, non_null)]
    if dst.type is RegType.PTR_TO_MAP_VALUE:
        return [(fall if op is JmpOp.JEQ else taken, state)]
    if dst.type is RegType.PTR_TO_STACK:
        return [(fall, state), (taken, state)]
    raise Unsupported(f"comparing {type_text(dst)} with 0 is not modelled yet")


def null_checked(state: State, id: int, is_null: bool) -> State:
    """mark_ptr_or_null_regs: every copy of the maybe-NULL pointer, registers and spills."""
    def checked(reg: RegState) -> RegState:
        if not (reg.flags & TypeFlag.PTR_MAYBE_NULL and reg.id == id):
            return reg
        return RegState.const(0) if is_null else reg.not_null()
    for frameno, frame in enumerate(state.frames):
        stack = frame.stack
        for spi, stack_slot in enumerate(stack.slots):
            if stack_slot.is_spill():
                stack = stack.with_spilled(-(spi + 1) * SLOT_SIZE, checked(stack_slot.spilled))
        state = state.with_stack(stack, frameno)
        regs = tuple(checked(r) for r in frame.regs)
        state = state._with_frame(frameno, replace(state.frames[frameno], regs=regs))
    return state
