"""The decoder: valid encodings come back whole, invalid ones are refused naming the slot."""

from __future__ import annotations

import struct

import pytest

from tests.conformance_data import conformance_root, vector_params
from vm_service.errors import DecodeError, ProgramError, VmError
from vm_service.isa import Insn, decode, encode, make
from vm_service.opcodes import BY_MNEMONIC, Pseudo
from vm_service.program import Program


def slot(opcode: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", opcode, (src << 4) | dst, off, imm)


EXIT = slot(0x95)
MOV_R0_1 = slot(0xB7, imm=1)


def decode_error(data: bytes) -> DecodeError:
    with pytest.raises(DecodeError) as caught:
        decode(data)
    return caught.value


def test_a_raw_slot_packs_and_unpacks_with_signed_fields():
    raw = Insn(0x7B, dst=10, src=1, off=-8, imm=-1)
    assert raw.pack() == bytes.fromhex("7b1af8ffffffffff")
    assert Insn.unpack(raw.pack()) == raw


def test_it_decodes_a_program_into_pcs_counting_slots():
    data = MOV_R0_1 + slot(0x18, dst=1, imm=0x44332211) + slot(0, imm=0x08776655) + EXIT
    decoded = decode(data)
    assert [pc for pc, _ in decoded] == [0, 1, 3]
    assert decoded[1][1].imm64 == 0x0877665544332211
    assert encode([insn for _, insn in decoded]) == data


def test_it_rejects_a_length_that_is_not_a_whole_number_of_slots():
    error = decode_error(MOV_R0_1 + b"\x95")
    assert error.pc == 1
    assert "not a multiple of 8" in error.message


@pytest.mark.parametrize("data, pc, message", [
    (slot(0x07, src=1, imm=5), 0, "(07) add uses reserved field src=1 (must be 0)"),
    (slot(0x0F, dst=1, src=2, imm=3), 0, "(0f) add uses reserved field imm=3 (must be 0)"),
    (slot(0x95, dst=1), 0, "(95) exit uses reserved field dst=1 (must be 0)"),
    (slot(0x07, off=1), 0, "(07) add has invalid off=1 (allowed: 0)"),
    (slot(0x3F, off=2), 0, "(3f) div has invalid off=2 (allowed: 0, 1)"),
    (slot(0xBC, off=32), 0, "(bc) mov32 has invalid off=32 (allowed: 0, 8, 16)"),
    (slot(0xBF, dst=1, src=2, off=1, imm=2), 0,
     "(bf) cast_kern/cast_user has invalid imm=0x2 (allowed: 0x1, 0x10000)"),
    (slot(0xD4, imm=8), 0, "(d4) le16/le32/le64 has invalid imm=0x8 (allowed: 0x10, 0x20, 0x40)"),
    (slot(0xDB, dst=1, src=2, imm=0x101), 0, "(db) atomic has invalid imm=0x101"),
    (slot(0xC3, dst=1, src=2, imm=0x100 | 0x1), 0, "(c3) atomic has invalid imm=0x101"),
    (slot(0xD3, dst=1, src=2, imm=0x00), 0,
     "(d3) ldacqb/strelb has invalid imm=0x0 (allowed: 0x100, 0x110)"),
    (slot(0x05, imm=1), 0, "(05) ja has invalid imm=0x1 (allowed: 0x0)"),
    (slot(0xE5, imm=1), 0, "(e5) may_goto has invalid imm=0x1 (allowed: 0x0)"),
    (MOV_R0_1 + slot(0x85, src=3, imm=1), 1, "(85) call with invalid src_reg 3"),
])
def test_it_rejects_reserved_fields_naming_the_instruction(data, pc, message):
    error = decode_error(data + EXIT)
    assert error.pc == pc
    assert message in error.message
    assert str(error).startswith(f"insn {pc}: ")


@pytest.mark.parametrize("register", range(11, 16))
def test_it_rejects_registers_beyond_r10(register):
    assert decode_error(slot(0xB7, dst=register)).message == f"(b7) invalid dst register r{register}"
    assert decode_error(slot(0xBF, src=register)).message == f"(bf) invalid src register r{register}"


@pytest.mark.parametrize("opcode, what", [
    (0x8D, "callx (JMP | CALL | X): not in Linux"),
    (0x0D, "gotox (JMP | JA | X): after Linux 6.18"),
    (0xDF, "ALU64 | END | X: no such byte swap"),
    (0x99, "LDX | MEMSX | DW: no 64-bit sign extension"),
    (0xE6, "JMP32 | JCOND"),
    (0xC2, "ST | nospec: kernel-internal"),
    (0x8E, "JMP32 | CALL"),
    (0xFF, "nothing"),
])
def test_it_rejects_unknown_opcodes(opcode, what):
    error = decode_error(MOV_R0_1 + slot(opcode, dst=2) + EXIT)
    assert (error.pc, error.message) == (1, f"unknown opcode 0x{opcode:02x}")


def test_the_reported_pc_counts_both_slots_of_ld_imm64():
    error = decode_error(slot(0x18, dst=1) + slot(0) + slot(0x8D))
    assert error.pc == 2


def test_it_rejects_a_truncated_ld_imm64():
    error = decode_error(MOV_R0_1 + slot(0x18, dst=1, imm=1))
    assert (error.pc, error.message) == (1, "(18) ld_imm64 is truncated: its second slot is missing")


@pytest.mark.parametrize("second", [slot(0x95), slot(0, dst=1), slot(0, src=1), slot(0, off=1)])
def test_it_rejects_a_bad_second_slot_of_ld_imm64(second):
    error = decode_error(slot(0x18, dst=1) + second + EXIT)
    assert error.pc == 1
    assert error.message == "invalid second slot of ld_imm64: opcode, registers and offset must be 0"


def test_it_rejects_an_unknown_pseudo_source_of_ld_imm64():
    error = decode_error(slot(0x18, dst=1, src=7) + slot(0) + EXIT)
    assert error.message == "(18) ld_imm64 with invalid src_reg 7 (pseudo forms are 0-6)"


@pytest.mark.parametrize("pseudo", [Pseudo.MAP_FD, Pseudo.MAP_IDX])
def test_map_loads_without_a_value_offset_must_leave_the_second_imm_zero(pseudo):
    error = decode_error(slot(0x18, dst=1, src=pseudo, imm=3) + slot(0, imm=8) + EXIT)
    assert error.pc == 0
    assert error.message.startswith("(18) unrecognized bpf_ld_imm64 insn")


@pytest.mark.parametrize("pseudo", [Pseudo.MAP_VALUE, Pseudo.BTF_ID, Pseudo.FUNC, Pseudo.MAP_IDX_VALUE])
def test_other_pseudo_loads_keep_the_second_imm(pseudo):
    (_, insn), _ = decode(slot(0x18, dst=1, src=pseudo, imm=0) + slot(0, imm=8) + EXIT)
    assert (insn.src, insn.next_imm) == (pseudo, 8)


@pytest.mark.parametrize("mnemonic, data", [
    ("ldacqdw", slot(0xDB, dst=0, src=10, off=-8, imm=0x100)),
    ("ldacqb", slot(0xD3, dst=0, src=10, off=-8, imm=0x100)),
    ("strelh", slot(0xCB, dst=10, src=1, off=-16, imm=0x110)),
    ("may_goto", slot(0xE5, off=3)),
    ("cast_kern", slot(0xBF, dst=1, src=2, off=1, imm=1)),
    ("cast_user", slot(0xBF, dst=1, src=2, off=1, imm=0x10000)),
    ("sdiv", slot(0x3F, dst=1, src=2, off=1)),
    ("movsx3264", slot(0xBF, dst=1, src=2, off=32)),
    ("ldxsw", slot(0x81, dst=1, src=2, off=4)),
    ("ja32", slot(0x06, imm=-1)),
])
def test_it_decodes_linux_6_18_additions(mnemonic, data):
    (_, insn), = decode(data)
    assert insn.spec.mnemonic == mnemonic
    assert insn.encode() == data


def test_make_fills_pinned_fields_from_the_row():
    insn = make(BY_MNEMONIC["be16"][0], dst=3)
    assert (insn.imm, insn.off) == (16, 0)
    assert insn.encode() == slot(0xDC, dst=3, imm=16)


def test_a_program_checks_jumps_land_on_instructions():
    with pytest.raises(ProgramError, match="jump into the middle of ldimm64 insn 1"):
        Program.from_bytes(slot(0x05, off=1) + slot(0x18) + slot(0) + EXIT)


UNUSED = [p.values[0] for p in vector_params("bpf_conformance/negative")
          if p.values[0] is not None and p.values[0]["name"].startswith("unused-")]


def test_the_unused_field_vectors_are_all_present():
    if not UNUSED:
        pytest.skip(f"no conformance vectors under {conformance_root()} (set PLAYGROUND_CONFORMANCE)")
    assert len(UNUSED) == 45


@pytest.mark.parametrize("vector", UNUSED, ids=lambda v: v["name"])
def test_it_rejects_every_unused_field_vector(vector):
    with pytest.raises(VmError) as caught:
        Program.from_bytes(bytes.fromhex(vector["program_hex"]))
    assert isinstance(caught.value, DecodeError)
    assert caught.value.pc == 0
