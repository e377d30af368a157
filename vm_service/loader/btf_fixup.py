"""The object's BTF as the kernel will take it: DATASEC sizes and variable offsets filled in.

The compiler leaves each DATASEC's size 0 and may not know its variables'
final offsets; libbpf fills them from the ELF (``btf_fixup_datasec``): the
section's size, each variable's symbol value, entries sorted by offset (the
kernel's BTF check wants them in order). This rewrites those fields in a copy
of the raw blob; everything else stays byte for byte.
"""

from __future__ import annotations

import struct

from ..btf import Btf, BtfKind
from .elf import ElfObject

COMMON = 12
SECINFO = struct.Struct("<III")


def fixup_btf(raw: bytes, btf: Btf, obj: ElfObject) -> bytes:
    out = bytearray(raw)
    hdr_len, type_off = struct.unpack_from("<II", raw, 4)[0], struct.unpack_from("<I", raw, 8)[0]
    position = hdr_len + type_off
    for t in btf.types:
        if t.kind is BtfKind.DATASEC:
            _fix(out, position, t, btf, obj)
        position += COMMON + len(t.tail)
    return bytes(out)


def _fix(out: bytearray, position: int, t, btf: Btf, obj: ElfObject) -> None:
    section = obj.section_named(t.name)
    if section is None:
        return
    symbols = {s.name: s.value for s in obj.symbols_in(section.index)
               if s.type in ("STT_OBJECT", "STT_FUNC", "STT_NOTYPE") and s.name}
    if t.size_or_type == 0:
        struct.pack_into("<I", out, position + 8, section.size)
    entries = []
    for info in btf.var_secinfos(t):
        var = btf.get(info.type_id)
        offset = symbols.get(var.name, info.offset) if var is not None else info.offset
        entries.append((info.type_id, offset, info.size))
    entries.sort(key=lambda e: e[1])
    for index, entry in enumerate(entries):
        SECINFO.pack_into(out, position + COMMON + index * SECINFO.size, *entry)
