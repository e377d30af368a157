"""Tracked numbers: a 64-bit value where each bit is known 0, known 1 or unknown.

A ``Tnum(value, mask)`` stands for every u64 ``x`` with ``x & ~mask == value``:
bits set in ``mask`` are unknown, the others equal ``value`` (whose masked bits
are always 0). The operations follow Linux 6.18's ``kernel/bpf/tnum.c`` so that
the verifier built on them reaches the kernel's results bit for bit; each
result contains every concrete result of its operands' members.
"""

from __future__ import annotations

from typing import NamedTuple

U64 = (1 << 64) - 1
U32 = (1 << 32) - 1


def to_s64(x: int) -> int:
    """Read a u64 bit pattern as a signed 64-bit number."""
    x &= U64
    return x - (1 << 64) if x >> 63 else x


def to_s32(x: int) -> int:
    """Read the low 32 bits as a signed 32-bit number."""
    x &= U32
    return x - (1 << 32) if x >> 31 else x


class Tnum(NamedTuple):
    value: int
    mask: int

    # -- constructors ---------------------------------------------------------
    @staticmethod
    def const(value: int) -> "Tnum":
        return Tnum(value & U64, 0)

    @staticmethod
    def unknown() -> "Tnum":
        return Tnum(0, U64)

    @staticmethod
    def range(lo: int, hi: int) -> "Tnum":
        """The tnum of the unsigned interval [lo, hi] (``tnum_range``): its common high bits."""
        lo &= U64
        hi &= U64
        bits = (lo ^ hi).bit_length()
        if bits > 63:
            return TNUM_UNKNOWN
        delta = (1 << bits) - 1
        return Tnum(lo & ~delta & U64, delta)

    # -- queries --------------------------------------------------------------
    def is_const(self) -> bool:
        return self.mask == 0

    def is_unknown(self) -> bool:
        return self.mask == U64

    def equals_const(self, value: int) -> bool:
        return self.is_const() and self.value == value & U64

    def contains(self, other: "Tnum") -> bool:
        """``tnum_in``: every member of ``other`` is a member of ``self``."""
        if other.mask & ~self.mask:
            return False
        return self.value == other.value & ~self.mask

    def has(self, x: int) -> bool:
        """Whether the concrete u64 ``x`` is a member."""
        return (x & U64) & ~self.mask == self.value

    # -- arithmetic -----------------------------------------------------------
    def add(self, other: "Tnum") -> "Tnum":
        sm = self.mask + other.mask
        sv = self.value + other.value
        chi = ((sm + sv) ^ sv) & U64
        mu = chi | self.mask | other.mask
        return Tnum(sv & ~mu & U64, mu)

    def sub(self, other: "Tnum") -> "Tnum":
        dv = (self.value - other.value) & U64
        alpha = (dv + self.mask) & U64
        beta = (dv - other.mask) & U64
        mu = (alpha ^ beta) | self.mask | other.mask
        return Tnum(dv & ~mu & U64, mu)

    def neg(self) -> "Tnum":
        return TNUM_ZERO.sub(self)

    def and_(self, other: "Tnum") -> "Tnum":
        alpha = self.value | self.mask
        beta = other.value | other.mask
        v = self.value & other.value
        return Tnum(v, alpha & beta & ~v & U64)

    def or_(self, other: "Tnum") -> "Tnum":
        v = self.value | other.value
        return Tnum(v, (self.mask | other.mask) & ~v & U64)

    def xor(self, other: "Tnum") -> "Tnum":
        v = self.value ^ other.value
        mu = self.mask | other.mask
        return Tnum(v & ~mu & U64, mu)

    def mul(self, other: "Tnum") -> "Tnum":
        """Long multiplication over the trits of ``self`` (6.18's algorithm).

        For an unknown bit of the multiplier both partial sums (with and
        without the shifted multiplicand) are kept, joined with ``union``.
        """
        a, b = self, other
        acc = TNUM_ZERO
        while a.value or a.mask:
            if a.value & 1:
                acc = acc.add(b)
            elif a.mask & 1:
                acc = acc.union(acc.add(b))
            a = a.rshift(1)
            b = b.lshift(1)
        return acc

    def lshift(self, shift: int) -> "Tnum":
        return Tnum((self.value << shift) & U64, (self.mask << shift) & U64)

    def rshift(self, shift: int) -> "Tnum":
        return Tnum(self.value >> shift, self.mask >> shift)

    def arshift(self, shift: int, width: int = 64) -> "Tnum":
        """Arithmetic shift right of a ``width``-bit (32 or 64) tnum; a 32-bit result is zero-extended."""
        if width == 32:
            return Tnum((to_s32(self.value) >> shift) & U32, (to_s32(self.mask) >> shift) & U32)
        return Tnum((to_s64(self.value) >> shift) & U64, (to_s64(self.mask) >> shift) & U64)

    def bswap(self, bits: int) -> "Tnum":
        """Reverse the low ``bits`` // 8 bytes of value and mask (``tnum_bswap16/32/64``)."""
        size = bits // 8
        keep = (1 << bits) - 1

        def swap(x: int) -> int:
            return int.from_bytes((x & keep).to_bytes(size, "little"), "big")
        return Tnum(swap(self.value), swap(self.mask))

    # -- lattice --------------------------------------------------------------
    def intersect(self, other: "Tnum") -> "Tnum":
        """Members of both; where the two disagree on a known bit, the kernel keeps a 1."""
        v = self.value | other.value
        mu = self.mask & other.mask
        return Tnum(v & ~mu, mu)

    def step(self, z: int) -> int:
        """``tnum_step``: the smallest member above ``z`` (the largest member if there is none,
        the smallest member if ``z`` is below it)."""
        top = self.value | self.mask
        if z >= top:
            return top
        if z < self.value:
            return self.value
        x = z + 1
        while True:
            wrong = (x ^ self.value) & ~self.mask & U64
            if not wrong:
                return x
            i = wrong.bit_length() - 1
            if x >> i & 1:   # a known-0 bit is 1: carry into the bits above it
                x = ((x >> (i + 1)) + 1) << (i + 1)
            else:            # a known-1 bit is 0: set it, lower bits to their smallest
                x = ((x >> i) | 1) << i | (self.value & ((1 << i) - 1))

    def overlaps(self, other: "Tnum") -> bool:
        """``tnum_overlap``: the bits known in both agree, so the two may share a member."""
        known = ~self.mask & ~other.mask & U64
        return self.value & known == other.value & known

    def union(self, other: "Tnum") -> "Tnum":
        """The smallest tnum holding the members of either; disagreeing bits become unknown."""
        v = self.value & other.value
        mu = (self.value ^ other.value) | self.mask | other.mask
        return Tnum(v & ~mu & U64, mu)

    # -- widths ---------------------------------------------------------------
    def cast(self, size: int) -> "Tnum":
        """Keep the low ``size`` bytes (``tnum_cast``)."""
        keep = (1 << (size * 8)) - 1
        return Tnum(self.value & keep, self.mask & keep)

    def subreg(self) -> "Tnum":
        return self.cast(4)

    def clear_subreg(self) -> "Tnum":
        return self.rshift(32).lshift(32)

    def with_subreg(self, subreg: "Tnum") -> "Tnum":
        """The upper half of ``self`` with the lower half of ``subreg``."""
        return self.clear_subreg().or_(subreg.subreg())

    def const_subreg(self, value: int) -> "Tnum":
        return self.with_subreg(Tnum.const(value & U32))

    def subreg_is_const(self) -> bool:
        return self.subreg().is_const()

    def is_aligned(self, size: int) -> bool:
        if not size:
            return True
        return not ((self.value | self.mask) & (size - 1))

    def __str__(self) -> str:
        """The kernel's ``tnum_strn``: ``(0x0; 0xff)``."""
        return f"({self.value:#x}; {self.mask:#x})"


TNUM_ZERO = Tnum(0, 0)
TNUM_UNKNOWN = Tnum(0, U64)
