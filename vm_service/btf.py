"""A reader for raw BTF, the kernel's type format (``/sys/kernel/btf/vmlinux``).

Written from the format description in the kernel's Documentation/bpf/btf.rst.
A BTF blob is a header, a type section and a string section::

    header:  magic:u16 (0xeB9F)  version:u8  flags:u8  hdr_len:u32
             type_off:u32  type_len:u32  str_off:u32  str_len:u32
    types:   records, type ids counting from 1 (0 is void)
    strings: NUL-terminated names, referred to by byte offset

Every type record starts with the same 12 bytes (name_off, info, size_or_type),
where ``info`` packs vlen (bits 0-15), kind (bits 24-28) and kind_flag (bit 31).
A kind-specific tail follows; its length is in ``TAIL`` below. The walk needs
every kind's tail to be right, or every later type id is wrong, so an unknown
kind is an error rather than a guess.

The engine needs only named enums today (``enum bpf_func_id`` to check the
helper table), so the records keep their raw members; ``enums()`` decodes them.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field
from pathlib import Path

from .errors import VmError

MAGIC = 0xEB9F
VMLINUX = Path("/sys/kernel/btf/vmlinux")


class BtfError(VmError):
    """A blob that is not well-formed BTF; ``offset`` is where reading failed."""

    def __init__(self, offset: int, message: str):
        super().__init__(f"BTF at byte {offset}: {message}")
        self.offset = offset
        self.message = message


class BtfKind(enum.IntEnum):
    """``BTF_KIND_*``: what a type record describes."""

    INT = 1         # tail: u32 encoding/offset/bits
    PTR = 2
    ARRAY = 3       # tail: type, index_type, nelems
    STRUCT = 4      # tail: vlen x (name_off, type, offset)
    UNION = 5       # tail: as STRUCT
    ENUM = 6        # tail: vlen x (name_off, val:32); kind_flag = signed
    FWD = 7
    TYPEDEF = 8
    VOLATILE = 9
    CONST = 10
    RESTRICT = 11
    FUNC = 12       # vlen holds the linkage
    FUNC_PROTO = 13  # tail: vlen x (name_off, type)
    VAR = 14        # tail: u32 linkage
    DATASEC = 15    # tail: vlen x (type, offset, size)
    FLOAT = 16
    DECL_TAG = 17   # tail: s32 component_idx
    TYPE_TAG = 18
    ENUM64 = 19     # tail: vlen x (name_off, val_lo32, val_hi32); kind_flag = signed


# Kind -> (fixed tail bytes, bytes per vlen member).
TAIL: dict[BtfKind, tuple[int, int]] = {
    BtfKind.INT: (4, 0), BtfKind.PTR: (0, 0), BtfKind.ARRAY: (12, 0),
    BtfKind.STRUCT: (0, 12), BtfKind.UNION: (0, 12), BtfKind.ENUM: (0, 8),
    BtfKind.FWD: (0, 0), BtfKind.TYPEDEF: (0, 0), BtfKind.VOLATILE: (0, 0),
    BtfKind.CONST: (0, 0), BtfKind.RESTRICT: (0, 0), BtfKind.FUNC: (0, 0),
    BtfKind.FUNC_PROTO: (0, 8), BtfKind.VAR: (4, 0), BtfKind.DATASEC: (0, 12),
    BtfKind.FLOAT: (0, 0), BtfKind.DECL_TAG: (4, 0), BtfKind.TYPE_TAG: (0, 0),
    BtfKind.ENUM64: (0, 12),
}

MIN_HEADER = 24


@dataclass(frozen=True)
class BtfType:
    """One type record: the common part plus its raw tail (decoded on demand)."""

    id: int
    kind: BtfKind
    name: str
    vlen: int
    kind_flag: bool
    size_or_type: int
    tail: bytes = field(repr=False)


class StringSection:
    """The string section: names are NUL-terminated, addressed by byte offset."""

    def __init__(self, data: bytes, base: int):
        self.data = data
        self.base = base  # where the section starts in the blob, for error offsets

    def __getitem__(self, offset: int) -> str:
        if not 0 <= offset < len(self.data):
            raise BtfError(self.base + offset, f"string offset {offset} is outside the string section")
        end = self.data.find(b"\0", offset)
        if end < 0:
            raise BtfError(self.base + offset, "string is not NUL-terminated")
        return self.data[offset:end].decode("utf-8", "replace")


@dataclass(frozen=True)
class Btf:
    """A parsed blob: type records by id, and the string section their names point into."""

    types: tuple[BtfType, ...]   # types[0] is the record with id 1
    strings: StringSection = field(repr=False, compare=False)
    endian: str = "<"            # struct byte order of the blob

    def by_id(self, type_id: int) -> BtfType:
        return self.types[type_id - 1]

    def enums(self) -> dict[str, dict[str, int]]:
        """Every named ENUM/ENUM64 as name -> {enumerator: value}; the first of a name wins."""
        out: dict[str, dict[str, int]] = {}
        for t in self.types:
            if t.kind in (BtfKind.ENUM, BtfKind.ENUM64) and t.name and t.name not in out:
                out[t.name] = self.enumerators(t)
        return out

    def enum(self, name: str) -> dict[str, int]:
        for t in self.types:
            if t.kind in (BtfKind.ENUM, BtfKind.ENUM64) and t.name == name:
                return self.enumerators(t)
        raise KeyError(f"no enum named {name!r} in this BTF")

    def enumerators(self, t: BtfType) -> dict[str, int]:
        """An enum's members; kind_flag marks a signed enum."""
        if t.kind is BtfKind.ENUM:
            bits, rows = 32, ((n, v) for n, v in struct.iter_unpack(self.endian + "II", t.tail))
        elif t.kind is BtfKind.ENUM64:
            bits, rows = 64, ((n, (hi << 32) | lo)
                              for n, lo, hi in struct.iter_unpack(self.endian + "III", t.tail))
        else:
            raise TypeError(f"type id {t.id} is {t.kind.name}, not an enum")
        out = {}
        for name_off, raw in rows:
            signed = t.kind_flag and raw >> (bits - 1)
            out[self.strings[name_off]] = raw - (1 << bits) if signed else raw
        return out


def parse(data: bytes) -> Btf:
    """Parse a raw BTF blob (split BTF of modules is not supported: it needs its base)."""
    if len(data) < MIN_HEADER:
        raise BtfError(0, f"blob is {len(data)} bytes, shorter than the {MIN_HEADER}-byte header")
    if struct.unpack_from("<H", data)[0] == MAGIC:
        e = "<"
    elif struct.unpack_from(">H", data)[0] == MAGIC:
        e = ">"
    else:
        raise BtfError(0, f"bad magic 0x{struct.unpack_from('<H', data)[0]:04x} (expected 0xeb9f)")
    version = data[2]
    if version != 1:
        raise BtfError(2, f"unsupported BTF version {version}")
    hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from(e + "5I", data, 4)
    if hdr_len < MIN_HEADER or hdr_len > len(data):
        raise BtfError(4, f"bad header length {hdr_len}")
    for name, off, length in (("type", type_off, type_len), ("string", str_off, str_len)):
        if hdr_len + off + length > len(data):
            raise BtfError(4, f"{name} section ({off}+{length}) runs past the end of the blob")
    strings = StringSection(data[hdr_len + str_off:hdr_len + str_off + str_len], hdr_len + str_off)
    return Btf(tuple(_walk_types(data, hdr_len + type_off, type_len, e, strings)), strings, e)


def _walk_types(data: bytes, start: int, length: int, e: str, strings: StringSection) -> list[BtfType]:
    types = []
    pos, end = start, start + length
    common = struct.Struct(e + "III")
    while pos < end:
        if pos + common.size > end:
            raise BtfError(pos, "truncated type record")
        name_off, info, size_or_type = common.unpack_from(data, pos)
        raw_kind = (info >> 24) & 0x1F
        try:
            kind = BtfKind(raw_kind)
        except ValueError:
            raise BtfError(pos, f"type id {len(types) + 1} has unknown kind {raw_kind}") from None
        vlen = info & 0xFFFF
        fixed, per_member = TAIL[kind]
        tail_len = fixed + per_member * vlen
        tail_start = pos + common.size
        if tail_start + tail_len > end:
            raise BtfError(pos, f"type id {len(types) + 1} ({kind.name}) runs past the type section")
        types.append(BtfType(len(types) + 1, kind, strings[name_off], vlen, bool(info >> 31),
                             size_or_type, data[tail_start:tail_start + tail_len]))
        pos = tail_start + tail_len
    return types


def load(path: str | Path = VMLINUX) -> Btf:
    """Read and parse a BTF file (by default the running kernel's vmlinux BTF)."""
    return parse(Path(path).read_bytes())
