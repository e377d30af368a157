"""Tnums: hand-picked cases from the kernel's behaviour, and soundness of every operation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vm_service import semantics
from vm_service.verifier.tnum import TNUM_UNKNOWN, U32, U64, Tnum

members_of = st.integers(0, U64)


@st.composite
def tnum_with_member(draw) -> tuple[Tnum, int]:
    x = draw(st.one_of(members_of, st.integers(0, 0x3ff), st.sampled_from([0, U64, 1 << 63, U32])))
    mask = draw(st.one_of(st.just(0), st.just(U64), st.integers(0, U64), st.integers(0, 0xff),
                          st.integers(0, U64).map(lambda m: m & 0xffff0000)))
    t = Tnum(x & ~mask & U64, mask)
    # any other member: keep the known bits, choose the unknown ones
    y = t.value | (draw(members_of) & mask)
    return t, draw(st.sampled_from([x, y]))


def test_it_builds_constants_unknowns_and_ranges():
    assert Tnum.const(-1) == Tnum(U64, 0)
    assert Tnum.unknown() == TNUM_UNKNOWN
    assert Tnum.range(0, 255) == Tnum(0, 0xff)
    assert Tnum.range(16, 31) == Tnum(16, 0xf)
    assert Tnum.range(5, 5) == Tnum(5, 0)
    assert Tnum.range(0, U64) == TNUM_UNKNOWN


def test_it_prints_like_tnum_strn():
    assert str(Tnum(0, 0xff)) == "(0x0; 0xff)"
    assert str(Tnum(0x80, 0xffffff7f)) == "(0x80; 0xffffff7f)"


def test_it_adds_with_carries_becoming_unknown():
    assert Tnum(0, 0xffff0000).add(Tnum.const(0x12345)) == Tnum(0x2345, 0x1ffff0000)
    assert Tnum.const(3).add(Tnum.const(4)) == Tnum.const(7)


def test_it_negates_a_zero_extended_value_into_a_full_unknown():
    assert Tnum(0, U32).neg() == TNUM_UNKNOWN


def test_it_multiplies_with_the_union_of_partial_products():
    assert Tnum.const(3).mul(Tnum(0, 3)) == Tnum(0, 0xf)
    assert Tnum.const(6).mul(Tnum.const(7)) == Tnum.const(42)
    assert Tnum(0, 1).mul(Tnum.const(0b1010)) == Tnum(0, 0b1010)


def test_it_intersects_keeping_ones_and_unions_forgetting_disagreements():
    assert Tnum(0, 0xff).intersect(Tnum(0x10, 0x0f)) == Tnum(0x10, 0x0f)
    assert Tnum.const(0b1010).union(Tnum.const(0b0101)) == Tnum(0, 0b1111)
    assert Tnum.const(0b1010).union(Tnum.const(0b1000)) == Tnum(0b1000, 0b0010)


def test_it_shifts_arithmetically_at_each_width():
    assert Tnum.const(0x80000000).arshift(4, 32) == Tnum.const(0xf8000000)
    assert Tnum.const(1 << 63).arshift(4) == Tnum.const(0xf800000000000000)
    assert Tnum(0, 0xff).lshift(60) == Tnum(0, 0xf000000000000000)


def test_it_handles_subregisters():
    t = Tnum(0x100000000, 0xff)
    assert t.subreg() == Tnum(0, 0xff)
    assert t.clear_subreg() == Tnum(0x100000000, 0)
    assert t.with_subreg(Tnum.const(5)) == Tnum.const(0x100000005)
    assert t.const_subreg(7) == Tnum.const(0x100000007)
    assert t.cast(1) == Tnum(0, 0xff)


def test_it_answers_membership_and_containment():
    assert Tnum(0, 0xff).contains(Tnum(0x10, 0x0f))
    assert not Tnum(0x10, 0x0f).contains(Tnum(0, 0xff))
    assert Tnum(0x10, 0x0f).has(0x1f) and not Tnum(0x10, 0x0f).has(0x20)
    assert Tnum.const(9).equals_const(9) and not Tnum(8, 1).equals_const(9)
    assert Tnum(0, 0xf0).is_aligned(16) and not Tnum(0, 0xf8).is_aligned(16)


def test_it_swaps_bytes_of_value_and_mask():
    assert Tnum(0x1200, 0x00ff).bswap(16) == Tnum(0x12, 0xff00)
    assert Tnum.const(0x12345678).bswap(32) == Tnum.const(0x78563412)


def test_it_steps_to_the_next_member():
    t = Tnum(0, 0x80)
    assert t.step(0) == 0x80
    assert t.step(0x80) == 0x80          # nothing above the largest member: the largest
    assert Tnum(0x10, 0x0f).step(3) == 0x10  # below the smallest member: the smallest
    assert Tnum(1, 0b1010).step(3) == 9


def test_it_detects_tnums_that_cannot_share_a_member():
    assert not Tnum.const(256).overlaps(Tnum(0, 0xfd6c52a8))
    assert Tnum(0, 0xff).overlaps(Tnum.const(0x10))


BINARY = {"add": Tnum.add, "sub": Tnum.sub, "and": Tnum.and_, "or": Tnum.or_,
          "xor": Tnum.xor, "mul": Tnum.mul}


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(sorted(BINARY)), a=tnum_with_member(), b=tnum_with_member())
def test_every_binary_operation_contains_each_concrete_result(name, a, b):
    (ta, x), (tb, y) = a, b
    assert BINARY[name](ta, tb).has(semantics.alu(name, x, y, 64))


@settings(max_examples=300, deadline=None)
@given(a=tnum_with_member(), shift=st.integers(0, 63))
def test_every_shift_contains_each_concrete_result(a, shift):
    t, x = a
    assert t.lshift(shift).has(x << shift)
    assert t.rshift(shift).has(x >> shift)
    assert t.arshift(shift).has(semantics.alu("arsh", x, shift, 64))
    assert t.subreg().arshift(shift % 32, 32).has(semantics.alu("arsh", x & U32, shift % 32, 32))


@settings(max_examples=300, deadline=None)
@given(a=tnum_with_member(), b=tnum_with_member())
def test_union_holds_both_and_a_range_holds_its_interval(a, b):
    (ta, x), (tb, y) = a, b
    assert ta.union(tb).has(x) and ta.union(tb).has(y)
    lo, hi = sorted((x, y))
    assert Tnum.range(lo, hi).has(lo) and Tnum.range(lo, hi).has(hi)
    assert ta.neg().has(-x & U64)
    assert ta.contains(Tnum.const(x))
    if ta.has(y) and tb.has(y):
        assert ta.intersect(tb).has(y)
    assert ta.overlaps(tb) or not (ta.has(y) and tb.has(y))


@settings(max_examples=300, deadline=None)
@given(a=tnum_with_member(), z=members_of)
def test_step_finds_the_smallest_member_above(a, z):
    t, _ = a
    nxt = t.step(z)
    top = t.value | t.mask
    if t.value <= z < top:
        assert t.has(nxt) and nxt > z
        # no member strictly between z and nxt: check the nearest candidates
        for candidate in range(z + 1, min(nxt, z + 64)):
            assert not t.has(candidate)


@pytest.mark.parametrize("bits", [16, 32, 64])
@settings(max_examples=100, deadline=None)
@given(a=tnum_with_member())
def test_byte_swaps_contain_each_concrete_result(bits, a):
    t, x = a
    assert t.bswap(bits).has(semantics.byte_swap(x, bits))
