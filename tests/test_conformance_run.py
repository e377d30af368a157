"""The shared conformance vectors, run through the Machine in raw mode (r1 = mem, r2 = len)."""

from __future__ import annotations

import pytest

from tests.conformance_data import vector_params
from vm_service.errors import VmError
from vm_service.helpers import helper_name, implementations
from vm_service.machine import Machine
from vm_service.program import Program

# bpf_conformance: callx (call %reg) is not a Linux instruction; the kernel rejects opcode 0x8d.
REJECTED_AS_LINUX_DOES = {"bpf_conformance/callx.json"}

# Negative vectors that test the upstream *runner*, not the instruction set.
HARNESS_CHECKS = {
    "bpf_conformance/negative/error.json":
        "checks that the runner reports a plugin error; the encoding is valid and the "
        "kernel's verifier (not the decoder) rejects the read of uninitialised r0",
    "bpf_conformance/negative/incorrect_return_value_high_bits.json":
        "checks that the runner notices a wrong r0; our r0 must differ from the vector's",
}

# uBPF vectors that encode uBPF's own rules rather than Linux behaviour.
UBPF_EXCLUDED = {
    "ubpf/helpers/call.json": "uBPF's helper 0 (gather_bytes); Linux has no helper 0",
    "ubpf/helpers/call-save.json": "uBPF's helper 1 is memfrob; Linux's 1 is map_lookup_elem",
    "ubpf/helpers/call-memfrob.json": "uBPF's helper 1 is memfrob; Linux's 1 is map_lookup_elem",
    "ubpf/stack2.json": "uBPF's helpers 0 and 1 (gather_bytes, memfrob)",
    "ubpf/string-stack.json": "uBPF's helper 4 (strcmp_ext); Linux's 4 is probe_read",
    "ubpf/extensions/call_unwind.json": "uBPF's helper 5 unwinds the program; Linux's 5 is "
                                        "ktime_get_ns, which returns",
    "ubpf/reload.json": "uBPF's API rule about reloading code into one VM",
    "ubpf/unload_reload.json": "uBPF's API rule about unloading code",
    "ubpf/errors/err-too-many-instructions.json": "uBPF's cap of 65536 instructions; Linux "
                                                  "allows 1,000,000 for privileged programs",
    "ubpf/errors/err-unknown-opcode.json": "0x06 is gotol (JMP32|JA) in Linux, a valid instruction",
    "ubpf/errors/err-infinite-loop.json": "uBPF rejects the loop at load; in Linux the verifier "
                                          "rejects it, and raw mode ends it at the instruction limit",
}

# uBPF vectors with neither result nor error: instruction lists for its decoder,
# which Linux rejects as programs (they fall off the end or jump out of range).
UBPF_DECODE_ONLY = {
    "ubpf/alu.json": "last insn is not an exit or jmp",
    "ubpf/alu64.json": "last insn is not an exit or jmp",
    "ubpf/ldx.json": "last insn is not an exit or jmp",
    "ubpf/st.json": "last insn is not an exit or jmp",
    "ubpf/stx.json": "last insn is not an exit or jmp",
    "ubpf/jmp.json": "jump out of range from insn 1 to 32769",
}


def run_vector(vector: dict):
    program = Program.from_bytes(bytes.fromhex(vector["program_hex"]))
    machine = Machine.raw(program, bytes.fromhex(vector["mem_hex"]), helpers=implementations(None),
                          helper_name=helper_name)
    return machine.run()


@pytest.mark.parametrize("vector", vector_params("bpf_conformance"))
def test_bpf_conformance_vector(vector):
    if vector["_path"] in REJECTED_AS_LINUX_DOES:
        with pytest.raises(VmError, match="unknown opcode 0x8d"):
            run_vector(vector)
        return
    event = run_vector(vector)
    assert event.kind == "exit", event
    assert event.r0 == vector["expected_r0"]


@pytest.mark.parametrize("vector", vector_params("bpf_conformance/negative"))
def test_bpf_conformance_negative_vector(vector):
    path = vector["_path"]
    if vector["program_hex"] is None:
        assert vector["asm"] is None or vector["expected_error"] is not None or vector["notes"]
        return  # assembler negatives: see test_conformance_asm.py
    if path in HARNESS_CHECKS:
        event = run_vector(vector)
        if path.endswith("incorrect_return_value_high_bits.json"):
            assert event.r0 != vector["expected_r0"]
        return
    with pytest.raises(VmError):
        Program.from_bytes(bytes.fromhex(vector["program_hex"]))


@pytest.mark.parametrize("vector", vector_params("ubpf", recursive=True))
def test_ubpf_vector(vector):
    path = vector["_path"]
    if path in UBPF_EXCLUDED:
        pytest.xfail(UBPF_EXCLUDED[path])
    if vector["program_hex"] is None:
        pytest.xfail("ELF-loader test of uBPF's own loader (no bytecode)")
    if vector["expected_error"] is not None:
        # Some also give the r0 an unchecked JIT returns; the error is what Linux gives.
        try:
            event = run_vector(vector)
        except VmError:
            return  # rejected when loaded
        assert event.kind == "fault", event
        return
    if vector["expected_r0"] is None:  # decoder-only vectors: no result is specified
        assert path in UBPF_DECODE_ONLY
        with pytest.raises(VmError, match=UBPF_DECODE_ONLY[path]):
            run_vector(vector)
        return
    event = run_vector(vector)
    assert event.kind == "exit", event
    assert event.r0 == vector["expected_r0"]


def test_every_exclusion_names_an_existing_vector():
    known = {v["_path"] for v in (p.values[0] for p in vector_params("ubpf", recursive=True)) if v}
    assert set(UBPF_EXCLUDED) <= known and set(UBPF_DECODE_ONLY) <= known
