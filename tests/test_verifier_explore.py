"""The first verify(): structure, then the kernel's path exploration (explore.py, verify.py)."""

from __future__ import annotations

import pytest

from vm_service import kernel
from vm_service import verifier_corpus as corpus
from vm_service.asm import assemble
from vm_service.loader.kernel_enums import PROG_TYPES
from vm_service.verifier import verify
from vm_service.verifier.verify import VerifyInputError
from tests.support import require_bpf

ARRAY = {"type": "array", "key_size": 4, "value_size": 16, "max_entries": 4}
HASH = {"type": "hash", "key_size": 4, "value_size": 16, "max_entries": 4}


def code_of(text: str) -> bytes:
    return b"".join(insn.encode() for insn in assemble(text).instructions)


def check(text: str, prog_type: str = "kprobe", maps=None):
    return verify(code_of(text), prog_type, maps=maps)


def kernel_says(text: str, prog_type: str) -> tuple[bool, str]:
    """The live kernel's verdict and last error line (programs without maps)."""
    loaded = kernel.prog_load(code_of(text), PROG_TYPES[prog_type], "GPL",
                              log_level=kernel.LogLevel.BRANCHES)
    with loaded:
        answer = corpus.kernel_answer(loaded.ok, loaded.log)
    return answer.accepted, answer.error


# -- verdicts of simple programs ---------------------------------------------------------

def test_it_accepts_straight_line_alu():
    result = check("r0 = 5\nr0 += 3\nw0 *= 7\nr0 >>= 2\nexit")
    assert result.accepted is True
    assert result.error_lines == ()
    assert "processed 5 insns (limit 1000000)" in result.log


def test_it_rejects_exit_without_r0():
    result = check("r1 = 1\nexit")
    assert (result.accepted, result.error_lines, result.error_insn) == (False, ("R0 !read_ok",), 1)


def test_it_reports_structural_errors_without_an_instruction():
    result = check("r0 = 0")
    assert (result.accepted, result.error_lines, result.error_insn) == \
        (False, ("last insn is not an exit or jmp",), None)


def test_it_explores_both_sides_of_an_undecided_branch():
    text = "call bpf_get_prandom_u32\nif r0 > 5 goto +2\nr0 = 0\nexit\nexit"
    assert check(text).accepted is True
    bad = "call bpf_get_prandom_u32\nif r0 > 5 goto +2\nr0 = 0\nexit\nr0 = r3\nexit"
    result = check(bad)
    assert (result.accepted, result.error_lines, result.error_insn) == (False, ("R3 !read_ok",), 4)


def test_it_skips_the_side_a_constant_branch_never_takes():
    assert check("r1 = 3\nif r1 > 5 goto +2\nr0 = 0\nexit\nr0 = r3\nexit").accepted is True


def test_it_refines_linked_copies_of_a_scalar():
    text = ("call bpf_get_prandom_u32\nr6 = r0\nif r0 > 5 goto +3\n"
            "if r6 < 10 goto +1\nr0 = r3\nr0 = 0\nexit")
    assert check(text).accepted is True


def test_it_rejects_stack_writes_beyond_512_bytes():
    result = check("r1 = 1\n*(u64 *)(r10 -520) = r1\nr0 = 0\nexit")
    assert result.error_lines == ("invalid write to stack R10 off=-520 size=8",)
    assert result.error_insn == 1


def test_it_rejects_a_misaligned_stack_access():
    result = check("r1 = 1\n*(u64 *)(r10 -3) = r1\nr0 = 0\nexit")
    assert result.error_lines == ("misaligned stack access off 0+0+-3 size 8",)


def test_it_reads_back_what_was_spilled():
    text = "r1 = 7\n*(u64 *)(r10 -8) = r1\nr2 = *(u64 *)(r10 -8)\nif r2 == 7 goto +1\nr0 = r5\nr0 = 0\nexit"
    assert check(text).accepted is True


def test_it_accepts_a_bounded_loop():
    assert check("r1 = 0\nr1 += 1\nif r1 < 20 goto -2\nr0 = 0\nexit").accepted is True


def test_it_detects_an_infinite_loop():
    result = check("r0 = 0\nr1 = 1\nr2 = 2\nif r1 == 1 goto -2\nexit")
    assert result.accepted is False
    assert result.error_lines[0].startswith("infinite loop detected at insn")


# -- maps ----------------------------------------------------------------------------------

LOOKUP = "*(u32 *)(r10 -4) = {key}\nr2 = r10\nr2 += -4\nr1 = map[id:0]\ncall bpf_map_lookup_elem\n"


def test_it_rejects_a_map_value_used_before_its_null_check():
    result = check(LOOKUP.format(key=1) + "r1 = *(u64 *)(r0 +0)\nr0 = 0\nexit", maps=[HASH])
    assert result.error_lines == ("R0 invalid mem access 'map_value_or_null'",)
    assert result.error_insn == 6   # the ld_imm64 takes two slots


def test_it_accepts_a_map_value_after_its_null_check():
    text = LOOKUP.format(key=1) + "if r0 == 0 goto +1\nr1 = *(u64 *)(r0 +8)\nr0 = 0\nexit"
    assert check(text, maps=[HASH]).accepted is True


def test_it_rejects_access_beyond_the_value():
    text = LOOKUP.format(key=1) + "if r0 == 0 goto +1\nr1 = *(u64 *)(r0 +16)\nr0 = 0\nexit"
    result = check(text, maps=[HASH])
    assert result.error_lines == ("invalid access to map value, value_size=16 off=16 size=8",)


def test_it_knows_an_array_value_for_a_constant_key_is_never_null():
    text = ("r1 = 2\n*(u32 *)(r10 -8) = r1\nr2 = r10\nr2 += -8\nr1 = map[id:0]\n"
            "call bpf_map_lookup_elem\nr1 = *(u64 *)(r0 +0)\nr0 = 0\nexit")
    assert check(text, maps=[ARRAY]).accepted is True
    assert check(text, maps=[HASH]).accepted is False


# -- what is not modelled is said so --------------------------------------------------------

@pytest.mark.parametrize("text", [
    "r0 = *(u32 *)(r1 +0)\nexit",                       # context access
    "r1 = 1\ncall bpf_trace_printk\nr0 = 0\nexit",      # a helper not modelled
])
def test_it_answers_unsupported_instead_of_guessing(text):
    result = check(text)
    assert result.accepted is None
    assert result.reason


def test_it_answers_unsupported_when_a_loop_does_not_converge_quickly():
    result = check("r0 = 0\nr0 += 1\nif r0 < 900000 goto -2\nexit")
    assert result.accepted is None


def test_it_rejects_unknown_program_types():
    with pytest.raises(VerifyInputError):
        verify(code_of("r0 = 0\nexit"), "no_such_type")


# -- against the live kernel ---------------------------------------------------------------

KERNEL_CASES = [
    ("r0 = 2\nexit", "cgroup_skb"),
    ("r0 = 1\nexit", "cgroup_skb"),
    ("r0 = 99\nexit", "xdp"),
    ("r0 = 99\nexit", "socket_filter"),
    ("call bpf_get_smp_processor_id\nif r0 > 100 goto +1\nexit\nr0 = *(u64 *)(r5 +0)\nexit",
     "kprobe"),
    ("r1 = r10\nr0 = 0\nif r1 == 0 goto +1\nexit\nr0 = r5\nexit", "kprobe"),
    ("call bpf_get_prandom_u32\nr0 &= 7\nr1 = r10\nr1 += -64\nr1 += r0\nr0 = 0\nexit", "kprobe"),
    ("r0 = 0\nr1 = 1\nr2 = 2\nif r1 == 1 goto -2\nexit", "kprobe"),
]


@pytest.mark.kernel
@pytest.mark.parametrize("text, prog_type", KERNEL_CASES)
def test_its_verdict_and_error_are_the_kernels(kernel_comparisons, text, prog_type):
    require_bpf()
    result = check(text, prog_type)
    kernel_accepted, kernel_error = kernel_says(text, prog_type)
    kernel_comparisons()
    if result.accepted is None:
        return   # unsupported is an allowed answer; a verdict must be the kernel's
    assert result.accepted == kernel_accepted
    if not kernel_accepted:
        assert result.error_lines[0] == kernel_error


ASSEMBLY_ENTRIES = [entry for entry in corpus.read_manifest()
                    if corpus.source_path(entry).suffix == ".s"]


@pytest.mark.parametrize("entry", ASSEMBLY_ENTRIES, ids=lambda entry: entry.name)
def test_it_agrees_with_the_recorded_kernel_answer(entry):
    ours = corpus.our_answer(entry, verify)
    if ours is None:
        assert entry.stratum != "generated", "every generated program is modelled"
        return
    agreement = corpus.compare(entry.expected, ours)
    assert (agreement.verdict, agreement.insn, agreement.error) == (True, True, True), \
        f"kernel: {entry.expected}, ours: {ours}"
