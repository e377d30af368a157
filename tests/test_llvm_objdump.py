"""The ``llvm`` printer against llvm-objdump 22 (and its text against llvm-mc 22), line by line."""

from __future__ import annotations

import struct
import subprocess
import sys

import pytest

from tests.support import require_tool
from vm_service.asm import assemble
from vm_service.disasm import llvm
from vm_service.isa import decode, encode, make
from vm_service.opcodes import OPCODES, Kind, Pseudo
from vm_service.syntax import variants

LLVM_BIN = "/usr/lib/llvm-22/bin"
EM_BPF = 247


def tool(name: str) -> str:
    return require_tool(f"{LLVM_BIN}/{name}", "llvm-22")


def elf_object(text: bytes, symbol: str) -> bytes:
    """A relocatable ELF64 (little-endian, EM_BPF) with ``text`` as .text and one function symbol."""
    shstrtab = b"\0.text\0.symtab\0.strtab\0.shstrtab\0"
    strtab = b"\0" + symbol.encode() + b"\0"
    symtab = bytes(24) + struct.pack("<IBBHQQ", 1, 0x12, 0, 1, 0, len(text))  # GLOBAL FUNC in .text
    body = bytearray(64)
    offsets = []
    for blob in (text, symtab, strtab, shstrtab):
        body += bytes(-len(body) % 8)
        offsets.append(len(body))
        body += blob
    body += bytes(-len(body) % 8)
    shoff = len(body)
    names = {n: shstrtab.index(n.encode() + b"\0") for n in (".text", ".symtab", ".strtab", ".shstrtab")}
    section = struct.Struct("<IIQQQQIIQQ")
    body += bytes(section.size)
    body += section.pack(names[".text"], 1, 6, 0, offsets[0], len(text), 0, 0, 8, 0)
    body += section.pack(names[".symtab"], 2, 0, 0, offsets[1], len(symtab), 3, 1, 8, 24)
    body += section.pack(names[".strtab"], 3, 0, 0, offsets[2], len(strtab), 0, 0, 1, 0)
    body += section.pack(names[".shstrtab"], 3, 0, 0, offsets[3], len(shstrtab), 0, 0, 1, 0)
    body[:64] = (b"\x7fELF\x02\x01\x01" + bytes(9)
                 + struct.pack("<HHIQQQIHHHHHH", 1, EM_BPF, 1, 0, 0, shoff, 0, 64, 0, 0, 64, 5, 4))
    return bytes(body)


def objdump_sections(path) -> dict[str, list[str]]:
    """llvm-objdump -d's instruction lines, by section."""
    out = subprocess.run([tool("llvm-objdump"), "-d", str(path)], capture_output=True, text=True, check=True)
    sections: dict[str, list[str]] = {}
    current = None
    for line in out.stdout.splitlines():
        if line.startswith("Disassembly of section "):
            current = sections.setdefault(line.removeprefix("Disassembly of section ").rstrip(":"), [])
        elif current is not None and line.startswith(" ") and ":\t" in line:
            current.append(line)
    return sections


def every_row_program() -> list:
    """Two instances of every row and src variant, with targets that stay inside the section."""
    insns = []
    for spec in OPCODES:
        for variant in variants(spec):
            for low in (True, False):
                fields = {"dst": 0 if "dst" in spec.zero else (1 if low else 10),
                          "src": (2 if low else 9) if spec.uses_src_reg else 0}
                if spec.off is None:
                    fields["off"] = -3 if low else 7
                if spec.imm is None and "imm" not in spec.zero:
                    fields["imm"] = (-3 if low else 7) if spec.mnemonic == "ja32" else (-7 if low else 0x7FFFFFFF)
                if variant is not None:
                    fields["src"] = int(variant)
                if spec.kind is Kind.LDDW and variant not in (Pseudo.MAP_FD, Pseudo.MAP_IDX):
                    fields["next_imm"] = 0x11 if low else -1
                insns.append(make(spec, **fields))
    return insns


def test_every_row_prints_as_llvm_objdump_prints_it(tmp_path):
    insns = every_row_program()
    obj = tmp_path / "rows.o"
    obj.write_bytes(elf_object(encode(insns), "rows"))
    theirs = objdump_sections(obj)[".text"]
    ours, pc = [], 0
    for insn in insns:
        ours.append(llvm(insn, pc, {0: "rows"}, full=True))
        pc += insn.slots
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        assert mine == reference


def test_llvm_mc_assembles_our_llvm_text_to_our_bytes(tmp_path):
    insns = every_row_program()
    source = tmp_path / "rows.s"
    source.write_text("".join(llvm(insn, 100) + "\n" for insn in insns))
    obj = tmp_path / "rows.o"
    subprocess.run([tool("llvm-mc"), "-triple", "bpfel", "-mcpu=v4", "-filetype=obj", str(source),
                    "-o", str(obj)], check=True, capture_output=True)
    from elftools.elf.elffile import ELFFile

    with obj.open("rb") as f:
        theirs = ELFFile(f).get_section_by_name(".text").data()
    assert theirs == encode(assemble(source.read_text()).instructions)


C_PROGRAM = r"""
typedef unsigned long long u64;
typedef long long s64;
typedef unsigned int u32;
struct ctx { u32 len; u32 pad; s64 data; signed char tag; };
static u64 (*bpf_ktime_get_ns)(void) = (void *) 5;
u64 counters[4];

__attribute__((noinline)) static int scale(int x) { return x * 3 + 1; }

__attribute__((section("socket"), used))
int prog(struct ctx *c)
{
    u64 sum = 0;
    for (int i = 0; i < 16; i++)
        sum += (i & 1) ? (u64)c->len << i : (u64)i;
    sum += bpf_ktime_get_ns();
    __sync_fetch_and_add(&counters[1], 2);
    u64 old = __sync_fetch_and_or(&counters[2], 4);
    u64 seen = __sync_val_compare_and_swap(&counters[3], old, sum);
    sum ^= __sync_lock_test_and_set(&counters[0], seen);
    sum += scale((int)sum) + c->tag + 0x1122334455667788ULL;
    sum = __builtin_bswap64(sum);
    if ((s64)sum < -5)
        return (int)((s64)sum / c->data);
    return (int)((s64)sum % 13) + (int)(short)c->pad;
}
"""


def test_a_compiled_c_program_prints_as_llvm_objdump_prints_it(tmp_path):
    pytest.importorskip("ziglang", reason="needs the pip package ziglang (requirements.txt) for clang")
    from elftools.elf.elffile import ELFFile

    source, obj = tmp_path / "prog.c", tmp_path / "prog.o"
    source.write_text(C_PROGRAM)
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "bpfel-freestanding-none",
                    "-mcpu=v4", "-O2", "-c", str(source), "-o", str(obj)], check=True, capture_output=True)
    theirs = objdump_sections(obj)
    with obj.open("rb") as f:
        elf = ELFFile(f)
        symbols = [s for s in elf.get_section_by_name(".symtab").iter_symbols()
                   if s["st_info"]["type"] == "STT_FUNC"]
        checked = 0
        for index, section in enumerate(elf.iter_sections()):
            if section["sh_type"] != "SHT_PROGBITS" or not section["sh_flags"] & 0x4 or not section.data_size:
                continue
            labels = {s["st_value"] // 8: s.name for s in symbols if s["st_shndx"] == index}
            ours = [llvm(insn, pc, labels, full=True) for pc, insn in decode(section.data())]
            assert ours == theirs[section.name]
            checked += len(ours)
    assert checked > 50
