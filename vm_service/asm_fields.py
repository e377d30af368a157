"""Operand text to field values, range-checked, with bpf_conformance's error messages.

Shared by both dialects of the assembler. Every function takes the line and the
1-based column of its text, so an error points at the operand itself.
A 32-bit immediate is a signed decimal (-2^31..2^31-1) or hex up to 0xffffffff,
as bpf_conformance's assembler and the kernel's ``0x%x`` output both need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import AsmError
from .isa import MAX_REG
from .opcodes import Kind, OpSpec, Pseudo

NUMBER = r"[+-]?\s*(?:0[xX][0-9a-fA-F]+|\d+)"
OFFSET = r"[+-]\s*(?:0[xX][0-9a-fA-F]+|\d+)"
LABEL = r"[A-Za-z_.$][\w.$]*"
TARGET = rf"(?:pc)?{OFFSET}|{LABEL}"   # "pc+3", "+0x3", "-1" or a label
REGISTER = re.compile(r"%?r(\d+)")

INT16 = (-(1 << 15), (1 << 15) - 1)
INT32 = (-(1 << 31), (1 << 31) - 1)
UINT32_HEX = (-(1 << 31), (1 << 32) - 1)
INT64 = (-(1 << 63), (1 << 64) - 1)


@dataclass
class Parsed:
    """One parsed instruction: its row and fields, and a label its target still names."""

    row: OpSpec
    line: int
    fields: dict = field(default_factory=dict)
    label: tuple[str, int] | None = None  # (name, column)


def number(text: str) -> int | None:
    t = re.sub(r"\s+", "", text)
    return int(t, 0) if re.fullmatch(r"[+-]?(?:0[xX][0-9a-fA-F]+|\d+)", t) else None


def imm32(text: str, line: int, col: int) -> int:
    value = number(text)
    if value is None:
        raise AsmError(line, col, f"Invalid immediate: {text}")
    low, high = UINT32_HEX if "0x" in text.lower() else INT32
    if not low <= value <= high:
        raise AsmError(line, col, f"Immediate out of 32-bit range: {text.strip()}")
    return signed32(value)


def imm64(text: str, line: int, col: int) -> tuple[int, int]:
    """A 64-bit value as ld_imm64's (imm, next_imm)."""
    value = number(text)
    if value is None:
        raise AsmError(line, col, f"Invalid immediate: {text}")
    if not INT64[0] <= value <= INT64[1]:
        raise AsmError(line, col, f"Immediate out of 64-bit range: {text.strip()}")
    value &= (1 << 64) - 1
    return signed32(value & 0xFFFFFFFF), signed32(value >> 32)


def signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def offset(text: str, line: int, col: int) -> int:
    value = number(text)
    if value is None:
        raise AsmError(line, col, f"Invalid offset: {text.strip()}")
    if not INT16[0] <= value <= INT16[1]:
        raise AsmError(line, col, f"Offset out of 16-bit range: {text.strip()}")
    return value


def register(text: str, line: int, col: int) -> int:
    m = REGISTER.fullmatch(text.strip())
    if not m or int(m.group(1)) > MAX_REG:
        raise AsmError(line, col, f"Invalid register: {text.strip()}")
    return int(m.group(1))


def is_register(text: str) -> bool:
    return text.startswith("%") or bool(REGISTER.fullmatch(text))


def pseudo_src(text: str, line: int, col: int) -> int:
    value = number(text)
    if value is None or not 0 <= value <= max(Pseudo):
        raise AsmError(line, col, f"Invalid ld_imm64 pseudo source: {text} (must be 0-{max(Pseudo)})")
    return value


def target_field(row: OpSpec) -> str:
    """Where a relative target is stored: gotol, calls and subprog loads use imm."""
    return "imm" if row.kind in (Kind.CALL, Kind.LDDW) or row.mnemonic == "ja32" else "off"


def target_range(row: OpSpec) -> tuple[int, int]:
    return INT32 if target_field(row) == "imm" else INT16


def set_target(parsed: Parsed, text: str, col: int) -> None:
    """Store a relative target ("+3", "pc-2") now, or remember a label to resolve later."""
    name = target_field(parsed.row)
    if re.fullmatch(LABEL, text):
        parsed.label = (text, col)
        parsed.fields[name] = 0
        return
    value = number(text.removeprefix("pc"))
    low, high = target_range(parsed.row)
    if value is None or not low <= value <= high:
        raise AsmError(parsed.line, col, f"Jump offset out of {32 if name == 'imm' else 16}-bit "
                                         f"range: {text}")
    parsed.fields[name] = value
