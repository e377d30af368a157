"""The printers: golden text per syntax for every Kind, and the kernel printer against the live kernel."""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import re
import struct

import pytest

from vm_service.asm import assemble
from vm_service.disasm import disassemble, format_insn, kernel, llvm, ubpf
from vm_service.isa import make
from vm_service.opcodes import BY_MNEMONIC, OPCODES, CallKind, Kind, Pseudo


def row(mnemonic: str, reg: bool | None = None):
    rows = BY_MNEMONIC[mnemonic]
    return rows[0] if reg is None else next(r for r in rows if r.uses_src_reg == reg)


# (instruction, pc, kernel, llvm, ubpf): kernel lines as the Linux 6.18 verifier log prints
# them, llvm lines as llvm-objdump 22 does.
GOLDEN = [
    (make(row("mov", False), dst=0, imm=1), 0,
     "0: (b7) r0 = 1", "r0 = 0x1", "mov %r0, 1"),
    (make(row("mov", True), dst=1, src=10), 1,
     "1: (bf) r1 = r10", "r1 = r10", "mov %r1, %r10"),
    (make(row("add", False), dst=1, imm=-8), 2,
     "2: (07) r1 += -8", "r1 += -0x8", "add %r1, -8"),
    (make(row("sdiv32", True), dst=1, src=2), 3,
     "3: (3c) w1 s/= w2", "w1 s/= w2", "sdiv32 %r1, %r2"),
    (make(row("neg32"), dst=3), 4, "4: (84) w3 = -w3", "w3 = -w3", "neg32 %r3"),
    (make(row("movsx1664"), dst=1, src=2), 5,
     "5: (bf) r1 = (s16)r2", "r1 = (s16)r2", "movsx1664 %r1, %r2"),
    (make(row("be16"), dst=0), 6, "6: (dc) r0 = be16 r0", "r0 = be16 r0", "be16 %r0"),
    (make(row("bswap64"), dst=0), 6, "6: (d7) r0 = bswap64 r0", "r0 = bswap64 r0", "bswap64 %r0"),
    (make(row("cast_kern"), dst=1, src=2), 7,
     "7: (bf) r1 = addr_space_cast(r2, 0, 1)", "r1 = addr_space_cast(r2, 0x0, 0x1)", "cast_kern %r1, %r2"),
    (make(row("jeq", False), dst=0, imm=0, off=1), 8,
     "8: (15) if r0 == 0x0 goto pc+1", "if r0 == 0x0 goto +0x1", "jeq %r0, 0, +1"),
    (make(row("jsgt32", False), dst=1, imm=-7, off=-3), 9,
     "9: (66) if w1 s> 0xfffffff9 goto pc-3", "if w1 s> -0x7 goto -0x3", "jsgt32 %r1, -7, -3"),
    (make(row("jset", True), dst=1, src=2, off=0), 9,
     "9: (4d) if r1 & r2 goto pc+0", "if r1 & r2 goto +0x0", "jset %r1, %r2, +0"),
    (make(row("ja"), off=1), 10, "10: (05) goto pc+1", "goto +0x1", "ja +1"),
    (make(row("ja32"), imm=-2), 11, "11: (06) gotol pc-2", "gotol -0x2", "ja32 -2"),
    (make(row("may_goto"), off=2), 11, "11: (e5) may_goto pc+2", "may_goto +0x2", "may_goto +2"),
    (make(row("call"), imm=1), 12,
     "12: (85) call bpf_map_lookup_elem#1", "call 0x1", "call 1"),
    (make(row("call"), imm=9999), 12, "12: (85) call unknown#9999", "call 0x270f", "call 9999"),
    (make(row("call"), src=CallKind.LOCAL, imm=2), 13, "13: (85) call pc+2", "call 0x2", "call local +2"),
    (make(row("call"), src=CallKind.KFUNC, imm=77), 13,
     "13: (85) call kernel-function#77", "call 0x4d", "call runtime 77"),
    (make(row("exit")), 14, "14: (95) exit", "exit", "exit"),
    (make(row("ldxw"), dst=0, src=1, off=0), 15,
     "15: (61) r0 = *(u32 *)(r1 +0)", "w0 = *(u32 *)(r1 + 0x0)", "ldxw %r0, [%r1]"),
    (make(row("ldxsh"), dst=0, src=1, off=2), 15,
     "15: (89) r0 = *(s16 *)(r1 +2)", "r0 = *(s16 *)(r1 + 0x2)", "ldxsh %r0, [%r1+2]"),
    (make(row("stw"), dst=10, off=-4, imm=7), 16,
     "16: (62) *(u32 *)(r10 -4) = 7", "*(u32 *)(r10 - 0x4) = 0x7", "stw [%r10-4], 7"),
    (make(row("stxdw"), dst=10, src=1, off=-8), 16,
     "16: (7b) *(u64 *)(r10 -8) = r1", "*(u64 *)(r10 - 0x8) = r1", "stxdw [%r10-8], %r1"),
    (make(row("lock add"), dst=1, src=2), 17,
     "17: (db) lock *(u64 *)(r1 +0) += r2", "lock *(u64 *)(r1 + 0x0) += r2", "lock add [%r1], %r2"),
    (make(row("lock fetch and32"), dst=1, src=2, off=4), 17,
     "17: (c3) r2 = atomic_fetch_and((u32 *)(r1 +4), r2)",
     "w2 = atomic_fetch_and((u32 *)(r1 + 0x4), w2)", "lock fetch and32 [%r1+4], %r2"),
    (make(row("lock fetch xor"), dst=1, src=2), 17,
     "17: (db) r2 = atomic64_fetch_xor((u64 *)(r1 +0), r2)",
     "r2 = atomic_fetch_xor((u64 *)(r1 + 0x0), r2)", "lock fetch xor [%r1], %r2"),
    (make(row("lock xchg"), dst=1, src=2), 17,
     "17: (db) r2 = atomic64_xchg((u64 *)(r1 +0), r2)", "r2 = xchg_64(r1 + 0x0, r2)", "lock xchg [%r1], %r2"),
    (make(row("lock cmpxchg32"), dst=1, src=2, off=-4), 17,
     "17: (c3) r0 = atomic_cmpxchg((u32 *)(r1 -4), r0, r2)",
     "w0 = cmpxchg32_32(r1 - 0x4, w0, w2)", "lock cmpxchg32 [%r1-4], %r2"),
    (make(row("ldacqb"), dst=0, src=10, off=-8), 18,
     "18: (d3) r0 = load_acquire((u8 *)(r10 -8))", "w0 = load_acquire((u8 *)(r10 - 0x8))",
     "ldacqb %r0, [%r10-8]"),
    (make(row("streldw"), dst=10, src=1, off=-16), 18,
     "18: (db) store_release((u64 *)(r10 -16), r1)", "store_release((u64 *)(r10 - 0x10), r1)",
     "streldw [%r10-16], %r1"),
    (make(row("lddw"), dst=1, imm=0x55667788, next_imm=0x11223344), 19,
     "19: (18) r1 = 0x1122334455667788", "r1 = 0x1122334455667788 ll", "lddw %r1, 0x1122334455667788"),
    (make(row("lddw"), dst=1, imm=-1, next_imm=-1), 19,
     "19: (18) r1 = 0xffffffffffffffff", "r1 = -0x1 ll", "lddw %r1, 0xffffffffffffffff"),
    (make(row("lddw"), dst=1, src=Pseudo.MAP_FD, imm=3), 19,
     "19: (18) r1 = map[id:3]", "ld_pseudo\tr1, 0x1, 0x3", "lddw %r1, map[id:3]"),
    (make(row("lddw"), dst=2, src=Pseudo.MAP_VALUE, imm=3, next_imm=8), 19,
     "19: (18) r2 = map[id:3][0]+8", "ld_pseudo\tr2, 0x2, 0x3", "lddw %r2, map[id:3][0]+8"),
    (make(row("lddw"), dst=1, src=Pseudo.BTF_ID, imm=42), 19,
     "19: (18) r1 = btf_id[42]", "ld_pseudo\tr1, 0x3, 0x2a", "lddw %r1, btf_id[42]"),
    (make(row("lddw"), dst=1, src=Pseudo.FUNC, imm=5), 19,
     "19: (18) r1 = subprog[+5]", "ld_pseudo\tr1, 0x4, 0x5", "lddw %r1, subprog[+5]"),
    (make(row("lddw"), dst=1, src=Pseudo.FUNC, imm=5, next_imm=1), 19,
     "19: (18) ld_pseudo r1, 4, 0x100000005", "ld_pseudo\tr1, 0x4, 0x5", "ld_pseudo %r1, 4, 0x100000005"),
    (make(row("lddw"), dst=1, src=Pseudo.MAP_IDX, imm=0), 19,
     "19: (18) r1 = map[idx:0]", "ld_pseudo\tr1, 0x5, 0x0", "lddw %r1, map[idx:0]"),
    (make(row("lddw"), dst=1, src=Pseudo.MAP_IDX_VALUE, imm=0, next_imm=4), 19,
     "19: (18) r1 = map[idx:0]+4", "ld_pseudo\tr1, 0x6, 0x0", "lddw %r1, map[idx:0]+4"),
    (make(row("ldabsb"), imm=4), 20, "20: (30) r0 = *(u8 *)skb[4]", "r0 = *(u8 *)skb[0x4]", "ldabsb 4"),
    (make(row("ldindh"), src=1, imm=-2), 20,
     "20: (48) r0 = *(u16 *)skb[r1 + -2]", "r0 = *(u16 *)skb[r1]", "ldindh %r1, -2"),
]


@pytest.mark.parametrize("insn, pc, kernel_text, llvm_text, ubpf_text", GOLDEN,
                         ids=[g[2].split(") ", 1)[1] for g in GOLDEN])
def test_each_printer_writes_the_golden_text(insn, pc, kernel_text, llvm_text, ubpf_text):
    assert kernel(insn, pc) == kernel_text
    assert llvm(insn, pc) == llvm_text
    assert ubpf(insn, pc) == ubpf_text


def test_the_golden_table_covers_every_kind():
    assert {insn.kind for insn, *_ in GOLDEN} == set(Kind)


def test_kfunc_names_come_from_a_resolver_when_given():
    insn = make(row("call"), src=CallKind.KFUNC, imm=77)
    assert kernel(insn, 0, kfunc_name={77: "bpf_obj_new_impl"}.get) == "0: (85) call bpf_obj_new_impl#77"


def test_llvm_full_lines_carry_address_bytes_and_target_symbol():
    insn = make(row("jeq", False), dst=1, imm=5, off=-3)
    assert llvm(insn, 9, full=True) == "       9:\t15 01 fd ff 05 00 00 00\tif r1 == 0x5 goto -0x3 <.text+0x38>"
    assert llvm(insn, 9, {0: "prog"}, full=True).endswith("<prog+0x38>")
    assert llvm(insn, 9, {0: "prog", 7: "loop"}, full=True).endswith("<loop>")
    lddw = make(row("lddw"), dst=1, imm=1)
    assert llvm(lddw, 0, full=True) == (
        "       0:\t18 01 00 00 01 00 00 00 00 00 00 00 00 00 00 00\tr1 = 0x1 ll")


def test_ubpf_targets_use_labels_when_given():
    insn = make(row("jne", True), dst=0, src=1, off=2)
    assert ubpf(insn, 3, {6: "fail"}) == "jne %r0, %r1, fail"
    assert ubpf(make(row("call"), src=CallKind.LOCAL, imm=1), 3, {5: "func1"}) == "call local func1"


def test_disassemble_prints_a_program_in_each_syntax():
    program = assemble("mov %r0, 0\njeq %r1, 0, out\nr0 = 1 ll\nout: exit").program()
    assert disassemble(program, "kernel") == [
        "0: (b7) r0 = 0", "1: (15) if r1 == 0x0 goto pc+2", "2: (18) r0 = 0x1", "4: (95) exit"]
    assert disassemble(program, "llvm") == ["r0 = 0x0", "if r1 == 0x0 goto +0x2", "r0 = 0x1 ll", "exit"]
    listing = disassemble(program, "ubpf")
    assert listing == ["mov %r0, 0", "jeq %r1, 0, out", "lddw %r0, 0x1", "out:", "exit"]
    assert assemble("\n".join(listing)).program() == program


def test_every_syntax_listing_reassembles_to_the_same_program():
    program = assemble("r1 = 5\nloop: r1 -= 1\nif r1 != 0 goto loop\nr0 = 0\nexit").program()
    for syntax in ("kernel", "llvm", "ubpf"):
        assert assemble("\n".join(disassemble(program, syntax))).program() == program


def test_an_unknown_syntax_is_refused():
    with pytest.raises(ValueError, match="unknown syntax 'intel'"):
        format_insn(make(row("exit")), 0, "intel")


# ---------------------------------------------------------------- against the live kernel

BPF_PROG_LOAD = 5
BPF_PROG_TYPE_SOCKET_FILTER = 1
SYS_BPF = {"x86_64": 321, "aarch64": 280}.get(platform.machine())
LIVE_LINE = re.compile(r"^\s*(?:\d+\s+)?(\d+): [.0-9]{10} (\(.*)$")


def verifier_log(code: bytes) -> str:
    """Load ``code`` as a socket filter with log_level 2; the log, whatever the verdict."""
    libc = ctypes.CDLL(None, use_errno=True)
    log = ctypes.create_string_buffer(1 << 22)
    license_ = ctypes.create_string_buffer(b"GPL")
    insns = ctypes.create_string_buffer(code, len(code))
    attr = bytearray(128)
    struct.pack_into("<IIQQIIQ", attr, 0, BPF_PROG_TYPE_SOCKET_FILTER, len(code) // 8,
                     ctypes.addressof(insns), ctypes.addressof(license_), 2, len(log), ctypes.addressof(log))
    buf = ctypes.create_string_buffer(bytes(attr), len(attr))
    fd = libc.syscall(SYS_BPF, BPF_PROG_LOAD, buf, len(attr))
    if fd >= 0:
        os.close(fd)
    elif ctypes.get_errno() in (errno.EPERM, errno.ENOSYS):
        pytest.skip(f"bpf() is not permitted here ({errno.errorcode[ctypes.get_errno()]})")
    return log.value.decode()


def every_printable_row() -> list:
    """One instruction per row (pseudo loads and kfuncs need real maps and BTF: left out).

    Jumps go nowhere far (off 0) so every instruction stays reachable, the only
    exit comes last, and a local call reaches a subprogram placed after it.
    """
    insns = []
    for spec in OPCODES:
        if spec.kind is Kind.EXIT:
            continue
        fields = {"dst": 0 if "dst" in spec.zero else 1, "src": 2 if spec.uses_src_reg else 0}
        if spec.off is None:
            fields["off"] = 0 if spec.kind is Kind.JUMP else -3
        if spec.imm is None and "imm" not in spec.zero:
            fields["imm"] = 0 if spec.mnemonic == "ja32" else -7
        if spec.kind is Kind.CALL:
            fields.update(src=0, imm=6)
        if spec.kind is Kind.LDDW:
            fields.update(src=0, imm=-7, next_imm=0x11)
        insns.append(make(spec, **fields))
    insns.append(make(row("call"), src=CallKind.LOCAL, imm=1))
    insns += [make(row("exit")), make(row("mov", False)), make(row("exit"))]
    return insns


@pytest.mark.kernel
@pytest.mark.skipif(SYS_BPF is None, reason="bpf() syscall number unknown on this architecture")
def test_the_kernel_printer_matches_the_live_verifier_log(kernel_comparisons):
    insns = every_printable_row()
    log = verifier_log(b"".join(insn.encode() for insn in insns))
    listed = {int(m.group(1)): m.group(2) for m in map(LIVE_LINE.match, log.splitlines()) if m}
    if not listed:
        pytest.skip("this kernel's log has no live-register listing (Linux 6.15+ at log_level 2)")
    pc = 0
    for insn in insns:
        assert kernel(insn, pc) == f"{pc}: {listed.get(pc)}"
        pc += insn.slots
    kernel_comparisons(len(insns))
