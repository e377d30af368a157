"""The verifier's structural checks (``vm_service.verifier.cfg``), alone and against Linux.

Hand-written programs with each structural fault, and a seeded generator of
short programs that mixes valid instructions with broken jumps, calls,
ld_imm64 pairs and unknown opcodes, are checked here and loaded in the live
kernel with the level-2 log. A structural refusal must be the kernel's: same
errno, and the log's lines before ``processed ...`` exactly ours (the
``func#N @start`` lines, then the error). A structural pass must be a pass for
the kernel's structural passes too: its log starts with our ``func#`` lines
and its first line after them is no structural message of the catalogue.
"""

from __future__ import annotations

import errno
import random
import struct

import pytest
from hypothesis import given, settings, strategies as st

from tests.support import require_bpf
from vm_service import kernel
from vm_service.asm import assemble
from vm_service.verifier import messages
from vm_service.verifier.cfg import (MAX_INSNS, StructureInputError, StructureUnsupported,
                                     Subprogram, check_structure)

STRUCTURAL = {"empty_program", "program_too_long", "call_to_invalid_destination",
              "too_many_subprograms", "jump_out_of_range", "last_insn_not_exit",
              "invalid_ld_imm64", "unrecognized_ld_imm64", "fd_idx_without_fd_array",
              "not_a_map_fd", "unknown_opcode", "unreachable_insn", "jump_into_ldimm64"}
GENERATED = 2000


def slot(opcode: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", opcode, (src << 4) | dst, off, imm)


R0_0 = slot(0xB7)                         # r0 = 0
EXIT = slot(0x95)
def JA(off): return slot(0x05, off=off)   # noqa: E704  goto +off
def JEQ(off): return slot(0x15, 1, 0, off, 0)  # noqa: E704  if r1 == 0 goto +off
def CALL(imm): return slot(0x85, src=1, imm=imm)  # noqa: E704  local call
def LDDW(src=0, imm=0, second=b""): return slot(0x18, 0, src, 0, imm) + (second or slot(0))  # noqa: E704


# name -> (bytecode, the message id we expect, or None for a structural pass)
CASES: dict[str, tuple[bytes, str | None]] = {
    "minimal": (R0_0 + EXIT, None),
    "local_call": (R0_0 + CALL(1) + EXIT + R0_0 + EXIT, None),
    "call_lands_on_ld_imm64": (CALL(1) + EXIT + LDDW(imm=1) + EXIT, None),
    "function_pointer": (LDDW(src=4, imm=3) + R0_0 + EXIT + R0_0 + EXIT, None),
    "bounded_loop_back_edge": (slot(0xB7, 1, 0, 0, 3) + slot(0x17, 1, 0, 0, 1)
                               + slot(0x55, 1, 0, -2, 0) + R0_0 + EXIT, None),
    "ends_with_goto": (R0_0 + JA(1) + EXIT + JA(-2), None),
    "gotol_ends_program": (R0_0 + JEQ(1) + EXIT + slot(0x06, imm=-2), None),
    "empty": (b"", "empty_program"),
    "unreachable_after_exit": (R0_0 + EXIT + R0_0 + EXIT, "unreachable_insn"),
    "uncalled_subprogram": (R0_0 + EXIT + JA(-1), "unreachable_insn"),
    "jump_past_the_end": (R0_0 + JA(10) + EXIT, "jump_out_of_range"),
    "jump_before_the_start": (R0_0 + JA(-5) + EXIT, "jump_out_of_range"),
    "conditional_jump_past_the_end": (R0_0 + JEQ(7) + EXIT, "jump_out_of_range"),
    "gotol_past_the_end": (R0_0 + slot(0x06, imm=40) + EXIT, "jump_out_of_range"),
    "jump_into_another_subprogram": (CALL(2) + JA(1) + EXIT + R0_0 + EXIT, "jump_out_of_range"),
    "no_exit": (R0_0, "last_insn_not_exit"),
    "subprogram_falls_through": (R0_0 + CALL(1) + EXIT + R0_0 + slot(0x07), "last_insn_not_exit"),
    "ends_with_half_an_ld_imm64": (R0_0 + EXIT + slot(0x18), "last_insn_not_exit"),
    "ends_with_conditional_jump": (R0_0 + JEQ(-2), "last_insn_not_exit"),
    "call_past_the_end": (R0_0 + CALL(10) + EXIT, "call_to_invalid_destination"),
    "call_before_the_start": (CALL(-5) + EXIT, "call_to_invalid_destination"),
    "function_pointer_past_the_end": (LDDW(src=4, imm=30) + EXIT, "call_to_invalid_destination"),
    "unknown_opcode": (R0_0 + slot(0xFF) + EXIT, "unknown_opcode"),
    "neg_with_register_operand": (slot(0x8F) + R0_0 + EXIT, "unknown_opcode"),
    "ldx_with_imm": (slot(0x61, 0, 1, 0, 5) + R0_0 + EXIT, "uses_reserved_fields"),
    "ldx_in_abs_mode": (slot(0x21, 0, 1) + R0_0 + EXIT, "uses_reserved_fields"),
    "ld_imm64_bad_second_slot": (LDDW(second=slot(0, 1)) + EXIT, "invalid_ld_imm64"),
    "ld_imm64_unknown_pseudo": (LDDW(src=7) + EXIT, "unrecognized_ld_imm64"),
    "ld_imm64_map_fd_with_offset": (LDDW(src=1, imm=3, second=slot(0, imm=4)) + EXIT,
                                    "unrecognized_ld_imm64"),
    "ld_imm64_map_index": (LDDW(src=5) + R0_0 + EXIT, "fd_idx_without_fd_array"),
    "jump_into_ld_imm64": (R0_0 + JEQ(1) + LDDW(imm=1) + EXIT, "jump_into_ldimm64"),
    "jump_over_ld_imm64_start": (JA(1) + LDDW(imm=1) + R0_0 + EXIT, "unreachable_insn"),
}


def kernel_lines(log: str) -> list[str]:
    """The log's lines before the statistics line."""
    lines = []
    for line in log.splitlines():
        if line.startswith("processed "):
            break
        lines.append(line)
    return lines


def disagreement(code: bytes, map_fds=None) -> str | None:
    """None if the kernel agrees with check_structure on ``code``, else what differs."""
    ours = check_structure(code, map_fds=map_fds)
    with kernel.prog_load(code, kernel.ProgType.SOCKET_FILTER,
                          log_level=kernel.LogLevel.EVERY_INSN) as loaded:
        lines = kernel_lines(loaded.log)
        if ours.ok:
            count = len(ours.log_lines)
            if tuple(lines[:count]) != ours.log_lines:
                return f"ours {ours.log_lines}, kernel {lines[:count + 1]}"
            after = messages.match(lines[count]) if len(lines) > count else None
            if after and after[0] in STRUCTURAL:
                return f"we pass, the kernel says {lines[count]!r}"
            return None
        if loaded.ok:
            return f"we refuse ({ours.log_lines}), the kernel accepts"
        if loaded.errno != ours.error.errno:
            return f"errno {ours.error.errno} here, {loaded.errno} in the kernel ({lines})"
        if tuple(lines) != ours.log_lines:
            return f"ours {ours.log_lines}, kernel {lines}"
        return None


# -- alone --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", CASES)
def test_it_gives_each_hand_written_program_its_structural_verdict(name):
    code, expected = CASES[name]
    result = check_structure(code)
    assert (result.error.message_id if result.error else None) == expected
    if expected and messages.message(expected).in_log:
        assert result.log_lines[-1] == result.error.text


def test_it_lists_subprograms_and_their_log_lines():
    result = check_structure(R0_0 + CALL(1) + EXIT + R0_0 + EXIT)
    assert result.subprograms == (Subprogram(0, 0, 3), Subprogram(1, 3, 5))
    assert result.log_lines == ("func#0 @0", "func#1 @3")
    assert check_structure(R0_0 + EXIT, log_level=kernel.LogLevel.BRANCHES).log_lines == ()


def test_it_reports_the_jump_and_its_target():
    error = check_structure(R0_0 + JA(10) + EXIT).error
    assert (error.insn, error.params, error.text) == (
        1, {"insn": 1, "target": 12}, "jump out of range from insn 1 to 12")


def test_it_accepts_a_program_object_as_input():
    program = assemble("r0 = 0\nexit").program()
    assert check_structure(program).ok


def test_it_refuses_a_map_fd_that_names_no_map():
    code = LDDW(src=1, imm=999) + R0_0 + EXIT
    assert check_structure(code).ok  # no fds given: not checked
    error = check_structure(code, map_fds=set()).error
    assert (error.message_id, error.errno, error.text) == (
        "not_a_map_fd", errno.EBADF, "fd 999 is not pointing to valid bpf_map")


def test_it_refuses_a_program_over_the_size_limit_without_a_log_line():
    error = check_structure(R0_0 * MAX_INSNS + EXIT).error
    assert (error.message_id, error.errno, error.logged) == ("program_too_long", errno.E2BIG, False)
    assert check_structure(R0_0 + EXIT).ok


def test_it_refuses_more_than_256_subprograms():
    # insn i calls the one-slot subprogram ("exit") at 257 + i: 256 of them, plus main.
    calls = CALL(256) * 256
    result = check_structure(calls + EXIT + EXIT * 256)
    assert result.error.message_id == "too_many_subprograms"


def test_it_rejects_bytes_that_are_not_whole_instructions():
    with pytest.raises(StructureInputError, match="not a multiple of 8"):
        check_structure(b"\x95" * 9)


@pytest.mark.parametrize("code", [slot(0x85, src=2, imm=1) + EXIT,
                                  LDDW(src=3, imm=1) + R0_0 + EXIT])
def test_it_says_kernel_btf_forms_are_not_checked_yet(code):
    with pytest.raises(StructureUnsupported, match="insn 0: .*BTF"):
        check_structure(code)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0x05, 0x06, 0x15, 0x18, 0x61, 0x85, 0x95, 0xB7, 0x00,
                                           0xFF, 0x21]),
                          st.integers(0, 11), st.sampled_from([0, 1, 4, 5]),
                          st.integers(-4, 6), st.integers(-4, 6)), max_size=12))
def test_every_program_gets_a_verdict_or_a_clear_error(fields):
    code = b"".join(slot(*f) for f in fields)
    try:
        result = check_structure(code)
    except StructureUnsupported:
        return
    if result.ok:
        starts = [s.start for s in result.subprograms]
        assert starts[0] == 0 and starts == sorted(set(starts))
        assert result.reached <= set(range(len(fields)))
    else:
        assert messages.match(result.error.text) or not result.error.logged


# -- against the kernel -----------------------------------------------------------------

@pytest.mark.kernel
@pytest.mark.parametrize("name", CASES)
def test_it_matches_the_kernel_on_hand_written_programs(name, kernel_comparisons):
    require_bpf()
    assert disagreement(CASES[name][0]) is None
    kernel_comparisons()


@pytest.mark.kernel
def test_it_matches_the_kernel_on_a_map_fd_that_names_no_map(kernel_comparisons):
    require_bpf()
    assert disagreement(LDDW(src=1, imm=999) + R0_0 + EXIT, map_fds=set()) is None
    kernel_comparisons()


@pytest.mark.kernel
def test_it_matches_the_kernel_on_the_size_limits(kernel_comparisons):
    require_bpf()
    too_long = R0_0 * MAX_INSNS + EXIT
    for code in (b"", too_long):
        loaded = kernel.prog_load(code, log_level=kernel.LogLevel.BRANCHES)
        assert (loaded.ok, loaded.errno, loaded.log) == (False, errno.E2BIG, "")
        assert check_structure(code).error.errno == errno.E2BIG
    kernel_comparisons(2)


@pytest.mark.kernel
def test_it_matches_the_kernel_on_too_many_subprograms(kernel_comparisons):
    require_bpf()
    assert disagreement(CALL(256) * 256 + EXIT + EXIT * 256) is None
    assert disagreement(CALL(255) * 255 + EXIT + EXIT * 255) is None  # 256 subprograms: the limit
    kernel_comparisons(2)


def generated_program(rng: random.Random) -> bytes:
    """A short program, mostly valid, with a chance of each structural fault."""
    count = rng.randint(1, 14)
    out = []
    for pc in range(count):
        roll = rng.random()
        left = count - pc

        def offset() -> int:  # mostly inside the program, sometimes just past either end
            return rng.randint(0, left - 1) if rng.random() < 0.9 else rng.choice([left + 1, -pc - 2])

        if roll < 0.30:
            out.append(slot(0xB7, rng.randint(0, 9), 0, 0, rng.randint(-5, 5)))
        elif roll < 0.45:
            out.append(slot(rng.choice([0x15, 0x55, 0xA5, 0x1D]), 1, 2, offset()))
        elif roll < 0.52:
            out.append(slot(0x05, off=offset()))
        elif roll < 0.60:
            out.append(slot(0x85, src=1, imm=offset()))
        elif roll < 0.64:
            out.append(slot(0x85, imm=rng.choice([5, 7])))  # helpers every program type has
        elif roll < 0.74:
            second = slot(0) if rng.random() < 0.85 else slot(0, 1)
            src = rng.choice([0, 0, 0, 4, 7])
            out.append(slot(0x18, 0, src, 0, offset() if src == 4 else 9) + second)
        elif roll < 0.78:
            out.append(slot(rng.randrange(256)))
        elif roll < 0.82:
            out.append(slot(0x61, 0, 1, 0, rng.choice([0, 0, 1])))  # r0 = *(u32 *)(r1 + 0)
        else:
            out.append(EXIT)
    if rng.random() < 0.9:
        out.append(EXIT)
    return b"".join(out)


@pytest.mark.kernel
def test_it_matches_the_kernel_on_generated_programs(kernel_comparisons):
    require_bpf()
    rng = random.Random(20261123)
    failures, verdicts = [], {}
    compared = 0
    while compared < GENERATED:
        code = generated_program(rng)
        try:
            result = check_structure(code)
        except StructureUnsupported:
            continue
        key = result.error.message_id if result.error else "pass"
        verdicts[key] = verdicts.get(key, 0) + 1
        if (why := disagreement(code)) is not None:
            failures.append((code.hex(), why))
        compared += 1
    kernel_comparisons(compared)
    print("structural verdicts of the generated programs:", verdicts)
    assert not failures, failures[:5]
    assert verdicts["pass"] > GENERATED // 10 and len(verdicts) >= 9, verdicts
