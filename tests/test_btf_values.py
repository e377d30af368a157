"""Map keys and values as typed C values: ``describe`` a BTF type, ``format_value`` its bytes."""

from __future__ import annotations

import json
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.loader_cc import compile_c
from vm_service import btf as btf_module
from vm_service.loader import describe, format_value, load_object
from vm_service.loader.btf_writer import BtfBuilder

TYPED_MAP = r"""
enum state { IDLE = 0, RUNNING = 1, STOPPED = 7 };
struct flags { __u8 urgent: 1, level: 3, mode: 4; __s16 delta: 5; };
union word { __u32 whole; __u8 bytes[4]; };
struct key { __u32 pid; char comm[8]; };
struct value {
    __u64 count;
    __s32 last;
    enum state state;
    struct flags flags;
    union word word;
    __u16 ports[3];
    _Bool seen;
    double ratio;
    void *where;
    unsigned char mac[6];
    struct { int x, y; };
};
struct { __uint(type, 1); __uint(max_entries, 8); __type(key, struct key); __type(value, struct value); }
    stats SEC(".maps");
const volatile __u32 limit = 9;
const volatile char motd[6] = "hi";
SEC("socket") int prog(void *ctx) { return bpf_map_lookup_elem(&stats, ctx) != 0; }
"""


def test_struct_keys_and_values_print_as_c_values():
    spec = load_object(compile_c(TYPED_MAP))
    stats = spec.maps[0]
    key = struct.pack("<I", 42) + b"bash\0\0\0\0"
    assert format_value(stats.key_type, key) == {"pid": 42, "comm": "bash"}
    offsets = {m["name"]: m["bit_offset"] // 8 for m in stats.value_type["members"]}
    value = bytearray(stats.value_size)

    def put(name: str, raw: bytes) -> None:
        value[offsets[name]:offsets[name] + len(raw)] = raw

    put("count", struct.pack("<Q", 7))
    put("last", struct.pack("<i", -3))
    put("state", struct.pack("<I", 7))
    put("flags", bytes([1 | (5 << 1) | (9 << 4), 0b11110]))   # delta (5 bits) = -2 at bit 8
    put("word", struct.pack("<I", 0x04030201))
    put("ports", struct.pack("<3H", 80, 443, 8080))
    put("seen", b"\x01")
    put("ratio", struct.pack("<d", 0.5))
    put("where", struct.pack("<Q", 0xFFFF888000001000))
    put("mac", bytes.fromhex("0011223344ff"))
    put("", struct.pack("<ii", -1, 2))
    shown = format_value(stats.value_type, value)
    assert shown["count"] == 7 and shown["last"] == -3
    assert shown["state"] == "STOPPED"
    assert shown["flags"] == {"urgent": 1, "level": 5, "mode": 9, "delta": -2}
    assert shown["word"] == {"whole": 0x04030201, "bytes": [1, 2, 3, 4]}
    assert shown["ports"] == [80, 443, 8080]
    assert shown["seen"] is True
    assert shown["ratio"] == 0.5
    assert shown["where"] == "0xffff888000001000"
    assert shown["mac"] == [0, 0x11, 0x22, 0x33, 0x44, 0xFF]
    assert (shown["x"], shown["y"]) == (-1, 2)        # an anonymous struct's members are the value's own
    json.dumps(shown)


def test_an_enum_value_without_a_name_prints_as_its_number():
    spec = load_object(compile_c(TYPED_MAP))
    state = next(m["type"] for m in spec.maps[0].value_type["members"] if m["name"] == "state")
    assert format_value(state, struct.pack("<I", 3)) == 3


def test_char_arrays_that_are_not_text_stay_lists():
    spec = load_object(compile_c(TYPED_MAP))
    key_type = spec.maps[0].key_type
    assert format_value(key_type, struct.pack("<I", 1) + b"ab\0c\0\0\0\0")["comm"] == [
        97, 98, 0, 99, 0, 0, 0, 0]
    assert format_value(key_type, struct.pack("<I", 1) + b"\x01\x02\0\0\0\0\0\0")["comm"] == [
        1, 2, 0, 0, 0, 0, 0, 0]


def test_global_data_prints_variable_by_variable():
    spec = load_object(compile_c(TYPED_MAP))
    rodata = next(m for m in spec.maps if m.section == ".rodata")
    assert format_value(rodata.value_type, rodata.init) == {"limit": 9, "motd": "hi"}


def test_descriptions_are_plain_json():
    spec = load_object(compile_c(TYPED_MAP))
    value_type = spec.maps[0].value_type
    assert json.loads(json.dumps(value_type)) == value_type
    assert value_type["name"] == "struct value"
    member = next(m for m in value_type["members"] if m["name"] == "flags")
    assert [(m["name"], m["bit_offset"], m["bit_size"]) for m in member["type"]["members"]] == [
        ("urgent", 0, 1), ("level", 1, 3), ("mode", 4, 4), ("delta", 8, 5)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1, 2, 4, 8]), st.booleans(), st.integers()),
                min_size=1, max_size=6))
def test_any_struct_of_ints_reads_back_the_values_packed_into_it(fields):
    b = BtfBuilder()
    members, data, offset, expected = [], bytearray(), 0, {}
    for index, (size, signed, raw) in enumerate(fields):
        type_id = b.add_int(f"i{size}{int(signed)}", size, signed=signed)
        while offset % size:
            data.append(0)
            offset += 1
        bits = 8 * size
        value = raw % (1 << bits)
        if signed and value >> (bits - 1):
            value -= 1 << bits
        data += value.to_bytes(size, "little", signed=signed)
        members.append((f"f{index}", type_id, offset * 8, 0))
        expected[f"f{index}"] = value
        offset += size
    struct_id = b.add_struct("s", len(data), members)
    btf = btf_module.parse(b.build())
    assert format_value(describe(btf, struct_id), bytes(data)) == expected
