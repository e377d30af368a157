"""The catalogue of the kernel verifier's messages: rendering, and reading kernel lines back.

Every message's example is a line Linux printed; the corpus manifest's error
lines (all of them, not only the first) must each be one of the catalogue's
messages, and the messages the corpus lacks are produced in the live kernel.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, strategies as st

from tests.support import require_bpf
from vm_service import kernel
from vm_service.verifier import messages
from vm_service.verifier.messages import CATALOGUE, MessageError, match, render
from vm_service.verifier_corpus import read_manifest

STATE_DUMPS = ("cur state:", "old state:")  # printed after "infinite loop detected"
LOGGED = [m for m in CATALOGUE if m.in_log]


def slot(opcode: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", opcode, (src << 4) | dst, off, imm)


R0_0, EXIT = slot(0xB7), slot(0x95)

# Messages the corpus has no program for: a program that makes Linux print each.
KERNEL_PROGRAMS: dict[str, bytes] = {
    "call_to_invalid_destination": R0_0 + slot(0x85, src=1, imm=10) + EXIT,
    "too_many_subprograms": slot(0x85, src=1, imm=256) * 256 + EXIT * 257,
    "func_start": R0_0 + slot(0x85, src=1, imm=1) + EXIT + R0_0 + EXIT,
    "invalid_ld_imm64": slot(0x18) + slot(0, 1) + EXIT,
    "unrecognized_ld_imm64": slot(0x18, 0, 7) + slot(0) + EXIT,
    "fd_idx_without_fd_array": slot(0x18, 1, 5) + slot(0) + R0_0 + EXIT,
    "not_a_map_fd": slot(0x18, 1, 1, 0, 999) + slot(0) + R0_0 + EXIT,
    "unknown_opcode": R0_0 + slot(0xFF) + EXIT,
    "uses_reserved_fields": slot(0x61, 0, 1, 0, 5) + R0_0 + EXIT,
    "invalid_register": slot(0xB7, 11) + R0_0 + EXIT,
    "atomic_invalid_opcode": R0_0 + slot(0xDB, 10, 0, -8, 2) + EXIT,
    "atomic_operand_size": R0_0 + slot(0xD3, 10, 0, -8, 0) + EXIT,
    "addr_space_cast_spaces": R0_0 + slot(0xBF, 0, 1, 1, 5) + EXIT,
    "addr_space_cast_without_arena": R0_0 + slot(0xBF, 0, 1, 1, 1) + EXIT,
    "invalid_may_goto": R0_0 + slot(0xE5, 0, 0, 0, 3) + EXIT,
}


def corpus_lines() -> list[str]:
    return [line for entry in read_manifest() if entry.expected
            for line in entry.expected.error_lines if not line.startswith(STATE_DUMPS)]


@pytest.mark.parametrize("entry", LOGGED, ids=lambda m: m.id)
def test_it_reads_back_each_messages_kernel_example(entry):
    found = match(entry.example)
    assert found is not None and found[0] == entry.id
    assert render(entry.id, **found[1]) == entry.example


def test_it_recognises_every_error_line_of_the_corpus():
    lines = corpus_lines()
    assert len(lines) > 64
    assert [line for line in lines if match(line) is None] == []


def test_every_message_was_printed_by_the_kernel_in_the_corpus_or_a_live_program():
    in_corpus = {match(line)[0] for line in corpus_lines()}
    assert {m.id for m in LOGGED} - in_corpus - set(KERNEL_PROGRAMS) == set()


def test_it_reads_numbers_as_ints_and_placeholders_as_text():
    assert match("invalid access to packet, off=14 size=1, R2(id=<id>,off=14,r=14)") == (
        "packet_access", {"off": 14, "size": 1, "regno": 2, "id": "<id>", "reg_off": 14,
                          "range": 14})
    assert match("Unreleased reference id=7 alloc_insn=5")[1] == {"id": 7, "insn": 5}
    assert match("unknown opcode 8f") == ("unknown_opcode", {"opcode": 0x8F})
    assert render("unknown_opcode", opcode=0x0A) == "unknown opcode 0a"


@pytest.mark.parametrize("line", ["", "processed 2 insns (limit 1000000)", "0: (b7) r0 = 0",
                                  "R1=ctx() R10=fp0", "jump out of range from insn x to 3",
                                  "the program has no instructions"])
def test_it_matches_nothing_that_is_not_a_logged_error(line):
    assert match(line) is None


def test_it_refuses_unknown_ids_and_wrong_parameters():
    with pytest.raises(MessageError, match="no message"):
        render("no_such_message")
    with pytest.raises(MessageError, match="missing \\['target'\\]"):
        render("jump_out_of_range", insn=1)
    with pytest.raises(MessageError, match="unexpected \\['extra'\\]"):
        render("div_by_zero", extra=1)
    with pytest.raises(MessageError, match="bad parameter"):
        render("unknown_opcode", opcode="ff")


@given(st.sampled_from(LOGGED), st.data())
def test_rendered_messages_read_back_to_their_id_and_parameters(entry, data):
    example = match(entry.example)[1]
    bounds = {"opcode": (0, 255), "atomic_op": (0, 2**32 - 1)}  # printed unsigned, in hex
    params = {name: data.draw(st.integers(*bounds.get(name, (-2**31, 2**31))))
              if isinstance(value, int) and name not in ("id", "fd") else value
              for name, value in example.items()}
    assert match(render(entry.id, **params)) == (entry.id, params)


@pytest.mark.kernel
@pytest.mark.parametrize("message_id", KERNEL_PROGRAMS)
def test_the_kernel_prints_each_message_the_corpus_lacks(message_id, kernel_comparisons):
    require_bpf()
    with kernel.prog_load(KERNEL_PROGRAMS[message_id],
                          log_level=kernel.LogLevel.EVERY_INSN) as loaded:
        found = [match(line) for line in loaded.log.splitlines()]
    assert message_id in {f[0] for f in found if f}
    kernel_comparisons()
