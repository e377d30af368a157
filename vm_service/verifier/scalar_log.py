"""How the verifier log prints a scalar register (Linux 6.18's ``print_reg_state``).

``scalar_text(s)`` is the part after ``R1=``: a constant as a number (``5``,
``-1``, ``0x12345678``), otherwise ``scalar(...)`` with the bounds that say
something, equal neighbours merged (``smin=smin32=0``) and the tnum when it
is not fully unknown. Liveness and precision marks (``_w``, ``P``) and ids
belong to the caller.
"""

from __future__ import annotations

from .scalar import S32_MAX, S32_MIN, S64_MAX, S64_MIN, Scalar
from .tnum import U32, U64, to_s64

DECIMAL_UNSIGNED_MAX = (1 << 16) - 1   # larger unsigned numbers print in hex
DECIMAL_SIGNED_MIN, DECIMAL_SIGNED_MAX = -(1 << 15), (1 << 15) - 1


def unsigned_text(n: int) -> str:
    return str(n) if n <= DECIMAL_UNSIGNED_MAX else f"{n:#x}"


def signed_text(n: int) -> str:
    """The kernel's ``verbose_snum``: small numbers in decimal, others as a u64 in hex."""
    if DECIMAL_SIGNED_MIN <= n <= DECIMAL_SIGNED_MAX:
        return str(n)
    return f"{n & U64:#x}"


def _signed32(n: int) -> int:
    """Signed 32-bit bounds print sign-extended only when in decimal (the kernel avoids 0xffffffff8...)."""
    return n if DECIMAL_SIGNED_MIN <= n <= DECIMAL_SIGNED_MAX else n & U32


def _ranges(s: Scalar) -> list[str]:
    """``print_scalar_ranges``: each non-default bound, merged with later equal ones of the same kind."""
    rows = [["smin", s.smin, s.smin == S64_MIN], ["smax", s.smax, s.smax == S64_MAX],
            ["umin", s.umin, s.umin == 0], ["umax", s.umax, s.umax == U64],
            ["smin32", _signed32(s.s32_min), s.s32_min == S32_MIN],
            ["smax32", _signed32(s.s32_max), s.s32_max == S32_MAX],
            ["umin32", s.u32_min, s.u32_min == 0], ["umax32", s.u32_max, s.u32_max == U32]]
    parts = []
    for i, (name, value, omit) in enumerate(rows):
        if omit:
            continue
        negative = name[0] == "s" and value < 0
        names = [name]
        for other in rows[i + 2::2]:
            other_name, other_value, other_omit = other
            same = (other_value & U64) == (value & U64)
            if other_omit or not same or (other_name[0] == "s" and other_value < 0) != negative:
                continue
            other[2] = True
            names.append(other_name)
        number = signed_text(to_s64(value)) if name[0] == "s" else unsigned_text(value)
        parts.append("=".join(names) + "=" + number)
    return parts


def scalar_text(s: Scalar) -> str:
    """What follows ``Rn=`` in the log for this scalar."""
    if s.var_off.is_const():
        return signed_text(to_s64(s.var_off.value))
    parts = _ranges(s)
    if not s.var_off.is_unknown():
        parts.append(f"var_off={s.var_off}")
    return f"scalar({','.join(parts)})"
