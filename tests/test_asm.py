"""The assembler: kernel/LLVM syntax, the uBPF dialect, labels and every error with its line and column."""

from __future__ import annotations

import pytest

from vm_service.asm import Assembly, assemble
from vm_service.errors import AsmError, ProgramError
from vm_service.program import Program


def hex_of(text: str) -> str:
    return b"".join(insn.encode() for insn in assemble(text).instructions).hex()


def asm_error(text: str) -> AsmError:
    with pytest.raises(AsmError) as caught:
        assemble(text)
    return caught.value


# Encodings checked against llvm-mc 22 (kernel syntax) and bpf_conformance's vectors (uBPF).
KERNEL_SYNTAX = [
    ("r0 = 1", "b700000001000000"),
    ("w1 += w2", "0c21000000000000"),
    ("r0 = -r0", "8700000000000000"),
    ("w0 = -w0", "8400000000000000"),
    ("r0 s/= r1", "3f10010000000000"),
    ("r0 s%= r1", "9f10010000000000"),
    ("r1 = (s8)r2", "bf21080000000000"),
    ("w1 = (s16)w2", "bc21100000000000"),
    ("r0 = be16 r0", "dc00000010000000"),
    ("r0 = le32 r0", "d400000020000000"),
    ("r0 = bswap64 r0", "d700000040000000"),
    ("if r1 s> r2 goto +3", "6d21030000000000"),
    ("if r1 & 0x10 goto +1", "4501010010000000"),
    ("if w1 == -1 goto -1", "1601ffffffffffff"),
    ("goto +2", "0500020000000000"),
    ("gotol +2", "0600000002000000"),
    ("may_goto +3", "e500030000000000"),
    ("*(u32 *)(r10 - 4) = r1", "631afcff00000000"),
    ("*(u8 *)(r1 + 0) = 7", "7201000007000000"),
    ("r0 = *(u64 *)(r1 + 8)", "7910080000000000"),
    ("r0 = *(s16 *)(r1 + 2)", "8910020000000000"),
    ("w0 = *(u8 *)(r1 - 0x3)", "7110fdff00000000"),
    ("r1 = 0x1 ll", "18010000010000000000000000000000"),
    ("r1 = -1 ll", "18010000ffffffff00000000ffffffff"),
    ("lock *(u64 *)(r1 + 0) += r2", "db21000000000000"),
    ("lock *(u32 *)(r1 + 0) |= w2", "c321000040000000"),
    ("r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)", "db21000001000000"),
    ("r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)", "db21000001000000"),
    ("w2 = atomic_fetch_and((u32 *)(r1 + 0), w2)", "c321000051000000"),
    ("r2 = xchg_64(r1 + 0, r2)", "db210000e1000000"),
    ("w2 = xchg32_32(r1 + 0, w2)", "c3210000e1000000"),
    ("r0 = cmpxchg_64(r1 + 0, r0, r2)", "db210000f1000000"),
    ("w0 = cmpxchg32_32(r1 + 0, w0, w2)", "c3210000f1000000"),
    ("r0 = load_acquire((u64 *)(r1 + 0))", "db10000000010000"),
    ("store_release((u32 *)(r1 + 0), w2)", "c321000010010000"),
    ("r1 = addr_space_cast(r2, 0, 1)", "bf21010001000000"),
    ("call 1", "8500000001000000"),
    ("call bpf_map_lookup_elem", "8500000001000000"),
    ("call bpf_map_lookup_elem#1", "8500000001000000"),
    ("call unknown#9999", "850000000f270000"),
    ("call kernel-function#77", "852000004d000000"),
    ("call bpf_obj_new_impl#77", "852000004d000000"),
    ("call pc+3", "8510000003000000"),
    ("exit", "9500000000000000"),
    ("r0 = *(u8 *)skb[4]", "3000000004000000"),
    ("r0 = *(u16 *)skb[r1 + 2]", "4810000002000000"),
    ("r0 = *(u16 *)skb[r1]", "4810000000000000"),
]

UBPF_DIALECT = [
    ("mov32 %r0, 0", "b400000000000000"),
    ("mov r0, -1", "b7000000ffffffff"),
    ("ldxw r1, [r1+4]", "6111040000000000"),
    ("ldxb %r0, [%r1]", "7110000000000000"),
    ("stxdw [%r10-8], %r0", "7b0af8ff00000000"),
    ("stw [%r1+2], 0x44332211", "6201020011223344"),
    ("add %r9, 0xffffffff", "07090000ffffffff"),
    ("jeq %r1, 5, +2", "1501020005000000"),
    ("jne32 %r1, %r2, -1", "5e21ffff00000000"),
    ("ja32 +1", "0600000001000000"),
    ("lddw %r0, 0x8877665544332211", "18000000112233440000000055667788"),
    ("lddw %r0, -2", "18000000feffffff00000000ffffffff"),
    ("lock add [%r10-8], %r1", "db1af8ff00000000"),
    ("lock fetch add32 [%r10-8], %r1", "c31af8ff01000000"),
    ("lock xchg32 [%r10-8], %r1", "c31af8ffe1000000"),
    ("lock cmpxchg [%r10-8], %r1", "db1af8fff1000000"),
    ("call 1", "8500000001000000"),
    ("call helper 5", "8500000005000000"),
    ("call runtime 77", "852000004d000000"),
    ("call local +1", "8510000001000000"),
    ("le16 %r0", "d400000010000000"),
    ("be64 %r0", "dc00000040000000"),
    ("bswap32 %r0", "d700000020000000"),
    ("swap32 %r0", "d700000020000000"),
    ("movsx832 %r2, %r1", "bc12080000000000"),
    ("sdiv32 %r1, -3", "34010100fdffffff"),
    ("neg32 %r0", "8400000000000000"),
    ("ldabsw 4", "2000000004000000"),
    ("ldindh %r1, 4", "4810000004000000"),
    ("ldacqw %r0, [%r1+8]", "c310080000010000"),
    ("streldw [%r10-8], %r3", "db3af8ff10010000"),
    ("may_goto +0", "e500000000000000"),
    ("cast_user %r1, %r2", "bf21010000000100"),
    ("exit", "9500000000000000"),
]


@pytest.mark.parametrize("text, expected", KERNEL_SYNTAX, ids=[t for t, _ in KERNEL_SYNTAX])
def test_it_assembles_kernel_and_llvm_syntax(text, expected):
    assert hex_of(text) == expected


@pytest.mark.parametrize("text, expected", UBPF_DIALECT, ids=[t for t, _ in UBPF_DIALECT])
def test_it_assembles_the_ubpf_dialect(text, expected):
    assert hex_of(text) == expected


def test_both_dialects_mix_line_by_line():
    text = "mov %r0, 1\nr0 += 2\nlock add [%r10-8], %r0\nexit"
    assert hex_of(text) == "b700000001000000" "0700000002000000" "db0af8ff00000000" "9500000000000000"


@pytest.mark.parametrize("text, expected", [
    ("r1 = map[id:3]", "18110000030000000000000000000000"),
    ("r1 = map[id:3][0]+8", "18210000030000000000000008000000"),
    ("r1 = btf_id[42]", "183100002a0000000000000000000000"),
    ("r1 = subprog[+1]\nexit\nexit", "18410000010000000000000000000000"),
    ("r1 = map[idx:2]", "18510000020000000000000000000000"),
    ("r1 = map[idx:2]+16", "18610000020000000000000010000000"),
    ("ld_pseudo r1, 4, 0x500000003", "18410000030000000000000005000000"),
    ("ld_pseudo\tr1, 0x1, 0x3", "18110000030000000000000000000000"),
    ("lddw %r1, map[id:3][0]+8", "18210000030000000000000008000000"),
    ("ld_pseudo %r1, 3, 7", "18310000070000000000000000000000"),
])
def test_it_writes_ld_imm64_pseudo_forms(text, expected):
    assert hex_of(text).startswith(expected)


def test_a_subprog_load_can_name_its_target():
    assert hex_of("r1 = subprog[f]\nexit\nf: exit").startswith("1841000002000000")


def test_it_reads_numbers_in_decimal_hex_and_negative():
    assert hex_of("r1 = 0x10\nr2 = -16\nr3 = 0xffffffff\nr4 = -0x7") == (
        "b701000010000000" "b7020000f0ffffff" "b7030000ffffffff" "b7040000f9ffffff")


@pytest.mark.parametrize("comment", ["# note", "// note", "; note"])
def test_it_ignores_comments(comment):
    assert hex_of(f"r0 = 1 {comment}\n{comment}\nexit") == "b7000000010000009500000000000000"


def test_a_hash_inside_a_word_is_not_a_comment():
    assert hex_of("call bpf_ktime_get_ns#5") == "8500000005000000"


def test_it_reads_pasted_verifier_log_lines():
    text = ("0: (b7) r0 = 1                        ; R0=1\n"
            "1: (18) r1 = 0x1\n"
            "3: (95) exit")
    assembly = assemble(text)
    assert [i.spec.mnemonic for i in assembly.instructions] == ["mov", "lddw", "exit"]
    assert assembly.instructions[1].imm64 == 1


def test_labels_resolve_forwards_and_backwards_in_both_dialects():
    text = """
start:
    r0 = 0
loop: r0 += 1
    if r0 < 10 goto loop
    jne %r0, 10, start
    call local func
    ja end
end:
    exit
func:
    exit
"""
    assembly = assemble(text)
    assert [i.off if i.spec.kind.value == "jump" else i.imm for i in assembly.instructions[2:5]] == [-2, -4, 2]
    assert assembly.instructions[5].off == 0
    assert assembly.labels == {0: "start", 1: "loop", 6: "end", 7: "func"}
    assert assembly.lines == {0: 3, 1: 4, 2: 5, 3: 6, 4: 7, 5: 8, 6: 10, 7: 12}


def test_labels_count_both_slots_of_ld_imm64():
    assembly = assemble("r1 = 1 ll\nja done\nr0 = 0\ndone: exit")
    assert assembly.labels == {4: "done"}
    assert assembly.instructions[1].off == 1


def test_exit_names_the_first_exit_unless_a_label_says_otherwise():
    assert assemble("jeq %r0, 0, exit\nr0 = 1\nexit\nexit").instructions[0].off == 1
    assert assemble("jeq %r0, 0, exit\nexit: r0 = 1\nexit").instructions[0].off == 0


def test_call_by_name_prefers_a_label_of_that_name():
    assembly = assemble("call bpf_trace_printk\nexit\nbpf_trace_printk: exit")
    assert (assembly.instructions[0].src, assembly.instructions[0].imm) == (1, 1)


def test_an_assembly_builds_a_checked_program():
    program = assemble("r0 = 0\nexit").program()
    assert isinstance(program, Program) and len(program) == 2
    with pytest.raises(ProgramError, match="last insn is not an exit or jmp"):
        assemble("r0 = 0").program()


def test_an_empty_source_assembles_to_nothing():
    assert assemble("# nothing\n\n") == Assembly([], {}, {})


@pytest.mark.parametrize("text, line, col, message", [
    ("mov %r0, foo", 1, 10, "Invalid immediate: foo"),
    ("# c\nmov32 %r0, 2147483648", 2, 12, "Immediate out of 32-bit range: 2147483648"),
    ("mov32 %r0, 0x100000000", 1, 12, "Immediate out of 32-bit range: 0x100000000"),
    ("r1 = -2147483649", 1, 6, "Immediate out of 32-bit range: -2147483649"),
    ("r1 = 0x10000000000000000 ll", 1, 6, "Immediate out of 64-bit range: 0x10000000000000000"),
    ("ldxb %r0, [%r1+x]", 1, 15, "Invalid offset: +x"),
    ("ldxb %r0, [%r1+0x10000]", 1, 15, "Offset out of 16-bit range: +0x10000"),
    ("  r1 = *(u32 *)(r2 - 40000)", 1, 20, "Offset out of 16-bit range: - 40000"),
    ("or %r0, %r50", 1, 9, "Invalid register: %r50"),
    ("r1 = r11", 1, 7, "Invalid register: r11"),
    ("mov %r11, 1", 1, 5, "Invalid register: %r11"),
    ("goto +40000", 1, 6, "Jump offset out of 16-bit range: +40000"),
    ("gotol +0x100000000", 1, 7, "Jump offset out of 32-bit range: +0x100000000"),
    ("ld_pseudo r1, 9, 0", 1, 15, "Invalid ld_imm64 pseudo source: 9 (must be 0-6)"),
    ("ld_pseudo r1, 2", 1, 1, "Invalid number of operands for mnemonic: ld_pseudo"),
    ("call bpf_map_lookup_elem#2", 1, 6, "Helper bpf_map_lookup_elem is #1, not #2"),
    ("ldxb %r0, %r1", 1, 11, "Failed to decode register and offset: %r1"),
    ("ldxq %r0, %r1", 1, 1, "Invalid mnemonic: ldxq"),
    ("lock", 1, 1, "Invalid number of operands for lock"),
    ("lock or [%r10-8]", 1, 1, "Invalid number of operands for lock"),
    ("lock nand [%r10-8], %r1", 1, 1, "Invalid mnemonic: lock nand"),
    ("lddw %r0", 1, 1, "Invalid number of operands for mnemonic: lddw"),
    ("  exit 1", 1, 3, "Invalid number of operands for mnemonic: exit"),
    ("call local a b", 1, 1, "Invalid number of operands for mnemonic: call"),
    ("call %r2", 1, 6, "Invalid call target: %r2 (callx is not a Linux instruction)"),
    ("call helper nope", 1, 13, "Invalid immediate: nope"),
    ("ja ???", 1, 4, "Invalid jump target: ???"),
    ("lddw %r1, what[1]", 1, 11, "Invalid immediate: what[1]"),
    ("(b7) r1 = r2", 1, 6, "Opcode (b7) does not match this instruction, which is (bf)"),
    ("w1 += r2", 1, 1, "Invalid instruction: w1 += r2"),
    ("if r1 ~ r2 goto +1", 1, 1, "Invalid instruction: if r1 ~ r2 goto +1"),
    ("a:\n  a: exit", 2, 3, "Duplicate label: a (first defined on line 1)"),
    ("ja NOT_A_LABEL\nexit", 1, 4, "Invalid label: NOT_A_LABEL"),
    ("r0 = 0\ncall nope", 2, 6, "Invalid label: nope"),
    ("ja far\n" + "exit\n" * 40000 + "far: exit", 1, 4,
     "Jump offset out of 16-bit range to label far: 40000"),
])
def test_it_reports_errors_with_line_and_column(text, line, col, message):
    error = asm_error(text)
    assert (error.line, error.col, error.message) == (line, col, message)
    assert str(error) == f"line {line}, column {col}: {message}"
