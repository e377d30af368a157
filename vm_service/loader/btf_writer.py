"""Writing BTF: build a blob type by type (the simulated kernel's types, test fixtures).

The inverse of ``vm_service.btf.parse``: each ``add_*`` appends one record
and returns its type id; ``build()`` returns the blob (little-endian).
"""

from __future__ import annotations

import struct

from ..btf import INT_BOOL, INT_CHAR, INT_SIGNED, MAGIC, BtfKind

HEADER_LEN = 24


class BtfBuilder:
    def __init__(self) -> None:
        self.strings = bytearray(b"\0")
        self._offsets: dict[str, int] = {"": 0}
        self.records: list[bytes] = []

    def name(self, text: str) -> int:
        if text not in self._offsets:
            self._offsets[text] = len(self.strings)
            self.strings += text.encode() + b"\0"
        return self._offsets[text]

    def _add(self, kind: BtfKind, name: str = "", vlen: int = 0, flag: bool = False,
             size_or_type: int = 0, tail: bytes = b"") -> int:
        info = (int(flag) << 31) | (int(kind) << 24) | vlen
        self.records.append(struct.pack("<III", self.name(name), info, size_or_type) + tail)
        return len(self.records)

    @property
    def next_id(self) -> int:
        return len(self.records) + 1

    def add_int(self, name: str, size: int, signed: bool = False, char: bool = False,
                boolean: bool = False, bits: int | None = None) -> int:
        encoding = ((INT_SIGNED if signed else 0) | (INT_CHAR if char else 0)
                    | (INT_BOOL if boolean else 0))
        raw = (encoding << 24) | (8 * size if bits is None else bits)
        return self._add(BtfKind.INT, name, size_or_type=size, tail=struct.pack("<I", raw))

    def add_float(self, name: str, size: int) -> int:
        return self._add(BtfKind.FLOAT, name, size_or_type=size)

    def add_ptr(self, target: int) -> int:
        return self._add(BtfKind.PTR, size_or_type=target)

    def add_array(self, element: int, index_type: int, count: int) -> int:
        return self._add(BtfKind.ARRAY, tail=struct.pack("<III", element, index_type, count))

    def add_struct(self, name: str, size: int, members: list[tuple[str, int, int, int]],
                   union: bool = False) -> int:
        """``members``: (name, type id, bit offset, bitfield size or 0)."""
        bitfields = any(bits for _, _, _, bits in members)
        tail = b"".join(struct.pack("<III", self.name(n), t, (bits << 24 | off) if bitfields else off)
                        for n, t, off, bits in members)
        return self._add(BtfKind.UNION if union else BtfKind.STRUCT, name, len(members),
                         bitfields, size, tail)

    def reserve(self) -> int:
        """Reserve an id now (for self-referencing types), filled later with ``fill``."""
        self.records.append(b"")
        return len(self.records)

    def fill(self, type_id: int, build) -> None:
        """Build a record with ``build(self)`` (which must add exactly one) into a reserved id."""
        count = len(self.records)
        new_id = build(self)
        if new_id != count + 1 or len(self.records) != count + 1:
            raise ValueError("fill() must add exactly one record")
        self.records[type_id - 1] = self.records.pop()

    def add_enum(self, name: str, values: list[tuple[str, int]], size: int = 4,
                 signed: bool = False) -> int:
        if size == 8 or any(not -(1 << 31) <= v < (1 << 32) for _, v in values):
            tail = b"".join(struct.pack("<III", self.name(n), v & 0xFFFFFFFF, (v >> 32) & 0xFFFFFFFF)
                            for n, v in values)
            return self._add(BtfKind.ENUM64, name, len(values), signed, size, tail)
        tail = b"".join(struct.pack("<II", self.name(n), v & 0xFFFFFFFF) for n, v in values)
        return self._add(BtfKind.ENUM, name, len(values), signed, size, tail)

    def add_fwd(self, name: str, union: bool = False) -> int:
        return self._add(BtfKind.FWD, name, flag=union)

    def add_typedef(self, name: str, target: int) -> int:
        return self._add(BtfKind.TYPEDEF, name, size_or_type=target)

    def add_const(self, target: int) -> int:
        return self._add(BtfKind.CONST, size_or_type=target)

    def add_volatile(self, target: int) -> int:
        return self._add(BtfKind.VOLATILE, size_or_type=target)

    def add_func_proto(self, ret: int, params: list[tuple[str, int]]) -> int:
        tail = b"".join(struct.pack("<II", self.name(n), t) for n, t in params)
        return self._add(BtfKind.FUNC_PROTO, vlen=len(params), size_or_type=ret, tail=tail)

    def add_func(self, name: str, proto: int, linkage: int = 1) -> int:
        return self._add(BtfKind.FUNC, name, vlen=linkage, size_or_type=proto)

    def add_var(self, name: str, type_id: int, linkage: int = 1) -> int:
        return self._add(BtfKind.VAR, name, size_or_type=type_id, tail=struct.pack("<I", linkage))

    def add_datasec(self, name: str, size: int, variables: list[tuple[int, int, int]]) -> int:
        tail = b"".join(struct.pack("<III", *v) for v in variables)
        return self._add(BtfKind.DATASEC, name, len(variables), size_or_type=size, tail=tail)

    def build(self) -> bytes:
        types = b"".join(self.records)
        header = struct.pack("<HBBIIIII", MAGIC, 1, 0, HEADER_LEN, 0, len(types), len(types),
                             len(self.strings))
        return header + types + bytes(self.strings)
