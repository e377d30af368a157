"""A reader for raw BTF, the kernel's type format (``/sys/kernel/btf/vmlinux``, ``.BTF``).

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

Records keep their raw tail; the ``Btf`` methods decode it per kind on demand
(``members``, ``params``, ``array``, ``int_info``, ``var_secinfos``,
``enumerators``), so reading the 100k-type vmlinux blob stays cheap. On top of
that: following typedefs and modifiers (``resolve``), sizes (``size_of``), C
spellings (``c_name``, ``declaration``) and lookups by name (``find``).
``check()`` validates every type reference, for blobs that come from users.
"""

from __future__ import annotations

import enum
import functools
import struct
from dataclasses import dataclass, field
from pathlib import Path

from .errors import VmError

MAGIC = 0xEB9F
VMLINUX = Path("/sys/kernel/btf/vmlinux")
MAX_CHAIN = 32      # libbpf's MAX_RESOLVE_DEPTH: longer typedef/modifier chains are loops
POINTER_SIZE = 8


class BtfError(VmError):
    """A blob that is not well-formed BTF; ``offset`` is where reading failed."""

    def __init__(self, offset: int, message: str):
        super().__init__(f"BTF at byte {offset}: {message}")
        self.offset = offset
        self.message = message


class BtfTypeError(VmError):
    """A type id that does not exist, or a type that cannot answer the question asked."""

    def __init__(self, type_id: int, message: str):
        super().__init__(f"BTF type [{type_id}]: {message}")
        self.type_id = type_id
        self.message = message


class BtfKind(enum.IntEnum):
    """``BTF_KIND_*``: what a type record describes."""

    INT = 1         # tail: u32 encoding/offset/bits
    PTR = 2
    ARRAY = 3       # tail: type, index_type, nelems
    STRUCT = 4      # tail: vlen x (name_off, type, offset)
    UNION = 5       # tail: as STRUCT
    ENUM = 6        # tail: vlen x (name_off, val:32); kind_flag = signed
    FWD = 7         # kind_flag: 0 = struct, 1 = union
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

# Kinds whose size_or_type field is a type id (the others hold a size or nothing).
REFERS = frozenset({BtfKind.PTR, BtfKind.TYPEDEF, BtfKind.VOLATILE, BtfKind.CONST,
                    BtfKind.RESTRICT, BtfKind.FUNC, BtfKind.FUNC_PROTO, BtfKind.VAR,
                    BtfKind.DECL_TAG, BtfKind.TYPE_TAG})
MODIFIERS = frozenset({BtfKind.VOLATILE, BtfKind.CONST, BtfKind.RESTRICT, BtfKind.TYPE_TAG})
SIZED = frozenset({BtfKind.INT, BtfKind.STRUCT, BtfKind.UNION, BtfKind.ENUM, BtfKind.ENUM64,
                   BtfKind.FLOAT, BtfKind.DATASEC})
QUALIFIER_WORDS = {BtfKind.CONST: "const", BtfKind.VOLATILE: "volatile",
                   BtfKind.RESTRICT: "restrict"}

# INT encoding bits (the top byte of the INT tail is unused, bits 16-23 the offset).
INT_SIGNED, INT_CHAR, INT_BOOL = 1, 2, 4

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


@dataclass(frozen=True)
class Member:
    """A struct/union member. ``bit_size`` is 0 unless the member is a bitfield."""

    name: str
    type_id: int
    bit_offset: int
    bit_size: int = 0


@dataclass(frozen=True)
class Param:
    """A FUNC_PROTO parameter (``type_id`` 0 with no name: the ``...`` of a variadic)."""

    name: str
    type_id: int


@dataclass(frozen=True)
class ArrayInfo:
    type_id: int
    index_type_id: int
    nelems: int


@dataclass(frozen=True)
class IntInfo:
    """An INT's encoding: ``bits`` wide, starting ``bit_offset`` bits into its ``size``."""

    signed: bool
    char: bool
    bool: bool
    bit_offset: int
    bits: int


@dataclass(frozen=True)
class VarSecInfo:
    """A DATASEC entry: the VAR (or FUNC) ``type_id`` at ``offset``, ``size`` bytes."""

    type_id: int
    offset: int
    size: int


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

    def get(self, type_id: int) -> BtfType | None:
        """The record with this id, None for 0 (void); BtfTypeError for ids that do not exist."""
        if type_id == 0:
            return None
        if not 0 < type_id <= len(self.types):
            raise BtfTypeError(type_id, f"no such type (the blob has {len(self.types)})")
        return self.types[type_id - 1]

    def __len__(self) -> int:
        return len(self.types)

    # -- enums -------------------------------------------------------------------

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
        return dict(self.enum_values(t))

    def enum_values(self, t: BtfType) -> list[tuple[str, int]]:
        """An enum's members in declaration order (names may repeat in odd blobs)."""
        if t.kind is BtfKind.ENUM:
            bits, rows = 32, ((n, v) for n, v in struct.iter_unpack(self.endian + "II", t.tail))
        elif t.kind is BtfKind.ENUM64:
            bits, rows = 64, ((n, (hi << 32) | lo)
                              for n, lo, hi in struct.iter_unpack(self.endian + "III", t.tail))
        else:
            raise TypeError(f"type id {t.id} is {t.kind.name}, not an enum")
        out = []
        for name_off, raw in rows:
            signed = t.kind_flag and raw >> (bits - 1)
            out.append((self.strings[name_off], raw - (1 << bits) if signed else raw))
        return out

    # -- kind-specific tails ---------------------------------------------------------

    def members(self, t: BtfType) -> tuple[Member, ...]:
        """A STRUCT's or UNION's members; with kind_flag, offsets carry a bitfield size."""
        self._expect(t, BtfKind.STRUCT, BtfKind.UNION)
        out = []
        for name_off, type_id, offset in struct.iter_unpack(self.endian + "III", t.tail):
            if t.kind_flag:
                out.append(Member(self.strings[name_off], type_id, offset & 0xFFFFFF, offset >> 24))
            else:
                out.append(Member(self.strings[name_off], type_id, offset))
        return tuple(out)

    def params(self, t: BtfType) -> tuple[Param, ...]:
        self._expect(t, BtfKind.FUNC_PROTO)
        return tuple(Param(self.strings[n], type_id)
                     for n, type_id in struct.iter_unpack(self.endian + "II", t.tail))

    def array(self, t: BtfType) -> ArrayInfo:
        self._expect(t, BtfKind.ARRAY)
        return ArrayInfo(*struct.unpack(self.endian + "III", t.tail))

    def int_info(self, t: BtfType) -> IntInfo:
        self._expect(t, BtfKind.INT)
        (raw,) = struct.unpack(self.endian + "I", t.tail)
        encoding = (raw >> 24) & 0x0F
        return IntInfo(bool(encoding & INT_SIGNED), bool(encoding & INT_CHAR),
                       bool(encoding & INT_BOOL), (raw >> 16) & 0xFF, raw & 0xFF)

    def var_secinfos(self, t: BtfType) -> tuple[VarSecInfo, ...]:
        self._expect(t, BtfKind.DATASEC)
        return tuple(VarSecInfo(*row) for row in struct.iter_unpack(self.endian + "III", t.tail))

    def var_linkage(self, t: BtfType) -> int:
        """0 static, 1 global (allocated), 2 extern."""
        self._expect(t, BtfKind.VAR)
        return struct.unpack(self.endian + "I", t.tail)[0]

    def decl_tag_component(self, t: BtfType) -> int:
        """-1: the tag applies to the type itself; else the member/parameter index."""
        self._expect(t, BtfKind.DECL_TAG)
        return struct.unpack(self.endian + "i", t.tail)[0]

    @staticmethod
    def _expect(t: BtfType, *kinds: BtfKind) -> None:
        if t.kind not in kinds:
            raise BtfTypeError(t.id, f"is {t.kind.name}, not {' or '.join(k.name for k in kinds)}")

    # -- following references -----------------------------------------------------------

    def skip_modifiers(self, type_id: int) -> int:
        """Follow const/volatile/restrict/type_tag to the type they qualify."""
        return self._follow(type_id, MODIFIERS)

    def resolve(self, type_id: int) -> int:
        """Follow modifiers and typedefs to the underlying type id (0 for void)."""
        return self._follow(type_id, MODIFIERS | {BtfKind.TYPEDEF})

    def _follow(self, type_id: int, through: frozenset[BtfKind]) -> int:
        start = type_id
        for _ in range(MAX_CHAIN):
            t = self.get(type_id)
            if t is None or t.kind not in through:
                return type_id
            type_id = t.size_or_type
        raise BtfTypeError(start, f"more than {MAX_CHAIN} typedefs/modifiers in a row (a loop?)")

    def size_of(self, type_id: int, _depth: int = 0) -> int:
        """Bytes a value of this type takes (``btf__resolve_size``)."""
        if _depth > MAX_CHAIN:
            raise BtfTypeError(type_id, f"type nests more than {MAX_CHAIN} levels deep")
        resolved = self.resolve(type_id)
        t = self.get(resolved)
        if t is None:
            raise BtfTypeError(type_id, "void has no size")
        if t.kind in SIZED:
            return t.size_or_type
        if t.kind is BtfKind.PTR:
            return POINTER_SIZE
        if t.kind is BtfKind.ARRAY:
            info = self.array(t)
            return info.nelems * self.size_of(info.type_id, _depth + 1)
        if t.kind is BtfKind.VAR:
            return self.size_of(t.size_or_type, _depth + 1)
        raise BtfTypeError(type_id, f"a {t.kind.name} has no size")

    # -- names ------------------------------------------------------------------------

    @functools.cached_property
    def _by_name(self) -> dict[str, list[int]]:
        index: dict[str, list[int]] = {}
        for t in self.types:
            if t.name:
                index.setdefault(t.name, []).append(t.id)
        return index

    def find(self, name: str, *kinds: BtfKind) -> list[int]:
        """Ids of the types called ``name`` (of one of ``kinds``, if given), in id order."""
        ids = self._by_name.get(name, [])
        if not kinds:
            return list(ids)
        return [i for i in ids if self.types[i - 1].kind in kinds]

    def c_name(self, type_id: int) -> str:
        """The type as C spells it in a cast: ``unsigned int``, ``struct task_struct *``."""
        return self.declaration(type_id, "")

    def declaration(self, type_id: int, name: str) -> str:
        """A C declaration of ``name`` with this type: ``char comm[16]``, ``int (*fn)(void *)``."""
        return self._declare(type_id, name, 0).strip()

    def _declare(self, type_id: int, inner: str, depth: int) -> str:
        if depth > MAX_CHAIN:
            raise BtfTypeError(type_id, f"type nests more than {MAX_CHAIN} levels deep")
        t = self.get(type_id)
        if t is None:
            return _join("void", inner)
        kind = t.kind
        if kind is BtfKind.PTR:
            pointee = self.get(t.size_or_type)
            star = "*" + inner
            if pointee is not None and pointee.kind in (BtfKind.ARRAY, BtfKind.FUNC_PROTO):
                star = f"({star})"
            return self._declare(t.size_or_type, star, depth + 1)
        if kind is BtfKind.ARRAY:
            info = self.array(t)
            return self._declare(info.type_id, f"{inner}[{info.nelems}]", depth + 1)
        if kind in QUALIFIER_WORDS:
            word = QUALIFIER_WORDS[kind]
            target = self.get(t.size_or_type)
            if target is not None and target.kind is BtfKind.PTR:
                return self._declare(t.size_or_type, f" {word} {inner}".rstrip(), depth + 1)
            return f"{word} " + self._declare(t.size_or_type, inner, depth + 1)
        if kind is BtfKind.TYPE_TAG:
            return self._declare(t.size_or_type, inner, depth + 1)
        if kind is BtfKind.FUNC_PROTO:
            params = self.params(t)
            text = ", ".join("..." if p.type_id == 0 and not p.name
                             else self._declare(p.type_id, p.name, depth + 1).strip()
                             for p in params) or "void"
            return self._declare(t.size_or_type, f"{inner}({text})", depth + 1)
        if kind in (BtfKind.FUNC, BtfKind.VAR):
            return self._declare(t.size_or_type, inner or t.name, depth + 1)
        return _join(self._base_name(t), inner)

    @staticmethod
    def _base_name(t: BtfType) -> str:
        if t.kind in (BtfKind.STRUCT, BtfKind.UNION):
            return f"{t.kind.name.lower()} {t.name or '{...}'}"
        if t.kind in (BtfKind.ENUM, BtfKind.ENUM64):
            return f"enum {t.name or '{...}'}"
        if t.kind is BtfKind.FWD:
            return f"{'union' if t.kind_flag else 'struct'} {t.name}"
        if t.kind is BtfKind.DATASEC:
            return f"SEC(\"{t.name}\")"
        return t.name or f"<anonymous {t.kind.name.lower()}>"

    # -- validation ----------------------------------------------------------------------

    def check(self) -> None:
        """Every type reference names an existing type, and every record is self-consistent.

        ``parse`` only walks the records; blobs from users go through this too, so
        the decoding methods cannot fail later on a dangling id.
        """
        count = len(self.types)

        def ref(t: BtfType, type_id: int, what: str, void_ok: bool = False) -> None:
            if type_id == 0 and void_ok:
                return
            if not 0 < type_id <= count:
                raise BtfTypeError(t.id, f"{t.kind.name} {t.name!r}: {what} refers to type "
                                         f"[{type_id}], which does not exist")

        void_ok = {BtfKind.PTR, BtfKind.TYPEDEF, BtfKind.VOLATILE, BtfKind.CONST,
                   BtfKind.RESTRICT, BtfKind.FUNC_PROTO, BtfKind.TYPE_TAG}
        for t in self.types:
            if t.kind in REFERS:
                ref(t, t.size_or_type, "its type", t.kind in void_ok)
            if t.kind in (BtfKind.STRUCT, BtfKind.UNION):
                for m in self.members(t):
                    ref(t, m.type_id, f"member {m.name!r}")
            elif t.kind is BtfKind.ARRAY:
                info = self.array(t)
                ref(t, info.type_id, "its element type")
                ref(t, info.index_type_id, "its index type")
            elif t.kind is BtfKind.FUNC_PROTO:
                for p in self.params(t):
                    ref(t, p.type_id, f"parameter {p.name!r}", void_ok=not p.name)
            elif t.kind is BtfKind.DATASEC:
                for info in self.var_secinfos(t):
                    ref(t, info.type_id, "a variable")
            elif t.kind in (BtfKind.ENUM, BtfKind.ENUM64):
                self.enum_values(t)
            elif t.kind is BtfKind.INT:
                info = self.int_info(t)
                if info.bits > 128 or info.bit_offset + info.bits > 8 * t.size_or_type:
                    raise BtfTypeError(t.id, f"INT {t.name!r}: {info.bits} bits at bit "
                                             f"{info.bit_offset} do not fit {t.size_or_type} bytes")


def _join(base: str, inner: str) -> str:
    if not inner:
        return base
    if inner.startswith("["):
        return base + inner
    return f"{base} {inner}"


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
