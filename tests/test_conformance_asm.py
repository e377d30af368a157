"""The assembler against the conformance vectors' ``asm`` sections (bpf_conformance and uBPF).

Every vector with bytecode must assemble to exactly those bytes, unless the
bytecode is not a valid Linux instruction stream (``callx``, registers r11+):
those test a runtime's loader, and our assembler refuses to write them, as
the decoder refuses to read them. The assembler-negative vectors (no bytecode;
``notes`` quotes upstream's assembler error) must fail with the same message.
"""

from __future__ import annotations

import re

import pytest

from tests.conformance_data import conformance_root, vector_params
from vm_service.asm import assemble
from vm_service.errors import AsmError, DecodeError
from vm_service.isa import decode


def load(folder: str, recursive: bool = False) -> list[dict]:
    """The folder's vectors; none (and the tests below skip) when the data is missing."""
    return [p.values[0] for p in vector_params(folder, recursive) if p.values[0] is not None]


ALL = [v for v in (load("bpf_conformance") + load("bpf_conformance/negative")
                   + load("ubpf", recursive=True)) if v["asm"] is not None]
REJECTED = re.compile(r"assembler rejected the asm: (.*?)(?: \(line \d+: .*\))?$")


def assembler_error(vector: dict) -> str | None:
    """The upstream assembler's message for an assembler-negative vector, else None."""
    m = REJECTED.search(vector["notes"])
    return m.group(1) if m and vector["program_hex"] is None else None


def is_linux_bytecode(program_hex: str) -> bool:
    try:
        decode(bytes.fromhex(program_hex))
    except DecodeError:
        return False
    return True


WITH_BYTECODE = [v for v in ALL if v["program_hex"]]
NEGATIVE = [v for v in ALL if assembler_error(v)]


def test_the_vector_set_is_complete():
    if not ALL:
        pytest.skip(f"no conformance vectors under {conformance_root()} (set PLAYGROUND_CONFORMANCE)")
    assert len(ALL) >= 390
    assert len(NEGATIVE) == 10


@pytest.mark.parametrize("vector", WITH_BYTECODE, ids=lambda v: v["_path"])
def test_it_assembles_each_vector_to_its_bytecode(vector):
    if not is_linux_bytecode(vector["program_hex"]):
        with pytest.raises(AsmError):
            assemble(vector["asm"])
        return
    got = b"".join(insn.encode() for insn in assemble(vector["asm"]).instructions)
    assert got.hex() == vector["program_hex"]


def test_only_loader_tests_carry_non_linux_bytecode():
    if not ALL:
        pytest.skip(f"no conformance vectors under {conformance_root()} (set PLAYGROUND_CONFORMANCE)")
    odd = sorted(v["_path"] for v in WITH_BYTECODE if not is_linux_bytecode(v["program_hex"]))
    assert odd == ["bpf_conformance/callx.json", "ubpf/errors/err-invalid-reg-dst.json",
                   "ubpf/errors/err-invalid-reg-src.json"]


@pytest.mark.parametrize("vector", NEGATIVE, ids=lambda v: v["_path"])
def test_it_rejects_each_assembler_negative_vector_with_upstreams_message(vector):
    with pytest.raises(AsmError) as caught:
        assemble(vector["asm"])
    assert caught.value.message == assembler_error(vector)
    if vector["expected_error"]:
        assert vector["expected_error"] in caught.value.message


def test_vectors_without_instructions_assemble_to_nothing():
    if not ALL:
        pytest.skip(f"no conformance vectors under {conformance_root()} (set PLAYGROUND_CONFORMANCE)")
    empty = [v for v in ALL if not v["program_hex"] and not assembler_error(v)]
    assert empty and all(assemble(v["asm"]).instructions == [] for v in empty)
