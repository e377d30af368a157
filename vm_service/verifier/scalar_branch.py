"""Conditional jumps on scalars, as Linux 6.18 decides and narrows them.

``branch_taken`` is the kernel's ``is_scalar_branch_taken``: ``True`` (always
jumps), ``False`` (never) or ``None`` (both sides possible). ``refine`` is
``reg_set_min_max``: the states of both operands on the jump (true) side and
on the fall-through (false) side, each narrowed by ``regs_refine_cond_op`` and
then ``reg_bounds_sync``. An immediate operand is ``Scalar.const(imm)``.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from .scalar import Regs, Scalar
from .tnum import U32, U64, Tnum, to_s32, to_s64


class JmpOp(enum.Enum):
    JEQ = "=="
    JNE = "!="
    JGT = ">"
    JGE = ">="
    JLT = "<"
    JLE = "<="
    JSGT = "s>"
    JSGE = "s>="
    JSLT = "s<"
    JSLE = "s<="
    JSET = "&"
    NOT_JSET = "!&"   # the fall-through side of JSET (the kernel's BPF_JSET | BPF_X)


REVERSED = {JmpOp.JEQ: JmpOp.JNE, JmpOp.JNE: JmpOp.JEQ, JmpOp.JSET: JmpOp.NOT_JSET,
            JmpOp.NOT_JSET: JmpOp.JSET, JmpOp.JGE: JmpOp.JLT, JmpOp.JGT: JmpOp.JLE,
            JmpOp.JLE: JmpOp.JGT, JmpOp.JLT: JmpOp.JGE, JmpOp.JSGE: JmpOp.JSLT,
            JmpOp.JSGT: JmpOp.JSLE, JmpOp.JSLE: JmpOp.JSGT, JmpOp.JSLT: JmpOp.JSGE}
SWAPPED = {JmpOp.JGE: JmpOp.JLE, JmpOp.JGT: JmpOp.JLT, JmpOp.JSGE: JmpOp.JSLE, JmpOp.JSGT: JmpOp.JSLT}


class Refined(NamedTuple):
    """Both operands on the jump side and on the fall-through side."""

    true_dst: Scalar
    true_src: Scalar
    false_dst: Scalar
    false_src: Scalar


def holds(op: JmpOp, a: int, b: int, jmp32: bool = False) -> bool:
    """The concrete condition on two u64 register values."""
    width = U32 if jmp32 else U64
    signed = to_s32 if jmp32 else to_s64
    a, b = a & width, b & width
    tests = {JmpOp.JEQ: a == b, JmpOp.JNE: a != b, JmpOp.JGT: a > b, JmpOp.JGE: a >= b,
             JmpOp.JLT: a < b, JmpOp.JLE: a <= b, JmpOp.JSGT: signed(a) > signed(b),
             JmpOp.JSGE: signed(a) >= signed(b), JmpOp.JSLT: signed(a) < signed(b),
             JmpOp.JSLE: signed(a) <= signed(b), JmpOp.JSET: bool(a & b), JmpOp.NOT_JSET: not a & b}
    return tests[op]


def _is_const(s: Scalar | Regs, jmp32: bool) -> bool:
    return s.var_off.subreg_is_const() if jmp32 else s.var_off.is_const()


def _const_value(s: Scalar | Regs, jmp32: bool) -> int:
    return s.var_off.value & U32 if jmp32 else s.var_off.value


def _view(s: Scalar, jmp32: bool) -> tuple[Tnum, int, int, int, int]:
    if jmp32:
        return s.var_off.subreg(), s.u32_min, s.u32_max, s.s32_min, s.s32_max
    return s.var_off, s.umin, s.umax, s.smin, s.smax


def branch_taken(op: JmpOp, dst: Scalar, src: Scalar, jmp32: bool = False) -> bool | None:
    """Whether ``if dst op src`` always (True) or never (False) jumps, or either (None)."""
    t1, umin1, umax1, smin1, smax1 = _view(dst, jmp32)
    t2, umin2, umax2, smin2, smax2 = _view(src, jmp32)
    if op in (JmpOp.JEQ, JmpOp.JNE):
        equal = op is JmpOp.JEQ
        if t1.is_const() and t2.is_const():
            return (t1.value == t2.value) == equal
        disjoint = (not t1.overlaps(t2) or umin1 > umax2 or umax1 < umin2 or smin1 > smax2 or smax1 < smin2)
        if not jmp32:
            disjoint = disjoint or (dst.u32_min > src.u32_max or dst.u32_max < src.u32_min
                                    or dst.s32_min > src.s32_max or dst.s32_max < src.s32_min)
        return (not equal) if disjoint else None
    if op is JmpOp.JSET:
        if not _is_const(src, jmp32):
            t1, t2, src = t2, t1, dst
        if not _is_const(src, jmp32):
            return None
        if t1.value & t2.value:
            return True
        if not (t1.mask | t1.value) & t2.value:
            return False
        return None
    if op is JmpOp.NOT_JSET:
        taken = branch_taken(JmpOp.JSET, dst, src, jmp32)
        return None if taken is None else not taken
    verdicts = {JmpOp.JGT: (umin1 > umax2, umax1 <= umin2), JmpOp.JSGT: (smin1 > smax2, smax1 <= smin2),
                JmpOp.JLT: (umax1 < umin2, umin1 >= umax2), JmpOp.JSLT: (smax1 < smin2, smin1 >= smax2),
                JmpOp.JGE: (umin1 >= umax2, umax1 < umin2), JmpOp.JSGE: (smin1 >= smax2, smax1 < smin2),
                JmpOp.JLE: (umax1 <= umin2, umin1 > umax2), JmpOp.JSLE: (smax1 <= smin2, smin1 > smax2)}
    always, never = verdicts[op]  # (always jumps, never jumps)
    return True if always else False if never else None


def refine(op: JmpOp, dst: Scalar, src: Scalar, jmp32: bool = False,
           same_register: bool = False) -> Refined:
    """``reg_set_min_max``: narrow both operands for each side of the jump.

    With ``same_register`` (``if r1 > r1``) both operands are one register
    state, narrowed and synced in place as the kernel does; ``src`` is ignored
    and each side's two fields hold the same result.
    """
    sides = []
    for side_op in (op, REVERSED[op]):
        r1 = dst.thaw()
        r2 = r1 if same_register else src.thaw()
        _refine_cond(r1, r2, side_op, jmp32)
        r1.bounds_sync()
        r2.bounds_sync()
        sides.append((r1.freeze(), r2.freeze()))
    (true_dst, true_src), (false_dst, false_src) = sides
    return Refined(true_dst, true_src, false_dst, false_src)


def _refine_cond(r1: Regs, r2: Regs, op: JmpOp, jmp32: bool) -> None:
    """``regs_refine_cond_op``: what ``r1 op r2`` being true teaches about both."""
    if op in SWAPPED:
        op = SWAPPED[op]
        r1, r2 = r2, r1
    if op is JmpOp.JEQ:
        _refine_equal(r1, r2, jmp32)
    elif op is JmpOp.JNE:
        _refine_not_equal(r1, r2, jmp32)
    elif op in (JmpOp.JSET, JmpOp.NOT_JSET):
        _refine_bits(r1, r2, op, jmp32)
    else:
        _refine_order(r1, r2, op, jmp32)


def _refine_equal(r1: Regs, r2: Regs, jmp32: bool) -> None:
    if jmp32:
        r1.u32_min = r2.u32_min = max(r1.u32_min, r2.u32_min)
        r1.u32_max = r2.u32_max = min(r1.u32_max, r2.u32_max)
        r1.s32_min = r2.s32_min = max(r1.s32_min, r2.s32_min)
        r1.s32_max = r2.s32_max = min(r1.s32_max, r2.s32_max)
        t = r1.var_off.subreg().intersect(r2.var_off.subreg())
        r1.var_off = r1.var_off.with_subreg(t)
        r2.var_off = r2.var_off.with_subreg(t)
    else:
        r1.umin = r2.umin = max(r1.umin, r2.umin)
        r1.umax = r2.umax = min(r1.umax, r2.umax)
        r1.smin = r2.smin = max(r1.smin, r2.smin)
        r1.smax = r2.smax = min(r1.smax, r2.smax)
        r1.var_off = r2.var_off = r1.var_off.intersect(r2.var_off)


def _refine_not_equal(r1: Regs, r2: Regs, jmp32: bool) -> None:
    """Only a constant at the very edge of the other's range teaches something."""
    if not _is_const(r2, jmp32):
        r1, r2 = r2, r1
    if not _is_const(r2, jmp32):
        return
    val = _const_value(r2, jmp32)
    if jmp32:
        names = (("u32_min", "u32_max", val & U32), ("s32_min", "s32_max", to_s32(val)))
    else:
        names = (("umin", "umax", val), ("smin", "smax", to_s64(val)))
    for lo, hi, edge in names:
        if getattr(r1, lo) == edge:
            setattr(r1, lo, edge + 1)
        if getattr(r1, hi) == edge:
            setattr(r1, hi, edge - 1)


def _refine_bits(r1: Regs, r2: Regs, op: JmpOp, jmp32: bool) -> None:
    if not _is_const(r2, jmp32):
        r1, r2 = r2, r1
    if not _is_const(r2, jmp32):
        return
    val = _const_value(r2, jmp32)
    if op is JmpOp.JSET:
        if val == 0 or val & (val - 1):
            return   # only a single tested bit is then known to be set
        combine = lambda t: t.or_(Tnum.const(val))
    else:
        combine = lambda t: t.and_(Tnum.const(~val & U64))
    if op is JmpOp.NOT_JSET:
        # 6.18 forgets the bounds before clearing bits (on a dead branch the narrowed
        # tnum could contradict them); bounds_sync re-derives them from the tnum
        r1.mark_unbounded()
    if jmp32:
        r1.var_off = r1.var_off.with_subreg(combine(r1.var_off.subreg()))
    else:
        r1.var_off = combine(r1.var_off)


def _refine_order(r1: Regs, r2: Regs, op: JmpOp, jmp32: bool) -> None:
    """JLE, JLT, JSLE, JSLT: r1's maximum and r2's minimum move towards each other."""
    strict = 1 if op in (JmpOp.JLT, JmpOp.JSLT) else 0
    signed = op in (JmpOp.JSLE, JmpOp.JSLT)
    lo, hi = {(False, False): ("umin", "umax"), (False, True): ("u32_min", "u32_max"),
              (True, False): ("smin", "smax"), (True, True): ("s32_min", "s32_max")}[signed, jmp32]
    width = U32 if jmp32 else U64
    r1_hi = min(getattr(r1, hi), _wrap(getattr(r2, hi) - strict, signed, width))
    r2_lo = max(_wrap(getattr(r1, lo) + strict, signed, width), getattr(r2, lo))
    setattr(r1, hi, r1_hi)
    setattr(r2, lo, r2_lo)


def _wrap(x: int, signed: bool, width: int) -> int:
    """Wrap as C does for the field's type (u32/u64 or s32/s64)."""
    x &= width
    if signed:
        return to_s32(x) if width == U32 else to_s64(x)
    return x
