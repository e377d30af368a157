"""ALU transfer functions on scalars, as Linux 6.18's ``adjust_scalar_min_max_vals`` applies them.

``alu(op, dst, src, alu64)`` gives the abstract result of ``dst op= src`` for
two scalars (an immediate operand is ``Scalar.const(imm)``, sign-extended as
the kernel does). The 32-bit forms compute on the low halves and zero-extend.
Where the kernel gives up (division, modulo, a shift whose amount is not a
known in-range constant) the result is unknown, exactly as in the kernel.
Moves and byte swaps are separate functions because the kernel handles them
outside that function.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from .scalar import S32_MAX, S32_MIN, S64_MAX, S64_MIN, Regs, Scalar, ScalarError, check_choice
from .tnum import U32, U64, Tnum, to_s32, to_s64


class AluOp(enum.Enum):
    ADD = "+="
    SUB = "-="
    MUL = "*="
    DIV = "/="
    OR = "|="
    AND = "&="
    LSH = "<<="
    RSH = ">>="
    NEG = "= -"
    MOD = "%="
    XOR = "^="
    ARSH = "s>>="


SHIFTS = {AluOp.LSH, AluOp.RSH, AluOp.ARSH}
ALWAYS_COMPUTABLE = {AluOp.ADD, AluOp.SUB, AluOp.NEG, AluOp.AND, AluOp.XOR, AluOp.OR, AluOp.MUL}


def alu(op: AluOp, dst: Scalar, src: Scalar, alu64: bool = True) -> Scalar:
    """The abstract ``dst op= src`` (for NEG, ``src`` is ignored: ``dst = -dst``)."""
    if not isinstance(op, AluOp):
        raise ScalarError(f"not an ALU operation: {op!r}")
    if op is AluOp.NEG:
        src = dst
    if dst.var_off.mask == 0 and src.var_off.mask == 0 and op in CONSTANT_OPS:
        known = _constant_result(op, dst.var_off.value, src.var_off.value, alu64)
        if known is not None:
            return Scalar.const(known)
    return full_alu(op, dst, src, alu64)


def full_alu(op: AluOp, dst: Scalar, src: Scalar, alu64: bool = True) -> Scalar:
    """``alu`` by the kernel's tnum and bounds rules alone, without the known-value shortcut."""
    if op is AluOp.NEG:
        src = dst
    regs = dst.thaw()
    if not _computable(op, src, alu64):
        regs.mark_unknown()
        return regs.freeze()
    s = src.thaw()
    if op in SHIFTS:
        SHIFT_FUNCTIONS[op, alu64](regs, s)
    else:
        BINARY_FUNCTIONS[op](regs, s)
    if not alu64:
        regs.zext_32_to_64()
    regs.bounds_sync()
    return regs.freeze()


# Known operands give a known result for these, exactly as the bounds and tnum rules would
# compute it (a property test checks the shortcut against the full transfer).
CONSTANT_OPS = {
    AluOp.ADD: lambda d, s, bits: d + s, AluOp.SUB: lambda d, s, bits: d - s,
    AluOp.MUL: lambda d, s, bits: d * s, AluOp.AND: lambda d, s, bits: d & s,
    AluOp.OR: lambda d, s, bits: d | s, AluOp.XOR: lambda d, s, bits: d ^ s,
    AluOp.NEG: lambda d, s, bits: -d,
    AluOp.LSH: lambda d, s, bits: d << s, AluOp.RSH: lambda d, s, bits: d >> s,
    AluOp.ARSH: lambda d, s, bits: (d - (1 << bits) if d >> (bits - 1) else d) >> s,
}


def _constant_result(op: AluOp, dst: int, src: int, alu64: bool) -> int | None:
    """``dst op src`` on known values (None: a shift by too much, which makes it unknown)."""
    bits = 64 if alu64 else 32
    if op in SHIFTS and src >= bits:      # the whole 64-bit amount is checked, as _computable does
        return None
    mask = (1 << bits) - 1
    dst, src = dst & mask, src & mask
    return CONSTANT_OPS[op](dst, src, bits) & mask


def _computable(op: AluOp, src: Scalar, alu64: bool) -> bool:
    """``is_safe_to_compute_dst_reg_range``: shifts need a known amount below the width."""
    if op in ALWAYS_COMPUTABLE:
        return True
    if op not in SHIFTS:
        return False
    if alu64:
        known = src.var_off.is_const() and src.smin == src.smax and src.umin == src.umax
    else:
        known = (src.var_off.subreg_is_const() and src.s32_min == src.s32_max
                 and src.u32_min == src.u32_max)
    return known and src.umax < (64 if alu64 else 32)


# -- add, sub, mul ---------------------------------------------------------------

class Width(NamedTuple):
    """One half of the bounds: the names of its fields and the limits of its type."""

    smin: str
    smax: str
    umin: str
    umax: str
    signed_lo: int
    signed_hi: int
    unsigned_hi: int


WIDTH32 = Width("s32_min", "s32_max", "u32_min", "u32_max", S32_MIN, S32_MAX, U32)
WIDTH64 = Width("smin", "smax", "umin", "umax", S64_MIN, S64_MAX, U64)


def _signed(lo: int, hi: int, w: Width) -> tuple[int, int]:
    """Exact signed bounds, or none at all if either end overflowed."""
    if w.signed_lo <= lo <= w.signed_hi and w.signed_lo <= hi <= w.signed_hi:
        return lo, hi
    return w.signed_lo, w.signed_hi


def _unsigned(lo: int, hi: int, w: Width) -> tuple[int, int]:
    """Wrapped unsigned bounds: kept when both ends wrap or neither does, else lost."""
    if (0 <= lo <= w.unsigned_hi) == (0 <= hi <= w.unsigned_hi):
        return lo & w.unsigned_hi, hi & w.unsigned_hi
    return 0, w.unsigned_hi


def _bounds(regs: Regs, w: Width) -> tuple[int, int, int, int]:
    return getattr(regs, w.smin), getattr(regs, w.smax), getattr(regs, w.umin), getattr(regs, w.umax)


def _set_bounds(regs: Regs, w: Width, signed: tuple[int, int], unsigned: tuple[int, int]) -> None:
    setattr(regs, w.smin, signed[0])
    setattr(regs, w.smax, signed[1])
    setattr(regs, w.umin, unsigned[0])
    setattr(regs, w.umax, unsigned[1])


def _add_bounds(regs: Regs, src: Regs, w: Width) -> None:
    smin, smax, umin, umax = _bounds(regs, w)
    src_smin, src_smax, src_umin, src_umax = _bounds(src, w)
    _set_bounds(regs, w, _signed(smin + src_smin, smax + src_smax, w),
                _unsigned(umin + src_umin, umax + src_umax, w))


def _sub_bounds(regs: Regs, src: Regs, w: Width) -> None:
    smin, smax, umin, umax = _bounds(regs, w)
    src_smin, src_smax, src_umin, src_umax = _bounds(src, w)
    _set_bounds(regs, w, _signed(smin - src_smax, smax - src_smin, w),
                _unsigned(umin - src_umax, umax - src_umin, w))


def _mul_bounds(regs: Regs, src: Regs, w: Width) -> None:
    """Unsigned: the product of the ends unless one may overflow; signed: the four corner products."""
    smin, smax, umin, umax = _bounds(regs, w)
    src_smin, src_smax, src_umin, src_umax = _bounds(src, w)
    unsigned = (umin * src_umin, umax * src_umax)
    if unsigned[1] > w.unsigned_hi:
        unsigned = (0, w.unsigned_hi)
    corners = [a * b for a in (smin, smax) for b in (src_smin, src_smax)]
    if all(w.signed_lo <= c <= w.signed_hi for c in corners):
        signed = (min(corners), max(corners))
    else:
        signed = (w.signed_lo, w.signed_hi)
    _set_bounds(regs, w, signed, unsigned)


def _add(regs: Regs, src: Regs) -> None:
    _add_bounds(regs, src, WIDTH32)
    _add_bounds(regs, src, WIDTH64)
    regs.var_off = regs.var_off.add(src.var_off)


def _sub(regs: Regs, src: Regs) -> None:
    _sub_bounds(regs, src, WIDTH32)
    _sub_bounds(regs, src, WIDTH64)
    regs.var_off = regs.var_off.sub(src.var_off)


def _neg(regs: Regs, src: Regs) -> None:
    """``0 - dst`` (the kernel's BPF_NEG goes through its subtraction)."""
    regs.mark_known(0)
    _sub(regs, src)
    regs.var_off = src.var_off.neg()


def _mul(regs: Regs, src: Regs) -> None:
    regs.var_off = regs.var_off.mul(src.var_off)
    _mul_bounds(regs, src, WIDTH32)
    _mul_bounds(regs, src, WIDTH64)


# -- bitwise ---------------------------------------------------------------------

def _signed_from_unsigned32(regs: Regs) -> None:
    if to_s32(regs.u32_min) <= to_s32(regs.u32_max):
        regs.s32_min, regs.s32_max = to_s32(regs.u32_min), to_s32(regs.u32_max)
    else:
        regs.s32_min, regs.s32_max = S32_MIN, S32_MAX


def _signed_from_unsigned64(regs: Regs) -> None:
    if to_s64(regs.umin) <= to_s64(regs.umax):
        regs.smin, regs.smax = to_s64(regs.umin), to_s64(regs.umax)
    else:
        regs.smin, regs.smax = S64_MIN, S64_MAX


def _bitwise(regs: Regs, src: Regs, combine, bounds32, bounds64) -> None:
    """The shared shape of AND, OR, XOR: tnum first, then each width's bounds."""
    regs.var_off = combine(regs.var_off, src.var_off)
    # as in the kernel, "dst known" looks at the combined tnum
    src_known32, dst_known32 = src.var_off.subreg_is_const(), regs.var_off.subreg_is_const()
    src_known, dst_known = src.var_off.is_const(), regs.var_off.is_const()
    sub = regs.var_off.subreg()
    if src_known32 and dst_known32:
        regs.mark_known32(sub.value)
    else:
        regs.u32_min, regs.u32_max = bounds32(regs.u32_min, regs.u32_max, src.u32_min, src.u32_max, sub)
        _signed_from_unsigned32(regs)
    if src_known and dst_known:
        regs.mark_known(regs.var_off.value)
    else:
        regs.umin, regs.umax = bounds64(regs.umin, regs.umax, src.umin, src.umax, regs.var_off)
        _signed_from_unsigned64(regs)
        regs.update_bounds()


def _and_bounds(umin, umax, src_umin, src_umax, t: Tnum):
    return t.value, min(umax, src_umax)


def _or_bounds(umin, umax, src_umin, src_umax, t: Tnum):
    return max(umin, src_umin), t.value | t.mask


def _xor_bounds(umin, umax, src_umin, src_umax, t: Tnum):
    return t.value, t.value | t.mask


def _and(regs: Regs, src: Regs) -> None:
    _bitwise(regs, src, Tnum.and_, _and_bounds, _and_bounds)


def _or(regs: Regs, src: Regs) -> None:
    _bitwise(regs, src, Tnum.or_, _or_bounds, _or_bounds)


def _xor(regs: Regs, src: Regs) -> None:
    _bitwise(regs, src, Tnum.xor, _xor_bounds, _xor_bounds)


BINARY_FUNCTIONS = {AluOp.ADD: _add, AluOp.SUB: _sub, AluOp.MUL: _mul, AluOp.NEG: _neg,
                    AluOp.AND: _and, AluOp.OR: _or, AluOp.XOR: _xor}


# -- shifts (the amount is a known constant below the width) --------------------

def _lsh32_bounds(regs: Regs, lo: int, hi: int) -> None:
    regs.s32_min, regs.s32_max = S32_MIN, S32_MAX
    if hi > 31 or regs.u32_max > 1 << (31 - hi):
        regs.u32_min, regs.u32_max = 0, U32
    else:
        regs.u32_min = (regs.u32_min << lo) & U32
        regs.u32_max = (regs.u32_max << hi) & U32


def _lsh32(regs: Regs, src: Regs) -> None:
    sub = regs.var_off.subreg()
    _lsh32_bounds(regs, src.u32_min, src.u32_max)
    regs.var_off = sub.lshift(src.u32_min).subreg()
    regs.mark64_unbounded()
    regs.update_bounds32()


def _lsh64(regs: Regs, src: Regs) -> None:
    lo, hi = src.umin, src.umax
    by32 = lo == 32 and hi == 32
    regs.smax = regs.s32_max << 32 if by32 and regs.s32_max >= 0 else S64_MAX
    regs.smin = regs.s32_min << 32 if by32 and regs.s32_min >= 0 else S64_MIN
    if regs.umax > 1 << (63 - hi):
        regs.umin, regs.umax = 0, U64
    else:
        regs.umin = (regs.umin << lo) & U64
        regs.umax = (regs.umax << hi) & U64
    _lsh32_bounds(regs, lo, hi)
    regs.var_off = regs.var_off.lshift(lo)
    regs.update_bounds()


def _rsh32(regs: Regs, src: Regs) -> None:
    sub = regs.var_off.subreg()
    regs.s32_min, regs.s32_max = S32_MIN, S32_MAX
    regs.var_off = sub.rshift(src.u32_min)
    regs.u32_min >>= src.u32_max
    regs.u32_max >>= src.u32_min
    regs.mark64_unbounded()
    regs.update_bounds32()


def _rsh64(regs: Regs, src: Regs) -> None:
    regs.smin, regs.smax = S64_MIN, S64_MAX
    regs.var_off = regs.var_off.rshift(src.umin)
    regs.umin >>= src.umax
    regs.umax >>= src.umin
    regs.mark32_unbounded()
    regs.update_bounds()


def _arsh32(regs: Regs, src: Regs) -> None:
    shift = src.u32_min
    regs.s32_min >>= shift
    regs.s32_max >>= shift
    regs.var_off = regs.var_off.subreg().arshift(shift, 32)
    regs.u32_min, regs.u32_max = 0, U32
    regs.mark64_unbounded()
    regs.update_bounds32()


def _arsh64(regs: Regs, src: Regs) -> None:
    shift = src.umin
    regs.smin >>= shift
    regs.smax >>= shift
    regs.var_off = regs.var_off.arshift(shift, 64)
    regs.umin, regs.umax = 0, U64
    regs.mark32_unbounded()
    regs.update_bounds()


SHIFT_FUNCTIONS = {(AluOp.LSH, False): _lsh32, (AluOp.LSH, True): _lsh64,
                   (AluOp.RSH, False): _rsh32, (AluOp.RSH, True): _rsh64,
                   (AluOp.ARSH, False): _arsh32, (AluOp.ARSH, True): _arsh64}


# -- moves, loads, byte swaps ------------------------------------------------------

def mov(src: Scalar, alu64: bool = True, sign_extend_bits: int = 0) -> Scalar:
    """``dst = src`` (``alu64``) or ``w dst = w src``; ``sign_extend_bits`` 8/16/32 for MOVSX."""
    check_choice("sign_extend_bits", sign_extend_bits, (0, 8, 16, 32) if alu64 else (0, 8, 16))
    regs = src.thaw()
    size = sign_extend_bits // 8
    if alu64:
        if size:
            regs.coerce_to_size_sx(size)
        return regs.freeze()
    if size:
        regs.coerce_subreg_to_size_sx(size)
    regs.zext_32_to_64()
    regs.bounds_sync()
    return regs.freeze()


def mov_imm(imm: int, alu64: bool = True) -> Scalar:
    """``r = imm`` sign-extends the 32-bit immediate; ``w = imm`` zero-extends it."""
    return Scalar.const(imm) if alu64 else Scalar.const32(imm)


def load(size: int, sign_extend: bool = False) -> Scalar:
    """An unknown value loaded from memory with ``size`` bytes (1, 2, 4 or 8; zero- or sign-extended)."""
    check_choice("a load size", size, (1, 2, 4, 8))
    if size == 8:
        if sign_extend:
            raise ScalarError("there is no sign-extending 8-byte load")
        return Scalar.unknown()   # a full-width load needs no coercion
    return Scalar.of_size_sx(size) if sign_extend else Scalar.of_size(size)


def byte_swap(src: Scalar, bits: int, to_big_endian: bool | None) -> Scalar:
    """``r = be16 r`` / ``le32`` / ``bswap64`` (``scalar_byte_swap``).

    ``to_big_endian`` None is the unconditional BPF_ALU64 ``bswap``. On this
    little-endian machine ``le`` only truncates; ``be`` and ``bswap`` swap the
    tnum's bytes and forget the bounds (they are re-derived from the tnum).
    16- and 32-bit forms then keep only their low bytes. There is no zero
    extension: ``le64``/``be64`` are 64-bit although encoded as BPF_ALU.
    """
    check_choice("a byte swap width", bits, (16, 32, 64))
    regs = src.thaw()
    if to_big_endian is not False:
        regs.var_off = regs.var_off.bswap(bits)
        regs.mark_unbounded()
    if bits in (16, 32):
        regs.coerce_to_size(bits // 8)
    regs.bounds_sync()
    return regs.freeze()
