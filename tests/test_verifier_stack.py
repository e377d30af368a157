"""The stack rules of the kernel's verifier for a privileged loader: spills, fills, misc, zero."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vm_service.errors import VmError
from vm_service.verifier.regs import MapRef, RegState
from vm_service.verifier.scalar import Scalar
from vm_service.verifier.stack import SlotType, Stack, StackError
from vm_service.verifier.state_log import slot_text

MAP = MapRef("counts", 4, 8)
U32_VALUE = Scalar.of_size(4)


def letters(stack: Stack, off: int) -> str:
    return "".join(kind.letter for kind in stack.slot_at(off).types)


def test_it_keeps_a_whole_register_spill_and_fills_it_back():
    pointer = RegState.map_value(MAP, 4)
    stack = Stack().write(-16, 8, pointer)
    assert letters(stack, -16) == "rrrrrrrr"
    assert stack.allocated == 16
    assert stack.read(-16, 8) == pointer
    assert slot_text(stack, 1) == "fp-16=map_value(map=counts,ks=4,vs=8,off=4)"
    assert slot_text(stack, 0) is None


def test_it_spills_a_narrow_scalar_at_a_slot_start():
    stack = Stack().write(-8, 4, RegState.const(5))
    assert letters(stack, -8) == "????rrrr"
    assert slot_text(stack, 0) == "fp-8=????5"
    assert stack.read(-8, 4) == RegState.const(5)


def test_it_keeps_zero_and_uninitialised_bytes_above_a_narrow_spill_and_turns_others_misc():
    stack = Stack().write(-4, 2, RegState.const(0)).write(-2, 1, RegState.scalar())
    assert letters(stack, -8) == "?m00????"
    stack = stack.write(-8, 4, RegState.scalar(U32_VALUE))
    assert letters(stack, -8) == "?m00rrrr"


def test_it_turns_a_broken_spill_into_misc_bytes():
    stack = Stack().write(-8, 4, RegState.const(5)).write(-4, 4, RegState.const(0))
    assert letters(stack, -8) == "0000mmmm"
    assert stack.slot_at(-8).spilled == RegState.not_init()


def test_it_marks_zero_writes_as_zero_and_other_data_as_misc():
    stack = Stack().write(-7, 1, RegState.const(0)).write(-3, 1, imm=0).write(-2, 2, imm=9)
    assert letters(stack, -8) == "mm0???0?"
    stack = stack.write(-16 + 4, 4, RegState.scalar(U32_VALUE))
    assert letters(stack, -16) == "mmmm????"


def test_it_spills_an_immediate_stored_at_a_slot_start_sign_extended():
    stack = Stack().write(-8, 4, imm=-1)
    assert stack.read(-8, 4) == RegState.const(0xffffffff)   # the fill is cut to 4 bytes
    assert slot_text(stack, 0) == "fp-8=????-1"


def test_it_reads_zero_bytes_as_zero_and_other_data_as_unknown():
    stack = Stack().write(-8, 8, imm=0).write(-16, 4, imm=3).write(-12, 4, imm=0)
    assert stack.read(-4, 4) == RegState.const(0)
    assert stack.read(-16, 8) == RegState.scalar()


def test_it_reads_uninitialised_stack_as_an_unknown_value_of_the_load_size():
    assert Stack().read(-40, 2) == RegState.scalar(Scalar.of_size(2))
    assert Stack().read(-40, 1, signed=True) == RegState.scalar(Scalar.of_size_sx(1))


def test_it_drops_the_id_on_a_narrowing_fill_and_keeps_it_on_a_same_size_one():
    wide = RegState.scalar(U32_VALUE, id=3)
    stack = Stack().write(-8, 8, wide)
    assert stack.read(-8, 4) == wide
    narrowed = stack.read(-8, 2)
    assert narrowed.id == 0 and narrowed.var == Scalar.of_size(2)


def test_it_reads_part_of_a_zero_spill_above_its_start_as_zero():
    stack = Stack().write(-8, 8, RegState.const(0))
    assert stack.read(-4, 4) == RegState.const(0)
    assert Stack().write(-8, 8, RegState.const(7)).read(-4, 4) == RegState.scalar(U32_VALUE)


def test_it_rejects_partial_pointer_spills_and_fills():
    with pytest.raises(StackError, match="invalid size of register spill"):
        Stack().write(-8, 4, RegState.ctx())
    with pytest.raises(StackError, match="invalid size of register fill"):
        Stack().write(-8, 8, RegState.ctx()).read(-8, 4)


@pytest.mark.parametrize("off,size,message", [
    (-6, 4, "misaligned stack access off 0+0+-6 size 4"),
    (-520, 8, "invalid write to stack R10 off=-520 size=8"),
    (0, 8, "invalid write to stack R10 off=0 size=8"),
    (-8, 3, "1, 2, 4 or 8 bytes"),
])
def test_it_rejects_writes_the_kernel_rejects_with_its_message(off, size, message):
    with pytest.raises(StackError, match=message.replace("+", r"\+")):
        Stack().write(off, size, RegState.const(1))


def test_it_rejects_a_write_of_an_uninitialised_register_or_of_nothing():
    with pytest.raises(VmError):
        Stack().write(-8, 8, RegState.not_init())
    with pytest.raises(VmError):
        Stack().write(-8, 8)


def test_it_changes_a_spilled_register_in_place_only_where_one_is():
    stack = Stack().write(-8, 8, RegState.map_value_or_null(MAP, id=1))
    assert stack.with_spilled(-8, RegState.map_value(MAP)).read(-8, 8) == RegState.map_value(MAP)
    with pytest.raises(StackError, match="no register is spilled at fp-16"):
        stack.write(-16, 8, imm=0).write(-12, 4, imm=0).with_spilled(-16, RegState.scalar())


def test_it_grows_in_whole_slots():
    assert Stack().grown(1).allocated == 8
    assert Stack().grown(17).allocated == 24
    assert Stack().grown(24).grown(8).allocated == 24
    assert Stack().write(-40, 8, imm=0).slot_at(-8).types == (SlotType.STACK_INVALID,) * 8


@given(st.integers(-(1 << 63), (1 << 64) - 1), st.sampled_from([-8, -16, -512]))
def test_a_whole_spill_of_any_constant_fills_back_unchanged(value, off):
    reg = RegState.const(value)
    assert Stack().write(off, 8, reg).read(off, 8) == reg


@given(st.integers(1, 7), st.integers(0, 3), st.booleans())
def test_an_unaligned_byte_write_changes_only_its_own_byte(byte, which, zero):
    base = Stack().write(-6, 2, imm=0).write(-4, 4, imm=7)
    off = -8 + byte
    stack = base.write(off, 1, imm=0 if zero else which + 1)
    changed = [i for i in range(8) if stack.slot_at(-8).types[i] != base.slot_at(-8).types[i]]
    assert set(changed) <= {7 - byte}
    assert stack.slot_at(-8).types[7 - byte] is (SlotType.STACK_ZERO if zero else SlotType.STACK_MISC)


def test_a_narrowing_spill_drops_the_id_and_one_that_fits_keeps_it():
    linked = RegState.scalar(Scalar.unknown(), id=1, delta=3)
    assert Stack().write(-8, 4, linked).read(-8, 8) == RegState.scalar()
    fits = RegState.scalar(U32_VALUE, id=2)
    assert Stack().write(-8, 4, fits).slot_at(-8).spilled == fits


def test_a_narrowing_fill_of_a_linked_copy_is_no_copy():
    linked = RegState.scalar(Scalar.of_size(2), id=5, delta=7)
    stack = Stack().write(-8, 8, linked)
    assert stack.read(-8, 8) == linked
    assert stack.read(-8, 1) == RegState.scalar(Scalar.of_size(1))
