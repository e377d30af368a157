"""``.BTF.ext``: per-instruction function info, line info and CO-RE relocation records.

Layout (the kernel's ``struct btf_ext_header`` and libbpf's reader)::

    header:  magic:u16 (0xeB9F) version:u8 flags:u8 hdr_len:u32
             func_info_off:u32 func_info_len:u32 line_info_off:u32 line_info_len:u32
             [core_relo_off:u32 core_relo_len:u32]      (when hdr_len >= 32)
    each info area:  rec_size:u32, then blocks of
             sec_name_off:u32 num_info:u32  num_info x rec_size bytes

Records (offsets count from the header's end; ``insn_off`` is a byte offset
into the named section; strings live in the object's ``.BTF``)::

    func_info:  insn_off type_id
    line_info:  insn_off file_name_off line_off line_col (line << 10 | column)
    core_relo:  insn_off type_id access_str_off kind

A record may be larger than these fields (newer formats append); the known
prefix is read and the rest skipped, as libbpf does.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Callable, Iterator

from ..btf import MAGIC, Btf
from .errors import ElfLoadError

HEADER = struct.Struct("<HBBIIIII")
CORE_HEADER = struct.Struct("<II")
FUNC_RECORD = struct.Struct("<II")
LINE_RECORD = struct.Struct("<IIII")
CORE_RECORD = struct.Struct("<IIII")


@dataclass(frozen=True)
class FuncRecord:
    section: str
    insn_off: int        # bytes into the section
    type_id: int         # a BTF FUNC


@dataclass(frozen=True)
class LineRecord:
    section: str
    insn_off: int
    file: str
    line: int
    column: int
    text: str


@dataclass(frozen=True)
class CoreRecord:
    section: str
    insn_off: int
    type_id: int
    access: str
    kind: int


@dataclass
class BtfExt:
    funcs: list[FuncRecord] = field(default_factory=list)
    lines: list[LineRecord] = field(default_factory=list)
    core: list[CoreRecord] = field(default_factory=list)


def parse_btf_ext(data: bytes, btf: Btf, stage: str = "line info") -> BtfExt:
    """Decode every record; ElfLoadError(stage) on anything malformed."""
    def fail(message: str) -> ElfLoadError:
        return ElfLoadError(stage, f".BTF.ext: {message}")

    if len(data) < HEADER.size:
        raise fail(f"{len(data)} bytes, shorter than its {HEADER.size}-byte header")
    magic, version, _flags, hdr_len, func_off, func_len, line_off, line_len = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise fail(f"bad magic 0x{magic:04x}")
    if version != 1:
        raise fail(f"unsupported version {version}")
    if not HEADER.size <= hdr_len <= len(data):
        raise fail(f"bad header length {hdr_len}")
    core_off = core_len = 0
    if hdr_len >= HEADER.size + CORE_HEADER.size:
        core_off, core_len = CORE_HEADER.unpack_from(data, HEADER.size)

    def area(off: int, length: int, minimum: int, what: str) -> Iterator[tuple[str, bytes]]:
        if length == 0:
            return
        start = hdr_len + off
        end = start + length
        if end > len(data) or length < 4:
            raise fail(f"{what} ({off}+{length}) runs past the end of the section")
        (rec_size,) = struct.unpack_from("<I", data, start)
        if rec_size < minimum or rec_size % 4:
            raise fail(f"{what} records of {rec_size} bytes (need at least {minimum})")
        pos = start + 4
        while pos < end:
            if pos + 8 > end:
                raise fail(f"truncated {what} block")
            name_off, count = struct.unpack_from("<II", data, pos)
            section = _string(btf, name_off, fail)
            pos += 8
            if count == 0 or pos + count * rec_size > end:
                raise fail(f"{what} block of {count} records for {section!r} does not fit")
            for _ in range(count):
                yield section, data[pos:pos + rec_size]
                pos += rec_size

    ext = BtfExt()
    for section, raw in area(func_off, func_len, FUNC_RECORD.size, "func info"):
        insn_off, type_id = FUNC_RECORD.unpack_from(raw)
        ext.funcs.append(FuncRecord(section, insn_off, type_id))
    for section, raw in area(line_off, line_len, LINE_RECORD.size, "line info"):
        insn_off, file_off, text_off, line_col = LINE_RECORD.unpack_from(raw)
        ext.lines.append(LineRecord(section, insn_off, _string(btf, file_off, fail), line_col >> 10,
                                    line_col & 0x3FF, _string(btf, text_off, fail)))
    for section, raw in area(core_off, core_len, CORE_RECORD.size, "CO-RE relocations"):
        insn_off, type_id, access_off, kind = CORE_RECORD.unpack_from(raw)
        ext.core.append(CoreRecord(section, insn_off, type_id, _string(btf, access_off, fail), kind))
    return ext


def _string(btf: Btf, offset: int, fail: Callable[[str], ElfLoadError]) -> str:
    if not 0 <= offset < len(btf.strings.data):
        raise fail(f"string offset {offset} is outside .BTF's string section")
    end = btf.strings.data.find(b"\0", offset)
    if end < 0:
        raise fail(f"string at {offset} is not NUL-terminated")
    return btf.strings.data[offset:end].decode("utf-8", "replace")
