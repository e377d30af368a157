"""Kernel/LLVM syntax: the templates of ``syntax.py`` compiled to regexes, and their fields.

A template's placeholders become named groups and its spaces optional
whitespace (required between two words), so ``*(u32 *)(r10 -4)`` and
``*(u32*)(r10 - 0x4)`` both match. The first matching template in table order
wins: ``r1 = 1`` is a mov, and ld_imm64 needs ``ll`` or the verifier log's
``(18)`` opcode tag to be chosen.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .asm_fields import (NUMBER, OFFSET, TARGET, Parsed, imm32, imm64, offset, pseudo_src,
                         register, set_target)
from .errors import AsmError
from .helper_ids import HELPER_IDS
from .opcodes import CallKind, Kind, OpSpec, Pseudo
from .syntax import PSEUDO_FORMS, all_templates

PLACEHOLDERS = {
    "d": r"\d+", "s": r"\d+", "imm": NUMBER, "uimm": NUMBER, "u32": NUMBER, "next": NUMBER,
    "imm64": NUMBER, "src": NUMBER, "off": OFFSET, "target": TARGET, "rel": TARGET,
    "helper": r"[A-Za-z_][\w-]*",
}
TEMPLATE_TOKEN = re.compile(r"\{(\w+)\}|(\w+)|(\s+)|(\S)")


def template_regex(template: str) -> re.Pattern:
    parts, seen = [], set()
    prev_wordy, gap = False, False
    for m in TEMPLATE_TOKEN.finditer(template):
        name, word, space, punct = m.groups()
        if space:
            gap = True
            continue
        wordy = bool(name or word)
        if parts:
            parts.append(r"\s+" if gap and wordy and prev_wordy else ("" if wordy and prev_wordy else r"\s*"))
        if name:
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>{PLACEHOLDERS[name]})")
            seen.add(name)
        else:
            parts.append(re.escape(word or punct))
        prev_wordy, gap = wordy, False
    return re.compile("".join(parts))


def leading_key(text: str) -> str:
    """The first word or character: templates are bucketed by it so a line tries only a few."""
    m = re.match(r"[A-Za-z_]+|\S", text)
    return m.group(0) if m else ""


@lru_cache(maxsize=1)
def templates() -> dict[str, list[tuple[re.Pattern, OpSpec, int | None]]]:
    buckets: dict[str, list] = {}
    for row, variant, text in all_templates():
        key = leading_key(text.replace("{d}", "0").replace("{s}", "0"))
        buckets.setdefault(key, []).append((template_regex(text), row, variant))
    return buckets


@lru_cache(maxsize=1)
def pseudo_values() -> list[tuple[re.Pattern, int]]:
    """The right-hand sides of the ld_imm64 pseudo forms (``map[id:3]``), for ``lddw`` operands."""
    return [(template_regex(text.split(" = ", 1)[1]), src)
            for src, (text, _) in PSEUDO_FORMS.items() if src != Pseudo.NONE]


def match(text: str, tag: int | None) -> tuple[re.Match, OpSpec, int | None] | OpSpec | None:
    """The first template matching ``text`` whose opcode is ``tag`` (if given).

    Returns (match, row, variant); or, when only the tag disagrees, the row that
    matched; or None.
    """
    untagged = None
    for regex, row, variant in templates().get(leading_key(text), ()):
        m = regex.fullmatch(text)
        if m is None:
            continue
        if tag is None or row.opcode == tag:
            return m, row, variant
        untagged = untagged or row
    return untagged


def fields(m: re.Match, row: OpSpec, variant: int | None, line: int, col: int) -> Parsed:
    """The instruction fields a template match spells, checked."""
    g = {name: text for name, text in m.groupdict().items() if text is not None}
    at = {name: col + m.start(name) for name in g}
    parsed = Parsed(row, line)
    out = parsed.fields
    if "d" in g:
        out["dst"] = register("r" + g["d"], line, at["d"])
    if "s" in g:
        out["src"] = register("r" + g["s"], line, at["s"])
    for name in ("imm", "uimm"):
        if name in g:
            out["imm"] = imm32(g[name], line, at[name])
    if "off" in g:
        out["off"] = offset(g["off"], line, at["off"])
    if "next" in g:
        out["next_imm"] = imm32(g["next"], line, at["next"])
    if "imm64" in g:
        out["imm"], out["next_imm"] = imm64(g["imm64"], line, at["imm64"])
    if row.kind is Kind.LDDW:
        out["src"] = variant if variant is not None else pseudo_src(g["src"], line, at["src"])
    if row.kind is Kind.CALL:
        out["src"] = call_kind(variant, g.get("helper"), out.get("imm", 0), line, at.get("helper", col))
    for name in ("target", "rel"):
        if name in g:
            set_target(parsed, g[name], at[name])
    return parsed


def call_kind(variant: int | None, name: str | None, imm: int, line: int, col: int) -> int:
    """The src of a call: the template's, or for ``call name#id`` what the name says."""
    if variant == CallKind.LOCAL or name is None:
        return variant
    if name == "unknown":
        return CallKind.HELPER
    if name in HELPER_IDS:
        if HELPER_IDS[name] != imm:
            raise AsmError(line, col, f"Helper {name} is #{HELPER_IDS[name]}, not #{imm}")
        return CallKind.HELPER
    return CallKind.KFUNC  # "kernel-function" or a kfunc's BTF name
