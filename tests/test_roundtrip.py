"""Round trips over the whole opcode table: bytes <-> Instruction <-> text, in every syntax."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vm_service.asm import assemble
from vm_service.disasm import kernel, llvm, ubpf
from vm_service.isa import MAX_REG, Instruction, decode, make
from vm_service.opcodes import OPCODES, CallKind, Kind, OpSpec, Pseudo
from vm_service.syntax import UBPF_OPERANDS, all_templates, variants

INT16 = st.integers(-(1 << 15), (1 << 15) - 1)
INT32 = st.integers(-(1 << 31), (1 << 31) - 1)
REG = st.integers(0, MAX_REG)
PRINTERS = {"kernel": kernel, "llvm": llvm, "ubpf": ubpf}


def llvm_view(insn: Instruction) -> Instruction:
    """What survives llvm-objdump's text: it drops call src, ldind imm and a pseudo load's second imm."""
    if insn.kind is Kind.CALL:
        return dataclasses.replace(insn, src=0)
    if insn.spec.op == "ldind":
        return dataclasses.replace(insn, imm=0)
    if insn.kind is Kind.LDDW and insn.src != Pseudo.NONE:
        return dataclasses.replace(insn, next_imm=0)
    return insn


@st.composite
def instructions(draw, spec: OpSpec | None = None) -> Instruction:
    """A row of the table (or ``spec``) with every free field drawn from its whole range."""
    spec = spec or draw(st.sampled_from(OPCODES))
    src = 0
    if spec.kind is Kind.CALL:
        src = draw(st.sampled_from(list(CallKind)))
    elif spec.kind is Kind.LDDW:
        src = draw(st.sampled_from(list(Pseudo)))
    elif spec.uses_src_reg:
        src = draw(REG)
    next_imm = 0
    if spec.kind is Kind.LDDW and src not in (Pseudo.MAP_FD, Pseudo.MAP_IDX):
        next_imm = draw(INT32)
    return make(spec,
                dst=0 if "dst" in spec.zero else draw(REG),
                src=int(src),
                off=spec.off if spec.off is not None else draw(INT16),
                imm=spec.imm if spec.imm is not None else (0 if "imm" in spec.zero else draw(INT32)),
                next_imm=next_imm)


def check_round_trips(insn: Instruction, pc: int) -> None:
    decoded = decode(insn.encode())
    assert decoded == [(0, insn)]
    for name, printer in PRINTERS.items():
        text = printer(insn, pc)
        expected = llvm_view(insn) if name == "llvm" else insn
        assert assemble(text).instructions == [expected], f"{name}: {text!r}"


@settings(max_examples=2000, deadline=None)
@given(instructions(), st.integers(0, 1 << 20))
def test_any_instruction_round_trips_through_bytes_and_every_syntax(insn, pc):
    check_round_trips(insn, pc)


def extremes(spec: OpSpec) -> list[Instruction]:
    """Boundary instructions of a row: smallest and largest registers, offsets and immediates."""
    out = []
    for variant in variants(spec):
        src = variant if variant is not None else 0
        for low in (True, False):
            reg = 0 if low else MAX_REG
            next_imm = 0
            if spec.kind is Kind.LDDW and src not in (Pseudo.MAP_FD, Pseudo.MAP_IDX):
                next_imm = -(1 << 31) if low else (1 << 31) - 1
            out.append(make(
                spec,
                dst=0 if "dst" in spec.zero else reg,
                src=int(src) if variant is not None else (reg if spec.uses_src_reg else 0),
                off=spec.off if spec.off is not None else (-(1 << 15) if low else (1 << 15) - 1),
                imm=spec.imm if spec.imm is not None else (
                    0 if "imm" in spec.zero else (-(1 << 31) if low else (1 << 31) - 1)),
                next_imm=next_imm))
    return out


@pytest.mark.parametrize("spec", OPCODES, ids=[spec.name for spec in OPCODES])
def test_every_row_round_trips_at_its_extremes(spec):
    for insn in extremes(spec):
        check_round_trips(insn, pc=1 << 16)


@pytest.mark.parametrize("spec", OPCODES, ids=[spec.name for spec in OPCODES])
def test_every_row_has_a_spelling_in_each_syntax(spec):
    spelled = {row.name for row, _, _ in all_templates()}
    assert spec.name in spelled
    assert spec.kind is Kind.CALL or (spec.kind, spec.op) in UBPF_OPERANDS


@given(instructions(OPCODES[0]))
def test_the_strategy_can_be_pinned_to_one_row(insn):
    assert insn.spec is OPCODES[0]


def test_the_llvm_text_loses_only_what_llvm_objdump_drops():
    local = make(next(r for r in OPCODES if r.kind is Kind.CALL), src=CallKind.LOCAL, imm=3)
    assert assemble(llvm(local, 0)).instructions[0].src == CallKind.HELPER
    value = make(next(r for r in OPCODES if r.kind is Kind.LDDW), dst=1, src=Pseudo.MAP_VALUE,
                 imm=3, next_imm=8)
    assert assemble(llvm(value, 0)).instructions[0].next_imm == 0
    assert assemble(kernel(value, 0)).instructions[0] == value
