"""Bad input is always an ElfLoadError: valid objects, randomly damaged, never crash the loader.

The damage is aimed where it hurts: anywhere in the file, in the ELF and
section headers, in the symbol table and relocations, inside .BTF, .BTF.ext
and .maps, and by truncation. Whatever survives must still be a spec that
serialises and whose programs decode.
"""

from __future__ import annotations

import functools
import io
import json
import os
import struct

from elftools.elf.elffile import ELFFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.loader_cc import compile_c
from tests.test_core import OTHER_KERNEL
from tests.test_loader import GLOBALS, SUBPROGRAMS
from vm_service.loader import ElfLoadError, load_object
from vm_service.program import Program

MAPS = """
struct inner { __uint(type, 2); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); };
struct inner inner_a SEC(".maps");
struct { __uint(type, 12); __uint(max_entries, 2); __type(key, __u32); __array(values, struct inner); }
    outer SEC(".maps") = { .values = { [1] = &inner_a } };
struct bpf_map_def { unsigned int type, key_size, value_size, max_entries, map_flags; };
struct bpf_map_def SEC("maps") legacy = { 1, 4, 8, 16, 0 };
static int cb(__u32 i, void *ctx) { return 0; }
SEC("xdp") int prog(void *ctx) {
    __u32 k = 1;
    bpf_loop(3, cb, 0, 0);
    return bpf_map_lookup_elem(&outer, &k) != 0 && bpf_map_lookup_elem(&legacy, &k) != 0;
}
"""
CORE = OTHER_KERNEL + """
SEC("kprobe/x") int prog(struct task_struct *t) {
    if (__builtin_preserve_field_info(t->numa_preferred_nid, 2)) return t->numa_preferred_nid;
    return t->pid + t->real_parent->tgid;
}
"""
EXAMPLES = int(os.environ.get("LOADER_MUTATIONS", 150))


def objects() -> list[bytes]:
    return [compile_c(source) for source in (SUBPROGRAMS, GLOBALS, MAPS, CORE)]


@functools.cache
def regions(data: bytes) -> list[tuple[int, int]]:
    """(start, length) of the parts worth damaging."""
    elf = ELFFile(io.BytesIO(data))
    out = [(0, 64), (elf["e_shoff"], elf["e_shnum"] * elf["e_shentsize"])]
    for section in elf.iter_sections():
        if section.name in (".BTF", ".BTF.ext", ".maps", ".symtab", ".strtab", "maps", ".debug_info",
                            ".debug_loc", ".debug_abbrev", ".debug_line") or section.name.startswith(".rel"):
            out.append((section["sh_offset"], section["sh_size"]))
    return [(start, length) for start, length in out if length > 0]


@st.composite
def damaged(draw) -> bytes:
    original = draw(st.sampled_from(objects()))
    targets = regions(original)
    data = bytearray(original)
    how = draw(st.sampled_from(["bytes", "aimed", "words", "truncate"]))
    if how == "truncate":
        return bytes(data[:draw(st.integers(0, len(data) - 1))])
    for _ in range(draw(st.integers(1, 6))):
        if how == "bytes":
            position = draw(st.integers(0, len(data) - 1))
        else:
            start, length = draw(st.sampled_from(targets))
            position = start + draw(st.integers(0, length - 1))
        if how == "words" and position + 4 <= len(data):
            word = draw(st.sampled_from([0, 1, 7, 8, 0xFF, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 20,
                                         draw(st.integers(0, 0xFFFFFFFF))]))
            data[position:position + 4] = struct.pack("<I", word)
        else:
            data[position] = draw(st.integers(0, 255))
    return bytes(data)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(damaged())
def test_damaged_objects_load_or_fail_with_an_elf_load_error(data):
    try:
        spec = load_object(data)
    except ElfLoadError as error:
        assert error.stage and error.message
        return
    json.dumps(spec.to_dict())
    for program in spec.programs:
        Program.from_bytes(program.code)


def test_the_undamaged_objects_load():
    for data in objects():
        assert load_object(data).programs
