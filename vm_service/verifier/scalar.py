"""The abstract value of a SCALAR_VALUE register, as Linux 6.18 tracks it.

A ``Scalar`` is a tnum ``var_off`` plus signed and unsigned bounds of the whole
64-bit value and of its low 32 bits (the fields of the kernel's
``bpf_reg_state``). Its members are the u64 values inside all nine facts.
``bounds_sync`` is the kernel's ``reg_bounds_sync``: each fact tightens the
others (tnum -> bounds, 32 <-> 64-bit bounds, bounds -> tnum), in the kernel's
order, so that results match the kernel's log exactly.

Transfer functions work on a mutable ``Regs`` copy (``Scalar.thaw``), the way
the kernel updates a ``bpf_reg_state`` in place, then ``freeze`` it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..errors import VmError
from .tnum import TNUM_UNKNOWN, U32, U64, Tnum, to_s32, to_s64

S64_MIN, S64_MAX = -(1 << 63), (1 << 63) - 1
S32_MIN, S32_MAX = -(1 << 31), (1 << 31) - 1
SIGN_EXTEND_LIMITS = {1: (-(1 << 7), (1 << 7) - 1), 2: (-(1 << 15), (1 << 15) - 1), 4: (S32_MIN, S32_MAX)}
NARROW_SIZES = (1, 2, 4)   # byte sizes that are extended to 64 bits


class ScalarError(VmError):
    """An operation asked of the scalar domain that no eBPF instruction performs."""


def check_choice(what: str, value: int, allowed: tuple[int, ...]) -> None:
    if value not in allowed:
        raise ScalarError(f"{what} must be one of {', '.join(map(str, allowed))}, not {value!r}")


@dataclass(frozen=True)
class Scalar:
    """Tnum and bounds of a scalar register (``bpf_reg_state`` field names)."""

    var_off: Tnum
    smin: int
    smax: int
    umin: int
    umax: int
    s32_min: int
    s32_max: int
    u32_min: int
    u32_max: int

    @staticmethod
    def const(value: int) -> "Scalar":
        """A known 64-bit value (``__mark_reg_known``); ``value`` may be signed."""
        return _const(value & U64)

    @staticmethod
    def const32(value: int) -> "Scalar":
        """A known value written by a 32-bit move: the upper half is zero."""
        return Scalar.const(value & U32)

    @staticmethod
    def unknown() -> "Scalar":
        return Regs.unknown().freeze()

    @staticmethod
    def of_size(size: int) -> "Scalar":
        """What a zero-extending load of ``size`` bytes gives (unknown, then ``coerce_reg_to_size``)."""
        check_choice("a zero-extended size", size, NARROW_SIZES)
        regs = Regs.unknown()
        regs.coerce_to_size(size)
        return regs.freeze()

    @staticmethod
    def of_size_sx(size: int) -> "Scalar":
        """What a sign-extending load of ``size`` bytes gives (``coerce_reg_to_size_sx``)."""
        check_choice("a sign-extended size", size, NARROW_SIZES)
        regs = Regs.unknown()
        regs.coerce_to_size_sx(size)
        return regs.freeze()

    def thaw(self) -> "Regs":
        """A mutable copy for transfer functions."""
        return Regs(self.var_off, self.smin, self.smax, self.umin, self.umax,
                    self.s32_min, self.s32_max, self.u32_min, self.u32_max)

    def is_const(self) -> bool:
        return self.var_off.is_const()

    def contains(self, x: int) -> bool:
        """Whether the concrete u64 ``x`` is a member of this abstract value."""
        x &= U64
        lo = x & U32
        return (self.var_off.has(x) and self.umin <= x <= self.umax
                and self.smin <= to_s64(x) <= self.smax
                and self.u32_min <= lo <= self.u32_max
                and self.s32_min <= to_s32(lo) <= self.s32_max)

    def synced(self) -> "Scalar":
        regs = self.thaw()
        regs.bounds_sync()
        return regs.freeze()


@dataclass
class Regs:
    """A mutable scalar register state, updated in place as the kernel does."""

    var_off: Tnum
    smin: int
    smax: int
    umin: int
    umax: int
    s32_min: int
    s32_max: int
    u32_min: int
    u32_max: int

    @staticmethod
    def unknown() -> "Regs":
        return Regs(TNUM_UNKNOWN, S64_MIN, S64_MAX, 0, U64, S32_MIN, S32_MAX, 0, U32)

    def freeze(self) -> Scalar:
        return Scalar(self.var_off, self.smin, self.smax, self.umin, self.umax,
                      self.s32_min, self.s32_max, self.u32_min, self.u32_max)

    def copy(self) -> "Regs":
        return Regs(self.var_off, self.smin, self.smax, self.umin, self.umax,
                    self.s32_min, self.s32_max, self.u32_min, self.u32_max)

    # -- marking --------------------------------------------------------------
    def mark_known(self, value: int) -> None:
        """``__mark_reg_known``: every fact says ``value``."""
        value &= U64
        self.var_off = Tnum.const(value)
        self.smin = self.smax = to_s64(value)
        self.umin = self.umax = value
        self.s32_min = self.s32_max = to_s32(value)
        self.u32_min = self.u32_max = value & U32

    def mark_known32(self, value: int) -> None:
        """``__mark_reg32_known``: the low half is ``value``, the upper half is untouched."""
        self.var_off = self.var_off.const_subreg(value)
        self.s32_min = self.s32_max = to_s32(value)
        self.u32_min = self.u32_max = value & U32

    def mark_unbounded(self) -> None:
        self.mark64_unbounded()
        self.mark32_unbounded()

    def mark64_unbounded(self) -> None:
        self.smin, self.smax, self.umin, self.umax = S64_MIN, S64_MAX, 0, U64

    def mark32_unbounded(self) -> None:
        self.s32_min, self.s32_max, self.u32_min, self.u32_max = S32_MIN, S32_MAX, 0, U32

    def mark_unknown(self) -> None:
        self.var_off = TNUM_UNKNOWN
        self.mark_unbounded()

    # -- bounds from the tnum -------------------------------------------------
    def update_bounds32(self) -> None:
        t = self.var_off.subreg()
        self.s32_min = max(self.s32_min, to_s32(t.value | (t.mask & (1 << 31))))
        self.s32_max = min(self.s32_max, to_s32(t.value | (t.mask & S32_MAX)))
        self.u32_min = max(self.u32_min, t.value)
        self.u32_max = min(self.u32_max, t.value | t.mask)

    def update_bounds64(self) -> None:
        t = self.var_off
        self.smin = max(self.smin, to_s64(t.value | (t.mask & (1 << 63))))
        self.smax = min(self.smax, to_s64(t.value | (t.mask & S64_MAX)))
        self.umin = max(self.umin, t.value)
        self.umax = min(self.umax, t.value | t.mask)
        # a single member in both the tnum and [umin, umax] makes a constant
        top = t.value | t.mask
        following = t.step(self.umin)
        umin_member = t.has(self.umin)
        if umin_member and following > self.umax:
            self.mark_known(self.umin)
        elif not umin_member and following == top:
            self.mark_known(top)
        elif not umin_member and following <= self.umax and t.step(following) > self.umax:
            self.mark_known(following)

    def update_bounds(self) -> None:
        """``__update_reg_bounds``."""
        self.update_bounds32()
        self.update_bounds64()

    # -- bounds from bounds ---------------------------------------------------
    def deduce_bounds32(self) -> None:
        """``__reg32_deduce_bounds``: learn the low-half bounds from the 64-bit ones."""
        for lo, hi in ((self.umin, self.umax), (self.smin & U64, self.smax & U64)):
            if lo >> 32 == hi >> 32:
                self.u32_min = max(self.u32_min, lo & U32)
                self.u32_max = min(self.u32_max, hi & U32)
                if to_s32(lo) <= to_s32(hi):
                    self.s32_min = max(self.s32_min, to_s32(lo))
                    self.s32_max = min(self.s32_max, to_s32(hi))
        for lo, hi in ((self.umin, self.umax), (self.smin & U64, self.smax & U64)):
            # upper halves are two consecutive numbers and the low halves go from negative to positive
            if ((lo >> 32) + 1) & U32 == hi >> 32 and to_s32(lo) < 0 <= to_s32(hi):
                self.s32_min = max(self.s32_min, to_s32(lo))
                self.s32_max = min(self.s32_max, to_s32(hi))
        if to_s32(self.u32_min) <= to_s32(self.u32_max):
            self.s32_min = max(self.s32_min, to_s32(self.u32_min))
            self.s32_max = min(self.s32_max, to_s32(self.u32_max))
        if self.s32_min & U32 <= self.s32_max & U32:
            self.u32_min = max(self.u32_min, self.s32_min & U32)
            self.u32_max = min(self.u32_max, self.s32_max & U32)
        elif self.u32_max < self.s32_min & U32:
            # the signed range wraps; the unsigned range sits in its lower part
            self.s32_min = to_s32(self.u32_min)
            self.u32_max = min(self.u32_max, self.s32_max & U32)
        elif self.s32_max & U32 < self.u32_min:
            self.s32_max = to_s32(self.u32_max)
            self.u32_min = max(self.u32_min, self.s32_min & U32)

    def deduce_bounds64(self) -> None:
        """``__reg64_deduce_bounds``: signed and unsigned 64-bit bounds tighten each other."""
        if to_s64(self.umin) <= to_s64(self.umax):
            self.smin = max(self.smin, to_s64(self.umin))
            self.smax = min(self.smax, to_s64(self.umax))
        if self.smin & U64 <= self.smax & U64:
            self.umin = max(self.umin, self.smin & U64)
            self.umax = min(self.umax, self.smax & U64)
        elif self.umax < self.smin & U64:
            # the signed range wraps; the unsigned range sits in its upper part
            self.smin = to_s64(self.umin)
            self.umax = min(self.umax, self.smax & U64)
        elif self.smax & U64 < self.umin:
            self.smax = to_s64(self.umax)
            self.umin = max(self.umin, self.smin & U64)

    def deduce_mixed_bounds(self) -> None:
        """``__reg_deduce_mixed_bounds``: the low-half bounds tighten the 64-bit ones."""
        high = U64 & ~U32
        self.umin = max(self.umin, (self.umin & high) | self.u32_min)
        self.umax = min(self.umax, (self.umax & high) | self.u32_max)
        self.smin = max(self.smin, to_s64((self.smin & high) | self.u32_min))
        self.smax = min(self.smax, to_s64((self.smax & high) | self.u32_max))
        if self.s32_min >= 0 and self.smin >= S32_MIN and self.smax <= S32_MAX:
            self.smin, self.smax = self.s32_min, self.s32_max
            self.umin, self.umax = self.s32_min, self.s32_max
            self.var_off = self.var_off.intersect(Tnum.range(self.smin, self.smax))

    def deduce_bounds(self) -> None:
        self.deduce_bounds32()
        self.deduce_bounds64()
        self.deduce_mixed_bounds()

    def bound_offset(self) -> None:
        """``__reg_bound_offset``: learn tnum bits from the unsigned bounds."""
        var64 = self.var_off.intersect(Tnum.range(self.umin, self.umax))
        var32 = var64.subreg().intersect(Tnum.range(self.u32_min, self.u32_max))
        self.var_off = var64.clear_subreg().or_(var32)

    def bounds_sync(self) -> None:
        """``reg_bounds_sync``."""
        self.update_bounds()
        self.deduce_bounds()
        self.deduce_bounds()
        self.bound_offset()
        self.update_bounds()

    # -- widths ---------------------------------------------------------------
    def assign_32_into_64(self) -> None:
        """``__reg_assign_32_into_64``: the value is its zero-extended low half."""
        self.umin, self.umax = self.u32_min, self.u32_max
        if 0 <= self.s32_min and 0 <= self.s32_max:
            self.smin, self.smax = self.s32_min, self.s32_max
        else:
            self.smin, self.smax = 0, U32

    def zext_32_to_64(self) -> None:
        self.var_off = self.var_off.subreg()
        self.assign_32_into_64()

    def coerce_to_size(self, size: int) -> None:
        """``coerce_reg_to_size``: keep the low ``size`` bytes, zero-extended (loads)."""
        self.var_off = self.var_off.cast(size)
        keep = (1 << (size * 8)) - 1
        if self.umin & ~keep == self.umax & ~keep:
            self.umin &= keep
            self.umax &= keep
        else:
            self.umin, self.umax = 0, keep
        self.smin, self.smax = to_s64(self.umin), to_s64(self.umax)
        if size < 4:
            self.mark32_unbounded()
        self.bounds_sync()

    def coerce_to_size_sx(self, size: int) -> None:
        """``coerce_reg_to_size_sx``: sign-extend the low ``size`` bytes to 64 bits."""
        bits = size * 8
        if self.var_off.is_const():
            self.mark_known(_sign_extend(self.var_off.value, bits))
            return
        if (self.smax & U64) >> bits == (self.smin & U64) >> bits:
            ends = (_sign_extend(self.smax, bits), _sign_extend(self.smin, bits))
            lo, hi = min(ends), max(ends)
            if (lo >= 0) == (hi >= 0):
                self.smin = self.s32_min = lo
                self.smax = self.s32_max = hi
                self.umin = lo & U64
                self.umax = hi & U64
                self.u32_min = lo & U32
                self.u32_max = hi & U32
                self.var_off = Tnum.range(lo, hi)
                return
        lo, hi = SIGN_EXTEND_LIMITS[size]
        self.smin = self.s32_min = lo
        self.smax = self.s32_max = hi
        self.umin = self.u32_min = 0
        self.umax, self.u32_max = U64, U32
        self.var_off = TNUM_UNKNOWN

    def coerce_subreg_to_size_sx(self, size: int) -> None:
        """``coerce_subreg_to_size_sx``: sign-extend the low ``size`` bytes to 32 bits."""
        bits = size * 8
        if self.var_off.is_const():
            value = _sign_extend(self.var_off.value, bits)
            self.var_off = Tnum.const(value)
            self.s32_min = self.s32_max = to_s32(value)
            self.u32_min = self.u32_max = value & U32
            return
        if (self.s32_max & U32) >> bits == (self.s32_min & U32) >> bits:
            ends = (_sign_extend(self.s32_max, bits), _sign_extend(self.s32_min, bits))
            lo, hi = min(ends), max(ends)
            if (lo >= 0) == (hi >= 0):
                self.s32_min, self.s32_max = lo, hi
                self.u32_min, self.u32_max = lo & U32, hi & U32
                self.var_off = Tnum.range(lo, hi).subreg()
                return
        self.s32_min, self.s32_max = SIGN_EXTEND_LIMITS[size]
        self.u32_min, self.u32_max = 0, U32
        self.var_off = TNUM_UNKNOWN.subreg()


def _sign_extend(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


@lru_cache(maxsize=4096)
def _const(value: int) -> Scalar:
    """Known values recur (loop counters, offsets): each is built once."""
    regs = Regs.unknown()
    regs.mark_known(value)
    return regs.freeze()
