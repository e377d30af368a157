"""The BTF reader: every kind's record layout, enum values and malformed blobs."""

from __future__ import annotations

import struct

import pytest

from vm_service import btf
from vm_service.btf import BtfError, BtfKind


class Blob:
    """Builds a BTF blob record by record (the test's own writer of the format)."""

    def __init__(self, endian: str = "<"):
        self.e = endian
        self.strings = bytearray(b"\0")
        self.types = bytearray()

    def name(self, text: str) -> int:
        offset = len(self.strings)
        self.strings += text.encode() + b"\0"
        return offset

    def add(self, kind: BtfKind, name: str = "", vlen: int = 0, flag: bool = False,
            size_or_type: int = 0, tail: bytes = b"") -> "Blob":
        info = (int(flag) << 31) | (int(kind) << 24) | vlen
        self.types += struct.pack(self.e + "III", self.name(name) if name else 0, info, size_or_type) + tail
        return self

    def u32s(self, *values: int) -> bytes:
        return struct.pack(self.e + f"{len(values)}I", *values)

    def build(self) -> bytes:
        header = struct.pack(self.e + "HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(self.types),
                             len(self.types), len(self.strings))
        return header + bytes(self.types) + bytes(self.strings)


def every_kind(endian: str = "<") -> bytes:
    b = Blob(endian)
    u = b.u32s
    b.add(BtfKind.INT, "int", size_or_type=4, tail=u(0x01000020))                       # 1
    b.add(BtfKind.PTR, size_or_type=1)                                                   # 2
    b.add(BtfKind.ARRAY, tail=u(1, 1, 4))                                                # 3
    b.add(BtfKind.STRUCT, "pair", vlen=2, size_or_type=8,
          tail=u(b.name("a"), 1, 0) + u(b.name("b"), 1, 32))                             # 4
    b.add(BtfKind.UNION, "either", vlen=1, size_or_type=4, tail=u(b.name("x"), 1, 0))    # 5
    b.add(BtfKind.ENUM, "colour", vlen=2, size_or_type=4,
          tail=u(b.name("RED"), 1) + u(b.name("BLUE"), 0xFFFFFFFF))                      # 6
    b.add(BtfKind.ENUM, "sign", vlen=1, flag=True, size_or_type=4, tail=u(b.name("NEG"), 0xFFFFFFFF))
    b.add(BtfKind.FWD, "later")                                                          # 8
    b.add(BtfKind.TYPEDEF, "myint", size_or_type=1)
    b.add(BtfKind.VOLATILE, size_or_type=1)
    b.add(BtfKind.CONST, size_or_type=1)
    b.add(BtfKind.RESTRICT, size_or_type=2)
    b.add(BtfKind.FUNC_PROTO, vlen=2, size_or_type=1, tail=u(b.name("p"), 1) + u(0, 1))  # 13
    b.add(BtfKind.FUNC, "f", vlen=1, size_or_type=13)
    b.add(BtfKind.VAR, "v", size_or_type=1, tail=u(1))
    b.add(BtfKind.DATASEC, ".data", vlen=1, size_or_type=4, tail=u(15, 0, 4))
    b.add(BtfKind.FLOAT, "float", size_or_type=4)
    b.add(BtfKind.DECL_TAG, "tag", size_or_type=4, tail=u(0xFFFFFFFF))
    b.add(BtfKind.TYPE_TAG, "user", size_or_type=2)
    b.add(BtfKind.ENUM64, "big", vlen=2, size_or_type=8,
          tail=u(b.name("HUGE"), 0, 0x80000000) + u(b.name("ONE"), 1, 0))                # 20
    b.add(BtfKind.ENUM64, "sbig", vlen=1, flag=True, size_or_type=8, tail=u(b.name("M1"), 0xFFFFFFFF, 0xFFFFFFFF))
    b.add(BtfKind.INT, "last", size_or_type=8, tail=u(0x40))
    return b.build()


@pytest.mark.parametrize("endian", ["<", ">"])
def test_it_walks_every_kind_so_later_ids_stay_right(endian):
    parsed = btf.parse(every_kind(endian))
    assert [t.kind for t in parsed.types[:21]] == [
        BtfKind.INT, BtfKind.PTR, BtfKind.ARRAY, BtfKind.STRUCT, BtfKind.UNION, BtfKind.ENUM,
        BtfKind.ENUM, BtfKind.FWD, BtfKind.TYPEDEF, BtfKind.VOLATILE, BtfKind.CONST, BtfKind.RESTRICT,
        BtfKind.FUNC_PROTO, BtfKind.FUNC, BtfKind.VAR, BtfKind.DATASEC, BtfKind.FLOAT,
        BtfKind.DECL_TAG, BtfKind.TYPE_TAG, BtfKind.ENUM64, BtfKind.ENUM64]
    last = parsed.by_id(22)
    assert (last.name, last.kind, last.size_or_type) == ("last", BtfKind.INT, 8)
    assert parsed.by_id(4).vlen == 2 and parsed.by_id(4).name == "pair"


def test_enums_decode_with_their_signedness():
    enums = btf.parse(every_kind()).enums()
    assert enums["colour"] == {"RED": 1, "BLUE": 0xFFFFFFFF}
    assert enums["sign"] == {"NEG": -1}
    assert enums["big"] == {"HUGE": 1 << 63, "ONE": 1}
    assert enums["sbig"] == {"M1": -1}


def test_it_finds_an_enum_by_name_or_says_it_is_absent():
    parsed = btf.parse(every_kind())
    assert parsed.enum("colour")["RED"] == 1
    with pytest.raises(KeyError, match="no enum named 'nope'"):
        parsed.enum("nope")


def test_it_rejects_malformed_blobs():
    good = every_kind()
    with pytest.raises(BtfError, match="bad magic"):
        btf.parse(b"\0" * 24)
    with pytest.raises(BtfError, match="shorter than the 24-byte header"):
        btf.parse(good[:10])
    with pytest.raises(BtfError, match="runs past the end"):
        btf.parse(good[:40])
    unknown = Blob().add(BtfKind.INT, "i", size_or_type=4, tail=struct.pack("<I", 32)).build()
    unknown = unknown[:24 + 16] + struct.pack("<III", 0, 25 << 24, 0) + unknown[24 + 16:]
    unknown = unknown[:8] + struct.pack("<IIII", 0, 28, 28, 3) + unknown[24:]
    with pytest.raises(BtfError, match="type id 2 has unknown kind 25"):
        btf.parse(unknown)
    bad_name = Blob()
    bad_name.types += struct.pack("<III", 999, int(BtfKind.PTR) << 24, 0)
    with pytest.raises(BtfError, match="string offset 999 is outside the string section"):
        btf.parse(bad_name.build())


def test_it_reads_the_running_kernels_btf():
    try:
        vmlinux = btf.load()
    except OSError as error:
        pytest.skip(f"cannot read {btf.VMLINUX}: {error}")
    assert vmlinux.enum("bpf_func_id")["BPF_FUNC_map_lookup_elem"] == 1
    assert vmlinux.enums()["bpf_prog_type"]["BPF_PROG_TYPE_SOCKET_FILTER"] == 1
