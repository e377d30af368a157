"""Soundness of the scalar domain: every concrete result lies inside the abstract result.

Hypothesis draws abstract values together with a concrete member of each
(random tnum and bounds around a chosen value, then ``bounds_sync``), applies
an operation to both, and checks the concrete result (from the engine's
``semantics``) is a member of the abstract one: tnum and all eight bounds.
Branches: each operand is a member of its refined state on the side the
concrete condition takes, and ``branch_taken`` never excludes that side.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vm_service import semantics
from vm_service.verifier.scalar import S32_MAX, S32_MIN, S64_MAX, S64_MIN, Regs, Scalar
from vm_service.verifier.scalar_alu import AluOp, alu, byte_swap, load, mov
from vm_service.verifier.scalar_branch import JmpOp, branch_taken, holds, refine
from vm_service.verifier.tnum import U32, U64, Tnum, to_s32, to_s64

EDGES = [0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, U32, 1 << 32,
         S64_MAX, 1 << 63, U64, U64 - 1, (1 << 63) + 1]
u64 = st.one_of(st.sampled_from(EDGES), st.integers(0, U64), st.integers(0, 0x1ff),
                st.integers(0, U64).map(lambda x: x | 0xffffffff00000000))
masks = st.one_of(st.just(0), st.just(U64), st.just(0xff), st.just(U32),
                  st.integers(0, U64), st.integers(0, U64).map(lambda m: m & 0xffff))


def _bound(draw, default: int, lo: int, hi: int, x: int) -> int:
    return draw(st.one_of(st.just(default), st.just(x), st.integers(lo, x) if default == lo
                          else st.integers(x, hi)))


@st.composite
def abstract(draw) -> tuple[Scalar, int]:
    """An abstract value and one of its members."""
    x = draw(u64)
    if draw(st.integers(0, 5)) == 0:
        return Scalar.const(x), x
    mask = draw(masks)
    lo32, sx, sx32 = x & U32, to_s64(x), to_s32(x)
    regs = Regs(Tnum(x & ~mask & U64, mask),
                _bound(draw, S64_MIN, S64_MIN, S64_MAX, sx), _bound(draw, S64_MAX, S64_MIN, S64_MAX, sx),
                _bound(draw, 0, 0, U64, x), _bound(draw, U64, 0, U64, x),
                _bound(draw, S32_MIN, S32_MIN, S32_MAX, sx32), _bound(draw, S32_MAX, S32_MIN, S32_MAX, sx32),
                _bound(draw, 0, 0, U32, lo32), _bound(draw, U32, 0, U32, lo32))
    regs.bounds_sync()
    value = regs.freeze()
    assert value.contains(x), f"bounds_sync lost the member {x:#x}: {value}"
    return value, x


@st.composite
def shift_amount(draw) -> tuple[Scalar, int]:
    """Mostly known shift amounts (the only ones the kernel computes with)."""
    if draw(st.booleans()):
        y = draw(st.integers(0, 70))
        return Scalar.const(y), y
    return draw(abstract())


OP_NAMES = {AluOp.ADD: "add", AluOp.SUB: "sub", AluOp.MUL: "mul", AluOp.DIV: "div", AluOp.OR: "or",
            AluOp.AND: "and", AluOp.LSH: "lsh", AluOp.RSH: "rsh", AluOp.MOD: "mod",
            AluOp.XOR: "xor", AluOp.ARSH: "arsh", AluOp.NEG: "neg"}


def _concrete(op: AluOp, x: int, y: int, alu64: bool) -> int:
    width = 64 if alu64 else 32
    keep = U64 if alu64 else U32
    return semantics.alu(OP_NAMES[op], x & keep, y & keep, width)


@settings(max_examples=800, deadline=None)
@given(op=st.sampled_from(list(AluOp)), alu64=st.booleans(), dst=abstract(), src=st.data())
def test_every_alu_result_lies_inside_the_abstract_result(op, alu64, dst, src):
    (a, x) = dst
    b, y = src.draw(shift_amount() if op in (AluOp.LSH, AluOp.RSH, AluOp.ARSH) else abstract())
    result = alu(op, a, b, alu64)
    concrete = _concrete(op, x, y, alu64)
    assert result.contains(concrete), f"{x:#x} {op.value} {y:#x} = {concrete:#x} not in {result}"


@settings(max_examples=300, deadline=None)
@given(src=abstract(), alu64=st.booleans(), bits=st.sampled_from([0, 8, 16, 32]))
def test_every_moved_value_lies_inside_the_abstract_move(src, alu64, bits):
    a, y = src
    if not alu64 and bits == 32:
        bits = 0
    width = 64 if alu64 else 32
    concrete = semantics.sign_extend(y, bits, width) if bits else y & (U64 if alu64 else U32)
    assert mov(a, alu64, bits).contains(concrete)


@settings(max_examples=300, deadline=None)
@given(src=abstract(), bits=st.sampled_from([16, 32, 64]), form=st.sampled_from(["be", "le", "bswap"]))
def test_every_byte_swap_lies_inside_the_abstract_swap(src, bits, form):
    a, y = src
    to_big_endian = {"be": True, "le": False, "bswap": None}[form]
    assert byte_swap(a, bits, to_big_endian).contains(semantics.endian(form, y, bits))


@given(size=st.sampled_from([1, 2, 4, 8]), sign_extend=st.booleans(), raw=st.integers(0, U64))
def test_every_loaded_value_lies_inside_the_abstract_load(size, sign_extend, raw):
    bits = size * 8
    value = raw & ((1 << bits) - 1)
    if sign_extend and size < 8:
        value = semantics.sign_extend(value, bits)
    assert load(size, sign_extend and size < 8).contains(value)


@settings(max_examples=800, deadline=None)
@given(op=st.sampled_from([op for op in JmpOp]), jmp32=st.booleans(), dst=abstract(), src=abstract())
def test_both_operands_stay_inside_the_side_the_branch_takes(op, jmp32, dst, src):
    (a, x), (b, y) = dst, src
    taken = holds(op, x, y, jmp32)
    sides = refine(op, a, b, jmp32)
    assert branch_taken(op, a, b, jmp32) in (None, taken)
    new_dst, new_src = (sides.true_dst, sides.true_src) if taken else (sides.false_dst, sides.false_src)
    assert new_dst.contains(x), f"dst {x:#x} lost: {a} -> {new_dst}"
    assert new_src.contains(y), f"src {y:#x} lost: {b} -> {new_src}"


@settings(max_examples=300, deadline=None)
@given(op=st.sampled_from([op for op in JmpOp]), jmp32=st.booleans(), reg=abstract())
def test_a_register_compared_with_itself_stays_inside_its_side(op, jmp32, reg):
    a, x = reg
    taken = holds(op, x, x, jmp32)
    sides = refine(op, a, a, jmp32, same_register=True)
    assert branch_taken(op, a, a, jmp32) in (None, taken)
    assert (sides.true_dst if taken else sides.false_dst).contains(x)
