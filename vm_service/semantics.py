"""Instruction semantics as small pure functions on unsigned integers.

Operands arrive already reduced to the operation's width (32 or 64 bits,
unsigned); the caller masks the result once. Edge cases follow RFC 9669 and the
kernel:

* ``x / 0 == 0`` and ``x % 0 == x`` (signed and unsigned);
* ``INT_MIN s/ -1 == INT_MIN`` and ``INT_MIN s% -1 == 0`` (two's complement wrap);
* signed division truncates toward zero; the remainder takes the dividend's sign;
* shift amounts are masked to ``width - 1``;
* ``le``/``be``/``bswap`` act on the low 16/32/64 bits and zero-extend.
"""

from __future__ import annotations

MASK32 = 0xFFFF_FFFF
MASK64 = 0xFFFF_FFFF_FFFF_FFFF
MASK = {8: 0xFF, 16: 0xFFFF, 32: MASK32, 64: MASK64}
HOST_IS_LITTLE = True  # eBPF here is bpfel: le* truncates, be* swaps


def to_signed(value: int, bits: int) -> int:
    """Read the low ``bits`` of ``value`` as two's complement."""
    value &= MASK[bits]
    return value - (1 << bits) if value >> (bits - 1) else value


def sign_extend(value: int, from_bits: int, to_bits: int = 64) -> int:
    """Sign-extend the low ``from_bits`` of value to an unsigned ``to_bits`` integer."""
    return to_signed(value, from_bits) & MASK[to_bits]


def _sdiv(a: int, b: int, width: int) -> int:
    if b == 0:
        return 0
    sa, sb = to_signed(a, width), to_signed(b, width)
    quotient = abs(sa) // abs(sb)
    return -quotient if (sa < 0) != (sb < 0) else quotient


def _smod(a: int, b: int, width: int) -> int:
    if b == 0:
        return a
    sa, sb = to_signed(a, width), to_signed(b, width)
    remainder = abs(sa) % abs(sb)
    return -remainder if sa < 0 else remainder


def byte_swap(value: int, bits: int) -> int:
    return int.from_bytes((value & MASK[bits]).to_bytes(bits // 8, "little"), "big")


# op -> f(dst, src, width) for two-operand ALU operations.
BINARY = {
    "add": lambda a, b, w: a + b,
    "sub": lambda a, b, w: a - b,
    "mul": lambda a, b, w: a * b,
    "div": lambda a, b, w: a // b if b else 0,
    "sdiv": _sdiv,
    "or": lambda a, b, w: a | b,
    "and": lambda a, b, w: a & b,
    "lsh": lambda a, b, w: a << (b & (w - 1)),
    "rsh": lambda a, b, w: a >> (b & (w - 1)),
    "mod": lambda a, b, w: a % b if b else a,
    "smod": _smod,
    "xor": lambda a, b, w: a ^ b,
    "mov": lambda a, b, w: b,
    "arsh": lambda a, b, w: to_signed(a, w) >> (b & (w - 1)),
}


def alu(op: str, dst: int, src: int, width: int, off: int = 0) -> int:
    """Result of a width-bit ALU operation, masked to width (zero-extended to 64)."""
    if op == "neg":
        return -dst & MASK[width]
    if op == "movsx":
        return sign_extend(src, off, width)
    return BINARY[op](dst, src, width) & MASK[width]


def endian(op: str, dst: int, bits: int) -> int:
    """le/be/bswap on the full 64-bit dst register; result zero-extended from ``bits``."""
    swap = op == "bswap" or (op == "be") == HOST_IS_LITTLE
    return byte_swap(dst, bits) if swap else dst & MASK[bits]


# op -> predicate(dst, src, width) for conditional jumps; operands are width-bit unsigned.
CONDITIONS = {
    "jeq": lambda a, b, w: a == b,
    "jne": lambda a, b, w: a != b,
    "jgt": lambda a, b, w: a > b,
    "jge": lambda a, b, w: a >= b,
    "jlt": lambda a, b, w: a < b,
    "jle": lambda a, b, w: a <= b,
    "jset": lambda a, b, w: bool(a & b),
    "jsgt": lambda a, b, w: to_signed(a, w) > to_signed(b, w),
    "jsge": lambda a, b, w: to_signed(a, w) >= to_signed(b, w),
    "jslt": lambda a, b, w: to_signed(a, w) < to_signed(b, w),
    "jsle": lambda a, b, w: to_signed(a, w) <= to_signed(b, w),
}

# op -> f(old, operand) for atomic read-modify-write (fetch_ variants share the function).
ATOMIC = {
    "add": lambda old, v: old + v,
    "or": lambda old, v: old | v,
    "and": lambda old, v: old & v,
    "xor": lambda old, v: old ^ v,
    "xchg": lambda old, v: v,
}
