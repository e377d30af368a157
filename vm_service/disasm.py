"""Printers: one Instruction (at its pc) as text in the kernel, LLVM or uBPF syntax.

``kernel``  the verifier log's line, as kernel/bpf/disasm.c prints it in Linux 6.18:
            ``3: (85) call bpf_map_lookup_elem#1``. ld_imm64 pseudo forms use
            bpftool's spelling (``r1 = map[id:3]``), see ``syntax.py``; kfuncs print
            as ``kernel-function#<btf id>`` unless ``kfunc_name`` resolves them.
``llvm``    llvm-objdump 22's text (``r1 = 0x1 ll``, ``goto -0x3``); ``full=True``
            adds its address, raw bytes and ``<symbol+0xoff>`` target annotation.
            llvm-objdump drops three things, so its text does not round-trip them:
            the src of calls (local calls and kfuncs print as ``call imm``), the
            imm of legacy indirect loads (``skb[r1]``) and the second slot of a
            pseudo ld_imm64 (``ld_pseudo r1, 0x2, 0x3``).
``ubpf``    the bpf_conformance dialect the assembler reads (``ldxw %r1, [%r2+4]``);
            with labels, jump targets print as label names.

Every printer and the assembler share the templates of ``syntax.py``; jump
targets print relative (``pc+3``, ``+0x3``, ``+3``) so one line stands alone.
"""

from __future__ import annotations

from collections.abc import Callable

from .helper_ids import helper_name
from .isa import Instruction
from .opcodes import CallKind, Kind, Pseudo
from .program import Program
from .syntax import (LD_PSEUDO, PSEUDO_FORMS, UBPF_CALL_MODES, UBPF_OPERANDS, template)

SYNTAXES = ("kernel", "llvm", "ubpf")


def _hex(value: int) -> str:
    """LLVM's signed hex: -0x7, 0x0."""
    return f"-0x{-value:x}" if value < 0 else f"0x{value:x}"


def _signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _relative(insn: Instruction, pc: int) -> int:
    target = insn.jump_target(pc)
    return target - pc - 1 if target is not None else 0


def kernel_call_name(insn: Instruction, kfunc_name: Callable[[int], str | None] | None = None) -> str:
    """The name the kernel prints before ``#imm``: the helper's, ``unknown`` or the kfunc's."""
    if insn.src == CallKind.KFUNC:
        return (kfunc_name(insn.imm) if kfunc_name else None) or "kernel-function"
    return helper_name(insn.imm) or "unknown"


def _kernel_text(insn: Instruction, pc: int, kfunc_name=None) -> str:
    variant = insn.src if insn.kind in (Kind.CALL, Kind.LDDW) else None
    text = template(insn.spec, variant, llvm=False)
    if insn.kind is Kind.LDDW and insn.next_imm and not PSEUDO_FORMS[insn.src][1]:
        text = LD_PSEUDO.replace("\t", " ")  # this form cannot show the second slot's imm
    rel = _relative(insn, pc)
    return text.format(d=insn.dst, s=insn.src, imm=insn.imm, uimm=f"0x{insn.imm & 0xFFFFFFFF:x}",
                       off=f"{insn.off:+d}", target=f"pc{rel:+d}", rel=f"{rel:+d}",
                       imm64=f"0x{insn.imm64:x}", next=insn.next_imm, src=insn.src,
                       helper=kernel_call_name(insn, kfunc_name) if insn.kind is Kind.CALL else "")


def kernel(insn: Instruction, pc: int, labels: dict[int, str] | None = None,
           kfunc_name: Callable[[int], str | None] | None = None) -> str:
    """``pc: (opcode) text``, as the verifier log prints it (the kernel never prints labels)."""
    return f"{pc}: ({insn.spec.opcode:02x}) {_kernel_text(insn, pc, kfunc_name)}"


def llvm(insn: Instruction, pc: int, labels: dict[int, str] | None = None, full: bool = False) -> str:
    """llvm-objdump's instruction text; ``full`` gives its whole ``-d`` line."""
    variant = insn.src if insn.kind in (Kind.CALL, Kind.LDDW) else None
    rel = _relative(insn, pc)
    off = f"- 0x{-insn.off:x}" if insn.off < 0 else f"+ 0x{insn.off:x}"
    text = template(insn.spec, variant, llvm=True).format(
        d=insn.dst, s=insn.src, imm=_hex(insn.imm), uimm=_hex(insn.imm), off=off,
        target=("+" if rel >= 0 else "") + _hex(rel), imm64=_hex(_signed64(insn.imm64)),
        u32=f"0x{insn.imm & 0xFFFFFFFF:x}", src=f"0x{insn.src:x}")
    if not full:
        return text
    raw = " ".join(f"{b:02x}" for b in insn.encode())
    if insn.kind is Kind.JUMP:
        text += f" <{_symbolize(pc + 1 + rel, labels or {})}>"
    return f"{pc:>8}:\t{raw}\t{text}"


def _symbolize(target: int, labels: dict[int, str]) -> str:
    """llvm-objdump's ``<symbol+0xoff>``: the nearest label at or before the target, else .text."""
    base = max((at for at in labels if at <= target), default=None)
    name, offset = (labels[base], (target - base) * 8) if base is not None else (".text", target * 8)
    return f"{name}+0x{offset:x}" if offset else name


def ubpf(insn: Instruction, pc: int, labels: dict[int, str] | None = None) -> str:
    """The uBPF/bpf_conformance dialect; jump targets use ``labels`` when one names the target."""
    target = insn.jump_target(pc)
    where = labels[target] if labels and target in labels else f"{_relative(insn, pc):+d}"
    if insn.kind is Kind.CALL:
        if insn.src == CallKind.HELPER:
            return f"call {insn.imm}"
        mode = UBPF_CALL_MODES[CallKind(insn.src)]
        return f"call {mode} {where if insn.src == CallKind.LOCAL else insn.imm}"
    if insn.kind is Kind.LDDW and insn.src != Pseudo.NONE:
        if insn.next_imm and not PSEUDO_FORMS[insn.src][1]:
            return f"ld_pseudo %r{insn.dst}, {insn.src}, 0x{insn.imm64:x}"
        value = _kernel_text(insn, pc).split(" = ", 1)[1]
        return f"lddw %r{insn.dst}, {value}"
    shape = UBPF_OPERANDS[(insn.kind, insn.spec.op)]
    operands = ", ".join(_ubpf_operand(kind, insn, where) for kind in shape)
    return f"{insn.spec.mnemonic} {operands}" if operands else insn.spec.mnemonic


def _ubpf_operand(kind: str, insn: Instruction, where: str) -> str:
    """One operand of a ``syntax.UBPF_OPERANDS`` shape."""
    match kind:
        case "dst":
            return f"%r{insn.dst}"
        case "src":
            return f"%r{insn.src}"
        case "src|imm":
            return f"%r{insn.src}" if insn.spec.uses_src_reg else str(insn.imm)
        case "imm":
            return str(insn.imm)
        case "mem_src" | "mem_dst":
            reg = insn.src if kind == "mem_src" else insn.dst
            return f"[%r{reg}{insn.off:+d}]" if insn.off else f"[%r{reg}]"
        case "target":
            return where
        case "imm64":
            return f"0x{insn.imm64:x}"
    raise ValueError(f"unknown operand kind {kind!r}")


PRINTERS = {"kernel": kernel, "llvm": llvm, "ubpf": ubpf}


def format_insn(insn: Instruction, pc: int, syntax: str, labels: dict[int, str] | None = None) -> str:
    try:
        printer = PRINTERS[syntax]
    except KeyError:
        raise ValueError(f"unknown syntax {syntax!r}: choose one of {', '.join(SYNTAXES)}") from None
    return printer(insn, pc, labels)


def disassemble(program: Program, syntax: str) -> list[str]:
    """One line per instruction; uBPF listings also get ``label:`` lines so they re-assemble."""
    lines = []
    for pc, insn in program.items():
        if syntax == "ubpf" and pc in program.labels:
            lines.append(f"{program.labels[pc]}:")
        lines.append(format_insn(insn, pc, syntax, program.labels))
    return lines
