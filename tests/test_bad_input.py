"""Untrusted bytecode and memory never crash the engine nor run past the budget."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vm_service.errors import VmError
from vm_service.helpers import helper_name, implementations
from vm_service.isa import Instruction
from vm_service.machine import Machine
from vm_service.opcodes import OPCODES
from vm_service.program import Program

LIMIT = 2_000
EXIT = bytes.fromhex("9500000000000000")


def run_untrusted(code: bytes, mem: bytes) -> None:
    try:
        program = Program.from_bytes(code)
    except VmError:
        return  # a clean rejection is a correct answer
    machine = Machine.raw(program, mem, helpers=implementations(None), helper_name=helper_name, limit=LIMIT)
    event = machine.run()
    assert event.terminal
    assert machine.instructions <= LIMIT
    assert not (event.message or "").startswith("internal error"), event.message


@settings(max_examples=400, deadline=None)
@given(code=st.binary(max_size=256), mem=st.binary(max_size=64))
def test_random_bytes_are_rejected_or_run_cleanly(code, mem):
    run_untrusted(code, mem)


def instruction_from_row(draw) -> Instruction:
    spec = draw(st.sampled_from(OPCODES))
    field = st.integers
    return Instruction(
        spec,
        dst=draw(field(0, 10)) if "dst" not in spec.zero else 0,
        src=draw(field(0, 10)) if "src" not in spec.zero else 0,
        off=spec.off if spec.off is not None else draw(field(-8, 8) | field(-(1 << 15), (1 << 15) - 1)),
        imm=spec.imm if spec.imm is not None else draw(field(-64, 64) | field(-(1 << 31), (1 << 31) - 1)),
        next_imm=draw(field(-(1 << 31), (1 << 31) - 1)) if spec.kind.value == "lddw" else 0,
    )


@st.composite
def valid_encodings(draw) -> bytes:
    count = draw(st.integers(1, 24))
    body = b"".join(instruction_from_row(draw).encode() for _ in range(count))
    return body + EXIT if draw(st.booleans()) else body


@settings(max_examples=400, deadline=None)
@given(code=valid_encodings(), mem=st.binary(max_size=64))
def test_random_valid_instructions_run_to_a_clean_end(code, mem):
    run_untrusted(code, mem)
