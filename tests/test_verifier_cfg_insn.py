"""The per-instruction checks do_check makes before reading state (``cfg.check_instruction``).

Each program initialises r0..r9 (so no register is unreadable), stores r1 to
the stack, then runs the instruction under test at slot 12, then ``r0 = 0;
exit`` (an ``exit`` under test ends the program itself). The kernel reaches
slot 12 on its only path, so when we name an error there, the kernel's first
error line must be ours, at slot 12; when we name none, the kernel's error (if
any) must not be one of the field checks.
"""

from __future__ import annotations

import random
import struct

import pytest

from tests.support import require_bpf
from vm_service import kernel
from vm_service.isa import Insn
from vm_service.opcodes import BY_OPCODE
from vm_service.verifier import messages
from vm_service.verifier.cfg import StructureUnsupported, check_instruction, check_structure
from vm_service.verifier_corpus import kernel_answer

UNDER_TEST = 12
# Every message check_instruction may give: when it gives none, the kernel gives none of these
# at the instruction under test.
FIELD_CHECKS = {"uses_reserved_fields", "invalid_func", "atomic_invalid_opcode",
                "atomic_operand_size", "addr_space_cast_spaces", "addr_space_cast_without_arena",
                "invalid_may_goto", "ld_abs_not_allowed", "invalid_register",
                "frame_pointer_read_only", "not_read_ok", "div_by_zero", "invalid_shift"}
GENERATED = 2000
SOCKET_FILTER, XDP = kernel.ProgType.SOCKET_FILTER, kernel.ProgType.XDP


def slot(opcode: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", opcode, (src << 4) | dst, off, imm)


PREFIX = (b"".join(slot(0xB7, reg) for reg in range(10)) + slot(0x7B, 10, 1, -8)
          + slot(0xBF, 2, 10))  # r0..r9 = 0; *(u64 *)(r10 - 8) = r1; r2 = r10
assert len(PREFIX) // 8 == UNDER_TEST


def program(under_test: bytes) -> bytes:
    ends = slot(under_test[0]) == slot(0x95) and len(under_test) == 8
    return PREFIX + under_test + (b"" if ends else slot(0xB7) + slot(0x95))


# name -> (the instruction's slots, program type, the message id we expect or None)
CASES: dict[str, tuple[bytes, int, str | None]] = {
    "valid_add": (slot(0x07, 3, 0, 0, 1), SOCKET_FILTER, None),
    "alu_imm_with_src": (slot(0x07, 3, 1, 0, 1), SOCKET_FILTER, "uses_reserved_fields"),
    "alu_signed_off_on_add": (slot(0x07, 3, 0, 1, 3), SOCKET_FILTER, "uses_reserved_fields"),
    "alu_reg_with_imm": (slot(0x0F, 3, 1, 0, 3), SOCKET_FILTER, "uses_reserved_fields"),
    "alu_dst_r11": (slot(0x07, 11, 0, 0, 1), SOCKET_FILTER, "invalid_register"),
    "alu_reg_src_r12": (slot(0x0F, 3, 12), SOCKET_FILTER, "invalid_register"),
    "neg_with_imm": (slot(0x87, 3, 0, 0, 1), SOCKET_FILTER, "uses_reserved_fields"),
    "byte_swap_width_8": (slot(0xD4, 3, 0, 0, 8), SOCKET_FILTER, "uses_reserved_fields"),
    "mov_into_r10": (slot(0xB7, 10, 0, 0, 1), SOCKET_FILTER, "frame_pointer_read_only"),
    "mov_src_r11": (slot(0xBF, 0, 11), SOCKET_FILTER, "invalid_register"),
    "mov32_sign_extend_32": (slot(0xBC, 0, 1, 32), SOCKET_FILTER, "uses_reserved_fields"),
    "address_space_cast": (slot(0xBF, 0, 1, 1, 1), SOCKET_FILTER, "addr_space_cast_without_arena"),
    "address_space_cast_bad_spaces": (slot(0xBF, 0, 1, 1, 5), SOCKET_FILTER,
                                      "addr_space_cast_spaces"),
    "ldx_src_r11": (slot(0x79, 0, 11), SOCKET_FILTER, "invalid_register"),
    "stx_with_imm": (slot(0x7B, 10, 1, -8, 3), SOCKET_FILTER, "uses_reserved_fields"),
    "st_with_src": (slot(0x7A, 10, 1, -8, 3), SOCKET_FILTER, "uses_reserved_fields"),
    "st_dst_r11": (slot(0x7A, 11, 0, -8, 3), SOCKET_FILTER, "invalid_register"),
    "atomic_unknown_operation": (slot(0xDB, 10, 1, -8, 2), SOCKET_FILTER, "atomic_invalid_opcode"),
    "atomic_add_on_a_byte": (slot(0xD3, 10, 1, -8, 0), SOCKET_FILTER, "atomic_operand_size"),
    "goto_with_imm": (slot(0x05, 0, 0, 0, 1), SOCKET_FILTER, "uses_reserved_fields"),
    "gotol_with_off": (slot(0x06, 0, 0, 1, 0), SOCKET_FILTER, "uses_reserved_fields"),
    "jump_imm_with_src": (slot(0x15, 0, 1, 0, 3), SOCKET_FILTER, "uses_reserved_fields"),
    "jump_reg_with_imm": (slot(0x1D, 0, 1, 0, 3), SOCKET_FILTER, "uses_reserved_fields"),
    "jump_dst_r11": (slot(0x15, 11, 0, 0, 0), SOCKET_FILTER, "invalid_register"),
    "may_goto_with_imm": (slot(0xE5, 0, 0, 0, 3), SOCKET_FILTER, "invalid_may_goto"),
    "call_with_off": (slot(0x85, 0, 0, 1, 5), SOCKET_FILTER, "uses_reserved_fields"),
    "call_with_dst": (slot(0x85, 1, 0, 0, 5), SOCKET_FILTER, "uses_reserved_fields"),
    "call_with_src_3": (slot(0x85, 0, 3, 0, 5), SOCKET_FILTER, "uses_reserved_fields"),
    "call_helper_minus_1": (slot(0x85, 0, 0, 0, -1), SOCKET_FILTER, "invalid_func"),
    "call_helper_99999": (slot(0x85, 0, 0, 0, 99999), SOCKET_FILTER, "invalid_func"),
    "exit_with_dst": (slot(0x95, 1), SOCKET_FILTER, "uses_reserved_fields"),
    "exit_with_off": (slot(0x95, 0, 0, 5), SOCKET_FILTER, None),
    "ld_imm64_with_off": (slot(0x18, 0, 0, 1) + slot(0), SOCKET_FILTER, "uses_reserved_fields"),
    "ld_imm64_into_r10": (slot(0x18, 10) + slot(0), SOCKET_FILTER, "frame_pointer_read_only"),
    "ld_imm64_into_r12": (slot(0x18, 12) + slot(0), SOCKET_FILTER, "invalid_register"),
    "legacy_load_with_dst": (slot(0x20, 1), SOCKET_FILTER, "uses_reserved_fields"),
    "legacy_load_in_xdp": (slot(0x20, 0), XDP, "ld_abs_not_allowed"),
}


ALL = frozenset(range(11))
ENTRY = frozenset({0, 1})  # after "r0 = 0": r1 holds the context, r10 the frame


def ours(code: bytes, prog_type: int, at: int = UNDER_TEST, initialised=ALL):
    structure = check_structure(code, map_fds=set())  # these tests create no maps
    assert structure.ok, structure.error
    return check_instruction(Insn.unpack(code, at * 8), at, prog_type, initialised)


def disagreement(code: bytes, prog_type: int, at: int = UNDER_TEST, initialised=ALL) -> str | None:
    error = ours(code, prog_type, at, initialised)
    with kernel.prog_load(code, prog_type, log_level=kernel.LogLevel.BRANCHES) as loaded:
        answer = kernel_answer(loaded.ok, loaded.log)
    if error is not None:
        if (answer.accepted, answer.error, answer.error_insn) != (False, error.text, at):
            return f"ours {error.text!r} at {at}, kernel {answer}"
        return None
    found = messages.match(answer.error) if answer.error else None
    if found and found[0] in FIELD_CHECKS and answer.error_insn == at:
        return f"we see nothing wrong, the kernel says {answer.error!r}"
    return None


@pytest.mark.parametrize("name", CASES)
def test_it_names_the_field_error_of_each_hand_written_instruction(name):
    under_test, prog_type, expected = CASES[name]
    error = ours(program(under_test), prog_type)
    assert (error.message_id if error else None) == expected


def test_it_renders_the_kernels_wording():
    error = ours(program(slot(0x85, 0, 0, 0, 99999)), SOCKET_FILTER)
    assert (error.text, error.insn) == ("invalid func unknown#99999", UNDER_TEST)
    error = ours(program(slot(0xDB, 10, 1, -8, -1)), SOCKET_FILTER)
    assert error.text == "BPF_ATOMIC uses invalid atomic opcode ffffffff"


@pytest.mark.kernel
@pytest.mark.parametrize("name", CASES)
def test_it_matches_the_kernel_on_hand_written_instructions(name, kernel_comparisons):
    require_bpf()
    under_test, prog_type, _ = CASES[name]
    assert disagreement(program(under_test), prog_type) is None
    kernel_comparisons()


def generated_instruction(rng: random.Random) -> bytes:
    """A known opcode with fields biased towards the values the checks care about."""
    opcode = rng.choice(sorted(BY_OPCODE))
    dst = rng.choice([0, 1, 3, 3, 3, 10, 11])
    src = rng.choice([0, 0, 1, 1, 2, 3, 11])
    off = rng.choice([0, 0, 0, 1, 8, 16, 32, -8, 2])
    imm = rng.choice([0, 0, 1, 5, 16, 32, 64, 2, 0x41, 0xE1, 0x100, 0x110, -1, 1000, 1 << 16])
    first = slot(opcode, dst, src, off, imm)
    return first + slot(0) if opcode == 0x18 else first


@pytest.mark.kernel
def test_it_matches_the_kernel_on_generated_instructions(kernel_comparisons):
    require_bpf()
    rng = random.Random(1123)
    failures, verdicts, compared = [], {}, 0
    while compared < GENERATED:
        under_test = generated_instruction(rng)
        short = rng.random() < 0.3  # only r0, r1 and r10 initialised
        code, at, initialised = ((short_program(under_test), 1, ENTRY) if short
                                 else (program(under_test), UNDER_TEST, ALL))
        prog_type = rng.choice([SOCKET_FILTER, XDP])
        try:
            if not check_structure(code, map_fds=set()).ok:
                continue  # e.g. a jump past the end: structural, tested elsewhere
        except StructureUnsupported:
            continue  # ld_imm64 of a kernel BTF id
        error = ours(code, prog_type, at, initialised)
        key = error.message_id if error else "none"
        verdicts[key] = verdicts.get(key, 0) + 1
        if (why := disagreement(code, prog_type, at, initialised)) is not None:
            failures.append((under_test.hex(), int(prog_type), why))
        compared += 1
    kernel_comparisons(compared)
    print("field verdicts of the generated instructions:", verdicts)
    assert not failures, failures[:5]
    assert len(verdicts) >= 10, verdicts


# With only r0 = 0 before it (r1 = ctx and r10 are set on entry), the instruction at
# slot 1 finds r2..r9 uninitialised: the order of the kernel's checks shows.
UNINITIALISED_CASES: dict[str, tuple[bytes, str]] = {
    "alu_reads_src": (slot(0x0F, 0, 3), "R3 !read_ok"),
    "alu_reads_dst_before_div_by_zero": (slot(0x37, 3, 0, 0, 0), "R3 !read_ok"),
    "div_by_zero_after_reading_dst": (slot(0x37, 0, 0, 0, 0), "div by zero"),
    "shift_too_wide": (slot(0x67, 0, 0, 0, 64), "invalid shift 64"),
    "shift_too_wide_in_r10": (slot(0x67, 10, 0, 0, 64), "invalid shift 64"),
    "jump_reads_dst_before_fields": (slot(0x15, 3, 1, 0, 0), "R3 !read_ok"),
    "jump_fields_before_src": (slot(0x1D, 0, 3, 0, 1), "BPF_JMP/JMP32 uses reserved fields"),
    "cmpxchg_reads_r0_last": (slot(0xDB, 10, 1, -8, 0xF1), None),
    "store_reads_src": (slot(0x7B, 10, 4, -8), "R4 !read_ok"),
    "legacy_load_reads_r6": (slot(0x30, 0, 0, 0, 0), "R6 !read_ok"),
}


def short_program(under_test: bytes) -> bytes:
    return slot(0xB7) + under_test + slot(0xB7) + slot(0x95)


@pytest.mark.parametrize("name", UNINITIALISED_CASES)
def test_it_checks_initialised_registers_in_the_kernels_order(name):
    under_test, expected = UNINITIALISED_CASES[name]
    error = check_instruction(Insn.unpack(under_test), 1, SOCKET_FILTER, frozenset({0, 1}))
    assert (error.text if error else None) == expected


@pytest.mark.kernel
@pytest.mark.parametrize("name", UNINITIALISED_CASES)
def test_it_matches_the_kernel_on_uninitialised_registers(name, kernel_comparisons):
    require_bpf()
    under_test, expected = UNINITIALISED_CASES[name]
    with kernel.prog_load(short_program(under_test), log_level=kernel.LogLevel.BRANCHES) as loaded:
        answer = kernel_answer(loaded.ok, loaded.log)
    if expected is None:
        assert answer.error is None or messages.match(answer.error)[0] not in FIELD_CHECKS
    else:
        assert (answer.error, answer.error_insn) == (expected, 1)
    kernel_comparisons()
