"""The uBPF/bpf_conformance dialect: ``mnemonic operand, operand``, driven by the opcode table.

The mnemonic picks the rows (``OpSpec.mnemonic``, plus ``syntax.UBPF_ALIASES``);
``syntax.UBPF_OPERANDS`` gives the operand shape of the row's operation, and an
operand that is a register picks the X row of an imm/reg pair. Three forms are
special: ``lock [fetch] op [dst+off], src``, ``call [helper|local|runtime] N``
and ``ld_pseudo dst, src, imm64``.
"""

from __future__ import annotations

import re

from . import asm_kernel
from .asm_fields import (LABEL, Parsed, imm32, imm64, is_register, number, offset, pseudo_src,
                         register, set_target)
from .errors import AsmError
from .helper_ids import HELPER_IDS
from .opcodes import BY_MNEMONIC, CallKind, OpSpec
from .syntax import UBPF_ALIASES, UBPF_CALL_MODES, UBPF_OPERANDS

MEMORY = re.compile(r"\[\s*([^\s+\-\]]+)\s*(?:([+-]\s*[^\]]*?))?\s*\]")  # [%r1+4], [%r10-8], [%r2]


def parse(text: str, line: int, col: int) -> Parsed:
    m = re.match(r"(\S+)\s*", text)
    mnemonic, rest, rest_col = m.group(1), text[m.end():], col + m.end()
    special = {"lock": _lock, "call": _call, "ld_pseudo": _ld_pseudo}.get(mnemonic)
    if special:
        return special(rest, line, col, rest_col)
    return _operands(_rows(mnemonic, line, col), mnemonic, split_operands(rest, rest_col), line, col)


def split_operands(rest: str, col: int) -> list[tuple[str, int]]:
    """Comma-separated operands with their 1-based columns."""
    if not rest.strip():
        return []
    out, start = [], 0
    for piece in rest.split(","):
        lead = len(piece) - len(piece.lstrip())
        out.append((piece.strip(), col + start + lead))
        start += len(piece) + 1
    return out


def _rows(mnemonic: str, line: int, col: int) -> tuple[OpSpec, ...]:
    rows = BY_MNEMONIC.get(UBPF_ALIASES.get(mnemonic, mnemonic))
    if not rows:
        raise AsmError(line, col, f"Invalid mnemonic: {mnemonic}")
    return rows


def _memory(text: str, line: int, col: int) -> tuple[int, int]:
    m = MEMORY.fullmatch(text)
    if not m:
        raise AsmError(line, col, f"Failed to decode register and offset: {text}")
    reg = register(m.group(1), line, col + m.start(1))
    return reg, offset(m.group(2), line, col + m.start(2)) if m.group(2) else 0


def _lock(rest: str, line: int, col: int, rest_col: int) -> Parsed:
    head = re.match(r"(?:[a-z_]\w*\s*)*", rest)
    words = head.group(0).split()
    operands = split_operands(rest[head.end():], rest_col + head.end())
    if not words or len(operands) != 2:
        raise AsmError(line, col, "Invalid number of operands for lock")
    mnemonic = "lock " + " ".join(words)
    return _operands(_rows(mnemonic, line, col), mnemonic, operands, line, col)


def _call(rest: str, line: int, col: int, rest_col: int) -> Parsed:
    words = [(w.group(0), rest_col + w.start()) for w in re.finditer(r"\S+", rest)]
    modes = {mode: kind for kind, mode in UBPF_CALL_MODES.items()}
    if len(words) == 2 and words[0][0] in modes:
        kind, (target, at) = modes[words[0][0]], words[1]
    elif len(words) == 1:
        kind, (target, at) = CallKind.HELPER, words[0]
    else:
        raise AsmError(line, col, "Invalid number of operands for mnemonic: call")
    if is_register(target):
        raise AsmError(line, at, f"Invalid call target: {target} (callx is not a Linux instruction)")
    parsed = Parsed(BY_MNEMONIC["call"][0], line, {"src": int(kind)})
    if kind == CallKind.LOCAL:
        set_target(parsed, target, at)
    elif number(target) is not None:
        parsed.fields["imm"] = imm32(target, line, at)
    elif kind == CallKind.HELPER and target in HELPER_IDS:
        parsed.fields["imm"] = HELPER_IDS[target]
    else:
        raise AsmError(line, at, f"Invalid immediate: {target}")
    return parsed


def _ld_pseudo(rest: str, line: int, col: int, rest_col: int) -> Parsed:
    operands = split_operands(rest, rest_col)
    if len(operands) != 3:
        raise AsmError(line, col, "Invalid number of operands for mnemonic: ld_pseudo")
    (dst, dst_col), (src, src_col), (value, value_col) = operands
    imm, next_imm = imm64(value, line, value_col)
    return Parsed(BY_MNEMONIC["lddw"][0], line, {
        "dst": register(dst, line, dst_col), "src": pseudo_src(src, line, src_col),
        "imm": imm, "next_imm": next_imm})


def _operands(rows: tuple[OpSpec, ...], mnemonic: str, operands: list[tuple[str, int]],
              line: int, col: int) -> Parsed:
    shape = UBPF_OPERANDS[(rows[0].kind, rows[0].op)]
    if len(operands) != len(shape):
        raise AsmError(line, col, f"Invalid number of operands for mnemonic: {mnemonic}")
    row = rows[0]
    if "src|imm" in shape and len(rows) > 1:
        by_reg = is_register(operands[shape.index("src|imm")][0])
        row = next(r for r in rows if r.uses_src_reg == by_reg)
    parsed = Parsed(row, line)
    out = parsed.fields
    for kind, (text, at) in zip(shape, operands):
        if kind == "dst":
            out["dst"] = register(text, line, at)
        elif kind == "src" or (kind == "src|imm" and row.uses_src_reg):
            out["src"] = register(text, line, at)
        elif kind in ("imm", "src|imm"):
            out["imm"] = imm32(text, line, at)
        elif kind == "mem_src":
            out["src"], out["off"] = _memory(text, line, at)
        elif kind == "mem_dst":
            out["dst"], out["off"] = _memory(text, line, at)
        elif kind == "target":
            _target(parsed, text, at)
        elif kind == "imm64":
            _lddw_value(parsed, text, at)
    return parsed


def _target(parsed: Parsed, text: str, col: int) -> None:
    """A label, or a relative offset with or without its sign (``ja +1``, ``ja 1``)."""
    if number(text) is not None:
        set_target(parsed, text if text[:1] in "+-" else "+" + text, col)
    elif re.fullmatch(LABEL, text):
        set_target(parsed, text, col)
    else:
        raise AsmError(parsed.line, col, f"Invalid jump target: {text}")


def _lddw_value(parsed: Parsed, text: str, col: int) -> None:
    """A 64-bit number, or a pseudo form the kernel printer writes (``map[id:3]``)."""
    if number(text) is not None:
        parsed.fields["imm"], parsed.fields["next_imm"] = imm64(text, parsed.line, col)
        return
    for regex, src in asm_kernel.pseudo_values():
        m = regex.fullmatch(text)
        if m:
            spelled = asm_kernel.fields(m, parsed.row, src, parsed.line, col)
            parsed.fields.update(spelled.fields)
            parsed.label = spelled.label
            return
    raise AsmError(parsed.line, col, f"Invalid immediate: {text}")
