"""The scalar domain on hand-picked cases; expected texts are what Linux 6.18 printed for them."""

from __future__ import annotations

import pytest

from vm_service.verifier.scalar import S32_MIN, S64_MIN, Regs, Scalar, ScalarError
from vm_service.verifier.scalar_alu import AluOp, alu, byte_swap, load, mov, mov_imm
from vm_service.verifier.scalar_branch import JmpOp, branch_taken, refine
from vm_service.verifier.scalar_log import scalar_text, signed_text, unsigned_text
from vm_service.verifier.tnum import U32, U64, Tnum

BYTE = alu(AluOp.AND, Scalar.unknown(), Scalar.const(0xff))
SKB_LEN = load(4)


def text(s: Scalar) -> str:
    return scalar_text(s)


def test_it_prints_constants_as_the_kernel_does():
    assert text(Scalar.const(5)) == "5"
    assert text(Scalar.const(-1)) == "-1"
    assert text(Scalar.const(-32768)) == "-32768"
    assert text(Scalar.const(0x8000)) == "0x8000"
    assert text(Scalar.const32(0x12345678)) == "0x12345678"
    assert text(Scalar.const(-3 & U64).synced()) == "-3"


def test_it_prints_numbers_in_decimal_only_when_small():
    assert unsigned_text(65535) == "65535" and unsigned_text(65536) == "0x10000"
    assert signed_text(-32769) == "0xffffffffffff7fff"


def test_it_prints_an_unknown_scalar_without_fields():
    assert text(Scalar.unknown()) == "scalar()"


def test_it_merges_equal_bounds_of_the_same_sign():
    assert text(BYTE) == "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))"
    assert text(SKB_LEN) == "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))"


def test_it_prints_signed_32_bit_bounds_in_hex_without_sign_extension():
    value = alu(AluOp.OR, Scalar.unknown(), Scalar.const(128), alu64=False)
    assert text(value) == ("scalar(smin=umin=umin32=128,smax=umax=0xffffffff,smin32=0x80000080,"
                           "var_off=(0x80; 0xffffff7f))")


def test_it_makes_division_unknown_even_of_constants():
    assert text(alu(AluOp.DIV, Scalar.const(10), Scalar.const(3))) == "scalar()"
    assert text(alu(AluOp.MOD, Scalar.const(17), Scalar.const(3), alu64=False)) == "scalar()"


def test_it_subtracts_a_byte_from_a_u32():
    assert text(alu(AluOp.SUB, SKB_LEN, BYTE)) == "scalar(smin=-255,smax=0xffffffff)"


def test_it_loses_the_32_bit_range_when_multiplying_may_overflow():
    result = alu(AluOp.MUL, alu(AluOp.SUB, SKB_LEN, BYTE), Scalar.const(3), alu64=False)
    assert text(result) == text(SKB_LEN)


def test_it_shifts_arithmetically_a_non_negative_value():
    assert text(alu(AluOp.ARSH, SKB_LEN, Scalar.const(3))) == (
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=0x1fffffff,var_off=(0x0; 0x1fffffff))")


def test_it_marks_a_shift_by_an_unknown_or_too_large_amount_unknown():
    assert alu(AluOp.LSH, BYTE, Scalar.unknown()) == Scalar.unknown()
    assert alu(AluOp.RSH, BYTE, Scalar.const(32), alu64=False) == Scalar.unknown()
    assert alu(AluOp.RSH, BYTE, Scalar.const(4)).umax == 15


def test_it_negates_at_both_widths():
    neg32 = alu(AluOp.NEG, BYTE, BYTE, alu64=False)
    assert text(neg32) == ("scalar(smin=0,smax=umax=0xffffffff,smin32=-255,smax32=0,"
                           "var_off=(0x0; 0xffffffff))")
    assert text(alu(AluOp.NEG, neg32, neg32)) == (
        "scalar(smin=0xffffffff00000001,smax=0,umax=0xffffffff000000ff,smin32=0,smax32=umax32=255,"
        "var_off=(0x0; 0xffffffff000000ff))")


def test_it_computes_constants_exactly():
    assert alu(AluOp.ADD, Scalar.const(2), Scalar.const(3)) == Scalar.const(5)
    assert alu(AluOp.XOR, Scalar.const(6), Scalar.const(3)) == Scalar.const(5)
    assert alu(AluOp.SUB, Scalar.const(0), Scalar.const(1), alu64=False) == Scalar.const(U32)
    assert alu(AluOp.LSH, Scalar.const(1), Scalar.const(63)) == Scalar.const(1 << 63)


def test_it_moves_with_sign_extension():
    assert text(mov(Scalar.unknown(), sign_extend_bits=8)) == "scalar(smin=smin32=-128,smax=smax32=127)"
    assert mov(Scalar.const(0x80), sign_extend_bits=8) == Scalar.const(-128)
    assert mov(Scalar.const(0x8000), alu64=False, sign_extend_bits=16) == Scalar.const32(0xffff8000)
    assert mov(Scalar.const(-1), alu64=False) == Scalar.const(U32)
    assert mov(BYTE, sign_extend_bits=8) == BYTE.synced() or mov(BYTE, sign_extend_bits=8).smin == -128


def test_it_moves_immediates_sign_or_zero_extended():
    assert mov_imm(-1) == Scalar.const(U64)
    assert mov_imm(-1, alu64=False) == Scalar.const(U32)


def test_it_swaps_bytes_of_constants_and_truncates_unknowns():
    assert text(byte_swap(Scalar.const32(0x12345678), 16, True)) == "30806"
    assert text(byte_swap(Scalar.const(-3), 64, True)) == "0xfdffffffffffffff"
    assert text(byte_swap(SKB_LEN, 16, True)) == (
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=0xffff,var_off=(0x0; 0xffff))")
    assert byte_swap(Scalar.unknown(), 64, False) == Scalar.unknown()


def test_it_loads_sized_values():
    assert text(load(1)) == "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))"
    assert load(8) == Scalar.unknown()
    assert (load(2, sign_extend=True).smin, load(2, sign_extend=True).smax) == (-32768, 32767)


def test_it_narrows_both_sides_of_an_unsigned_comparison():
    neg = alu(AluOp.NEG, alu(AluOp.NEG, BYTE, BYTE, alu64=False), Scalar.unknown())
    sides = refine(JmpOp.JGT, neg, Scalar.const(0x10))
    assert text(sides.false_dst) == "scalar(smin=smin32=0,smax=umax=smax32=umax32=16,var_off=(0x0; 0x1f))"
    assert text(sides.true_dst) == (
        "scalar(smin=0xffffffff00000001,smax=0xffffffff000000ff,umin=0xffffffff00000001,"
        "umax=0xffffffff000000ff,smin32=umin32=1,smax32=umax32=255,var_off=(0xffffffff00000000; 0xff))")


def test_it_pins_a_register_on_the_equal_side_and_trims_an_edge_on_the_other():
    sides = refine(JmpOp.JEQ, BYTE, Scalar.const(7))
    assert sides.true_dst == Scalar.const(7)
    assert sides.false_dst.umin == 0 and sides.false_dst.umax == 255
    edge = refine(JmpOp.JNE, BYTE, Scalar.const(0))
    assert edge.true_dst.umin == 1


def test_it_learns_a_single_tested_bit_and_clears_tested_bits():
    sides = refine(JmpOp.JSET, BYTE, Scalar.const(4))
    assert sides.true_dst.var_off == Tnum(4, 0xfb)
    assert sides.false_dst.var_off == Tnum(0, 0xfb)
    assert refine(JmpOp.JSET, BYTE, Scalar.const(6)).true_dst == BYTE


def test_it_refines_signed_32_bit_comparisons():
    sides = refine(JmpOp.JSGT, Scalar.unknown(), Scalar.const(-8), jmp32=True)
    assert sides.true_dst.s32_min == -7 and sides.false_dst.s32_max == -8


@pytest.mark.parametrize("op, dst, src, expected", [
    (JmpOp.JGT, BYTE, Scalar.const(255), False),
    (JmpOp.JLE, BYTE, Scalar.const(255), True),
    (JmpOp.JEQ, BYTE, Scalar.const(256), False),
    (JmpOp.JNE, BYTE, Scalar.const(256), True),
    (JmpOp.JSET, BYTE, Scalar.const(0x100), False),
    (JmpOp.JSET, Scalar.const(3), Scalar.const(1), True),
    (JmpOp.JSLT, BYTE, Scalar.const(0), False),
    (JmpOp.JSGE, BYTE, Scalar.const(0), True),
    (JmpOp.JEQ, BYTE, Scalar.const(8), None),
    (JmpOp.JEQ, Scalar(Tnum(0, 0xfd6c52a8), 0, 0xfd6c52a8, 0, 0xfd6c52a8, S32_MIN, 0x7d6c52a8, 0, 0xfd6c52a8),
     Scalar.const(256), False),
])
def test_it_predicts_branches_like_is_branch_taken(op, dst, src, expected):
    assert branch_taken(op, dst, src) is expected


def test_it_predicts_32_bit_branches_on_the_low_half_only():
    high = Scalar.const(0x100000005)
    assert branch_taken(JmpOp.JEQ, high, Scalar.const(5), jmp32=True) is True
    assert branch_taken(JmpOp.JEQ, high, Scalar.const(5)) is False


def test_bounds_sync_turns_a_single_possible_value_into_a_constant():
    regs = Regs(Tnum(0, 0x80), 1, 128, 1, 128, 1, 128, 1, 128)
    regs.bounds_sync()
    assert regs.freeze() == Scalar.const(128)


def test_bounds_sync_learns_bits_and_signs_from_ranges():
    regs = Regs.unknown()
    regs.umin, regs.umax = 16, 31
    regs.bounds_sync()
    value = regs.freeze()
    assert value.var_off == Tnum(16, 0xf)
    assert (value.smin, value.smax, value.s32_min, value.u32_max) == (16, 31, 16, 31)
    assert Scalar.unknown().synced() == Scalar.unknown()
    assert Scalar.unknown().smin == S64_MIN


@pytest.mark.parametrize("call", [
    lambda: load(3),
    lambda: load(8, sign_extend=True),
    lambda: Scalar.of_size(8),
    lambda: mov(BYTE, alu64=False, sign_extend_bits=32),
    lambda: byte_swap(BYTE, 8, True),
    lambda: alu("add", BYTE, BYTE),
])
def test_it_rejects_operations_no_instruction_performs(call):
    with pytest.raises(ScalarError):
        call()


def test_it_narrows_a_register_compared_with_itself_in_place():
    sides = refine(JmpOp.JGT, Scalar.unknown(), Scalar.unknown(), same_register=True)
    assert text(sides.true_dst) == "scalar(umin=1,umax=0xfffffffffffffffe)"
    assert sides.false_dst == Scalar.unknown()
    sides32 = refine(JmpOp.JSLT, Scalar.unknown(), Scalar.unknown(), jmp32=True, same_register=True)
    assert text(sides32.true_dst) == "scalar(smin32=0x80000001,smax32=0x7ffffffe)"


# -- the known-value shortcut ----------------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from vm_service.verifier.scalar_alu import full_alu  # noqa: E402

INTERESTING = st.one_of(st.integers(0, 70), st.integers(0, (1 << 64) - 1),
                        st.sampled_from([(1 << 63) - 1, 1 << 63, (1 << 32) - 1, 1 << 31,
                                         (1 << 64) - 1, (1 << 31) - 1]))


@settings(max_examples=3000, deadline=None)
@given(op=st.sampled_from(list(AluOp)), dst=INTERESTING, src=INTERESTING, alu64=st.booleans())
def test_the_known_value_shortcut_gives_what_the_full_transfer_gives(op, dst, src, alu64):
    assert alu(op, Scalar.const(dst), Scalar.const(src), alu64) == \
        full_alu(op, Scalar.const(dst), Scalar.const(src), alu64)
