"""The assembler: kernel/LLVM syntax and the uBPF/bpf_conformance dialect, mixed line by line.

A line is ``[label:] [pc:] [(opcode)] instruction [comment]``. The ``pc:`` and
``(opcode)`` prefixes let a verifier log line (``3: (18) r1 = 0x1``) be pasted
back: the opcode picks between spellings the kernel shares (ld_imm64 and mov
both print ``r1 = 0x1``). Comments start with ``//``, ``;`` or a ``#`` that
begins a word (``call bpf_map_lookup_elem#1`` keeps its ``#``).

A line is first matched against the kernel/LLVM templates (``asm_kernel``);
otherwise it is read as the uBPF dialect (``asm_ubpf``). Operand errors follow
bpf_conformance's assembler where it has a message (``Invalid register: %r50``).
As in bpf_conformance, ``exit`` names the first ``exit`` instruction unless a
label of that name exists. ``call name`` is a local call when ``name`` is a
label, else a call of the helper of that name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import asm_kernel, asm_ubpf
from .asm_fields import INT16, LABEL, Parsed, target_field, target_range
from .errors import AsmError
from .helper_ids import HELPER_IDS
from .isa import Instruction, make
from .opcodes import CallKind, Kind, OpSpec
from .program import Program

LINE_PREFIX = re.compile(rf"\s*(?:(?P<label>{LABEL})\s*:\s*)?(?:(?P<pc>\d+):\s*)?"
                         r"(?:\((?P<tag>[0-9a-fA-F]{2})\)\s*)?")
COMMENT = re.compile(r"//|;|(?:^|(?<=\s))#")
KERNEL_WORDS = {"if", "goto", "gotol", "may_goto"}  # kernel-syntax starts the uBPF dialect lacks


@dataclass
class Assembly:
    """Assembled instructions with their labels (pc -> name) and source lines (pc -> line)."""

    instructions: list[Instruction]
    labels: dict[int, str] = field(default_factory=dict)
    lines: dict[int, int] = field(default_factory=dict)

    def program(self) -> Program:
        return Program.from_instructions(self.instructions, self.labels)


def assemble(text: str) -> Assembly:
    """Assemble source text; raises AsmError(line, col, message) at the first error."""
    parsed: list[tuple[int, Parsed]] = []
    labels: dict[str, tuple[int, int]] = {}   # name -> (pc, line)
    pc = 0
    for line_no, raw in enumerate(text.splitlines(), start=1):
        body = raw[:m.start()] if (m := COMMENT.search(raw)) else raw
        prefix = LINE_PREFIX.match(body)
        if prefix.group("label"):
            name = prefix.group("label")
            if name in labels:
                raise AsmError(line_no, prefix.start("label") + 1,
                               f"Duplicate label: {name} (first defined on line {labels[name][1]})")
            labels[name] = (pc, line_no)
        rest = body[prefix.end():].rstrip()
        if not rest:
            continue
        tag = int(prefix.group("tag"), 16) if prefix.group("tag") else None
        item = _parse_line(rest, line_no, prefix.end() + 1, tag)
        parsed.append((pc, item))
        pc += 2 if item.row.kind is Kind.LDDW else 1
    targets = {name: at for name, (at, _) in labels.items()}
    first_exit = next((at for at, item in parsed if item.row.kind is Kind.EXIT), None)
    if first_exit is not None:
        targets.setdefault("exit", first_exit)
    instructions, lines = [], {}
    for at, item in parsed:
        if item.label:
            _resolve(item, at, targets)
        instructions.append(make(item.row, **{k: int(v) for k, v in item.fields.items()}))
        lines[at] = item.line
    by_pc: dict[int, str] = {}
    for name, (at, _) in labels.items():
        by_pc.setdefault(at, name)
    return Assembly(instructions, by_pc, lines)


def _parse_line(body: str, line: int, col: int, tag: int | None) -> Parsed:
    found = asm_kernel.match(body, tag)
    if isinstance(found, tuple):
        return asm_kernel.fields(*found, line, col)
    if isinstance(found, OpSpec):
        raise AsmError(line, col, f"Opcode ({tag:02x}) does not match this instruction, "
                                  f"which is ({found.opcode:02x})")
    first = body.split(None, 1)[0]
    kernel_like = "=" in body or "(" in body or first in KERNEL_WORDS
    if not kernel_like and re.fullmatch(r"[A-Za-z_]\w*", first):
        return asm_ubpf.parse(body, line, col)
    raise AsmError(line, col, f"Invalid instruction: {body}")


def _resolve(item: Parsed, pc: int, targets: dict[str, int]) -> None:
    name, col = item.label
    if name not in targets:
        if item.row.kind is Kind.CALL and item.fields.get("src") == CallKind.LOCAL and name in HELPER_IDS:
            item.fields.update(src=CallKind.HELPER, imm=HELPER_IDS[name])
            return
        raise AsmError(item.line, col, f"Invalid label: {name}")
    value = targets[name] - pc - 1
    low, high = target_range(item.row)
    if not low <= value <= high:
        bits = 16 if (low, high) == INT16 else 32
        raise AsmError(item.line, col, f"Jump offset out of {bits}-bit range to label {name}: {value}")
    item.fields[target_field(item.row)] = value
