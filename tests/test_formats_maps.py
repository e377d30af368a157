"""MAPS.json: parsing, creating and seeding maps, freezing, tail_call_self, ELF seeding."""

from __future__ import annotations

import json
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vm_service.asm import assemble
from vm_service.formats import (EntryConfig, FormatError, MapConfig, MapsConfig, TailCallSelf,
                                create_maps, install_tail_call_self, maps_from_json, parse_maps,
                                seed_maps)
from vm_service.helpers import helper_name, implementations
from vm_service.inputs import InputError
from vm_service.machine import Machine
from vm_service.maps import EPERM, MapFlag, MapSpec, MapType, create_map, lpm_key


def u32(n: int) -> bytes:
    return struct.pack("<I", n)


def u64(n: int) -> bytes:
    return struct.pack("<Q", n)


def config(*maps, **top) -> MapsConfig:
    return parse_maps(json.dumps({"maps": list(maps), **top}))


def array(**extra) -> dict:
    return {"type": "array", "key_size": 4, "value_size": 8, "max_entries": 4, **extra}


def run(code: str, maps) -> tuple[str, int, str | None]:
    machine = Machine(assemble(code).program(), maps=maps, helpers=implementations(None),
                      helper_name=helper_name)
    event = machine.run()
    return event.kind, machine.regs[0], event.message


# -- parsing ---------------------------------------------------------------------------------


def test_it_parses_every_key_of_a_map():
    parsed = config({"name": "cfg", "type": "lpm_trie", "key_size": 8, "value_size": 4,
                     "max_entries": 16, "map_flags": 1, "init_hex": "01", "freeze": True,
                     "entries": [{"key_hex": "18000000 0a000000", "value_hex": "07000000"}],
                     "note": "ignored"},
                    license="Dual BSD/GPL", tail_call_self=[{"map_index": 0, "key": 2},
                                                            {"map": "jumps", "key": "0x1"}])
    assert parsed == MapsConfig(
        maps=(MapConfig(name="cfg", type=MapType.LPM_TRIE, key_size=8, value_size=4,
                        max_entries=16, map_flags=1, init=b"\1", freeze=True,
                        entries=(EntryConfig(key=lpm_key(24, bytes([10, 0, 0, 0])),
                                             value=u32(7)),)),),
        license="Dual BSD/GPL",
        tail_call_self=(TailCallSelf(key=2, map_index=0), TailCallSelf(key=1, map_name="jumps")))


@pytest.mark.parametrize("written", [11, "11", "lpm_trie", "LPM_TRIE", "Lpm_Trie",
                                     "BPF_MAP_TYPE_LPM_TRIE", "bpf_map_type_lpm_trie"])
def test_it_takes_a_map_type_by_number_or_name(written):
    assert config({"type": written}).maps[0].type is MapType.LPM_TRIE


def test_defaults_are_no_maps_and_the_gpl():
    assert parse_maps("{}") == MapsConfig(maps=(), license="GPL", tail_call_self=())


@pytest.mark.parametrize("document, message", [
    ([], "MAPS.json: expected an object, got an array"),
    ({"maps": {}}, "MAPS.json: maps: expected an array, got an object"),
    ({"maps": [7]}, "MAPS.json: maps[0]: expected an object, got a number"),
    ({"maps": [{"type": "hashmap"}]}, "MAPS.json: maps[0].type: 'hashmap' is not a map type the "
                                      "playground models; it models hash (1), array (2)"),
    ({"maps": [{"type": 7}]}, "MAPS.json: maps[0].type: map type 7 is not one the playground models"),
    ({"maps": [{"type": True}]}, "MAPS.json: maps[0].type: expected an integer, got a boolean"),
    ({"maps": [{"key_size": -1}]}, "MAPS.json: maps[0].key_size: -1 is out of range"),
    ({"maps": [{"max_entries": 2**32}]}, "MAPS.json: maps[0].max_entries: 4294967296 is out of range"),
    ({"maps": [{"name": 5}]}, "MAPS.json: maps[0].name: expected a string, got a number"),
    ({"maps": [{"freeze": "yes"}]}, "MAPS.json: maps[0].freeze: expected true or false, got a string"),
    ({"maps": [{"init_hex": "0"}]}, "MAPS.json: maps[0].init_hex: character 1 (line 1, column 1)"),
    ({"maps": [{"entries": [{"key_hex": "00"}]}]},
     "MAPS.json: maps[0].entries[0]: give value_hex (the value's bytes) or, for a map of maps, "
     "inner_map"),
    ({"maps": [{"entries": [{"value_hex": "00", "inner_map": 0}]}]},
     "MAPS.json: maps[0].entries[0]: give value_hex"),
    ({"maps": [{"entries": [{"key_hex": "0", "value_hex": "00"}]}]},
     "MAPS.json: maps[0].entries[0].key_hex: character 1"),
    ({"maps": [{"entries": [{"inner_map": 1.5}]}]},
     "MAPS.json: maps[0].entries[0].inner_map: expected an integer, got a number"),
    ({"maps": [{"type": "hash", "inner": array()}]},
     "MAPS.json: maps[0].inner: only maps of maps (array_of_maps, hash_of_maps) have an inner map"),
    ({"maps": [{"type": "array_of_maps", "inner": {"type": "array"}}]},
     "MAPS.json: maps[0].inner.key_size: missing: an inner map template needs type"),
    ({"license": 1}, "MAPS.json: license: expected a string, got a number"),
    ({"license": "GPL\u0000"}, "MAPS.json: license: a license string cannot hold a NUL"),
    ({"tail_call_self": [{"key": 0}]},
     "MAPS.json: tail_call_self[0]: give map_index (the program array's index in maps) or map"),
    ({"tail_call_self": [{"map_index": 0, "map": "x", "key": 0}]},
     "MAPS.json: tail_call_self[0]: give map_index"),
    ({"tail_call_self": [{"map_index": 0}]}, "MAPS.json: tail_call_self[0].key: missing"),
    ({"tail_call_self": [{"map_index": -1, "key": 0}]},
     "MAPS.json: tail_call_self[0].map_index: -1 is out of range"),
])
def test_it_names_the_path_of_a_bad_value(document, message):
    with pytest.raises(FormatError) as caught:
        parse_maps(json.dumps(document))
    assert str(caught.value).startswith(message), str(caught.value)


def test_invalid_json_gives_line_and_column():
    with pytest.raises(FormatError, match=r"^MAPS.json: line 2, column 14: invalid JSON"):
        parse_maps('{"maps": [\n  {"type": 1,, }]}')


# -- raw bytecode: creating and seeding ---------------------------------------------------------


def test_it_creates_maps_in_order_and_seeds_them():
    maps = create_maps(config(
        array(name="data", max_entries=1, init_hex="2a"),
        {"name": "counts", "type": "hash", "key_size": 4, "value_size": 8, "max_entries": 8,
         "entries": [{"key_hex": "01000000", "value_hex": "0500000000000000"},
                     {"key_hex": "02000000", "value_hex": "0600000000000000"}]},
        {"type": "queue", "key_size": 0, "value_size": 2, "max_entries": 4,
         "entries": [{"value_hex": "0100"}, {"key_hex": "", "value_hex": "0200"}]},
        {"type": "lpm_trie", "key_size": 8, "value_size": 1, "max_entries": 4, "map_flags": 1,
         "entries": [{"key_hex": "10000000 0a000000", "value_hex": "07"}]}))
    assert [m.type for m in maps] == [MapType.ARRAY, MapType.HASH, MapType.QUEUE, MapType.LPM_TRIE]
    assert [m.spec.name for m in maps] == ["data", "counts", "", ""]
    assert maps[0].user_lookup(u32(0)) == u64(42)            # zero-padded to value_size
    assert sorted(maps[1].items()) == [(u32(1), u64(5)), (u32(2), u64(6))]
    assert maps[2].user_lookup_and_delete(b"") == b"\1\0"    # FIFO: the first pushed
    assert maps[3].lookup(lpm_key(32, bytes([10, 0, 7, 7]))) == bytearray(b"\7")


def test_a_per_cpu_value_is_copied_to_every_cpu_or_given_per_cpu():
    [one, each] = create_maps(config(
        {"type": "percpu_array", "key_size": 4, "value_size": 4, "max_entries": 2,
         "entries": [{"key_hex": "00000000", "value_hex": "0a000000"}]},
        {"type": "percpu_hash", "key_size": 4, "value_size": 4, "max_entries": 2,
         "entries": [{"key_hex": "00000000", "value_hex": "01000000 00000000 02000000 00000000 "
                                                          "03000000 00000000"}]}), ncpus=3)
    assert one.user_lookup(u32(0)) == (u32(10) + bytes(4)) * 3
    assert [bytes(each.lookup(u32(0), cpu)) for cpu in range(3)] == [u32(1), u32(2), u32(3)]


def test_map_of_maps_entries_store_other_maps_by_index_or_name():
    inner = {"type": "array", "key_size": 4, "value_size": 4, "max_entries": 1}
    maps = create_maps(config(
        {"name": "a", **inner, "init_hex": "01000000"},
        {"name": "b", **inner, "init_hex": "02000000"},
        {"type": "array_of_maps", "key_size": 4, "value_size": 4, "max_entries": 2,
         "inner": inner, "entries": [{"key_hex": "00000000", "inner_map": 1},
                                     {"key_hex": "01000000", "inner_map": "a"}]}))
    assert maps[2].lookup(u32(0)) is maps[1] and maps[2].lookup(u32(1)) is maps[0]


def test_freeze_makes_a_map_read_only_for_programs_and_user_space():
    [frozen] = create_maps(config(array(name="rodata", max_entries=1, init_hex="2a",
                                        freeze=True)))
    assert frozen.frozen and frozen.flags & MapFlag.RDONLY_PROG
    assert frozen.user_update(u32(0), u64(1)) == -EPERM
    read = "r1 = map[id:0][0]+0\nr0 = *(u64 *)(r1 + 0)\nexit"
    assert run(read, [frozen])[:2] == ("exit", 42)
    write = "r1 = map[id:0][0]+0\nr2 = 7\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit"
    kind, _, message = run(write, [frozen])
    assert kind == "fault" and "read-only" in message
    through_lookup = ("*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = map[id:0]\ncall 1\n"
                      "if r0 == 0 goto +2\nr1 = 7\n*(u64 *)(r0 + 0) = r1\nr0 = 0\nexit")
    assert run(through_lookup, [frozen])[0] == "fault"
    assert frozen.user_lookup(u32(0)) == u64(42)


def test_an_unfrozen_map_takes_program_writes():
    [data] = create_maps(config(array(max_entries=1)))
    code = "r1 = map[id:0][0]+0\nr2 = 7\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit"
    assert run(code, [data])[0] == "exit" and data.user_lookup(u32(0)) == u64(7)


def test_tail_call_self_puts_the_program_in_its_slot_and_the_kernel_limit_applies():
    parsed = config(array(max_entries=1),
                    {"name": "jumps", "type": "prog_array", "key_size": 4, "value_size": 4,
                     "max_entries": 4},
                    tail_call_self=[{"map": "jumps", "key": 3}])
    maps = create_maps(parsed)
    program = assemble(
        "r6 = r1\nr1 = map[id:0][0]+0\nr2 = *(u64 *)(r1 + 0)\nr2 += 1\n*(u64 *)(r1 + 0) = r2\n"
        "r1 = r6\nr2 = map[id:1]\nr3 = 3\ncall 12\nr0 = 0\nexit").program()
    install_tail_call_self(parsed, maps, program)
    assert maps[1].get(3) is program
    machine = Machine(program, maps=maps, helpers=implementations(None), helper_name=helper_name)
    assert machine.run().kind == "exit"
    assert maps[0].user_lookup(u32(0)) == u64(34)   # the first run and 33 tail calls


@pytest.mark.parametrize("document, message", [
    ({"maps": [{"type": "array", "value_size": 4, "max_entries": 1}]},
     "maps[0].key_size: missing: raw bytecode has no map definitions"),
    ({"maps": [array(key_size=8)]},
     "maps[0]: the kernel would refuse to create it: EINVAL: array keys are u32"),
    ({"maps": [array(name="x" * 16)]},
     "maps[0]: map 'xxxxxxxxxxxxxxxx': the kernel would refuse to create it: EINVAL"),
    ({"maps": [{"type": "lpm_trie", "key_size": 8, "value_size": 4, "max_entries": 1}]},
     "maps[0]: the kernel would refuse to create it: EINVAL"),
    ({"maps": [{"type": "prog_array", "key_size": 4, "value_size": 4, "max_entries": 1,
                "freeze": True}]},
     "freeze creates the map with BPF_F_RDONLY_PROG"),
    ({"maps": [{"type": "array_of_maps", "key_size": 4, "value_size": 4, "max_entries": 1}]},
     "maps[0]: the kernel would refuse to create it: EBADF: a map of maps needs an inner map"),
    ({"maps": [array(init_hex="00" * 9)]}, "maps[0].init_hex: 9 bytes, but value_size is 8"),
    ({"maps": [array(entries=[{"key_hex": "00", "value_hex": "00"}])]},
     "maps[0].entries[0].key_hex: 1 bytes, but key_size is 4"),
    ({"maps": [array(entries=[{"key_hex": "00000000", "value_hex": "00"}])]},
     "maps[0].entries[0].value_hex: 1 bytes, but the value takes 8"),
    ({"maps": [{"type": "percpu_array", "key_size": 4, "value_size": 4, "max_entries": 1,
                "entries": [{"key_hex": "00000000", "value_hex": "00" * 5}]}]},
     "maps[0].entries[0].value_hex: 5 bytes, but the value takes 4 (one value for every CPU) "
     "or 16 (each CPU's, 8-byte aligned)"),
    ({"maps": [array(entries=[{"key_hex": "04000000", "value_hex": "00" * 8}])]},
     "maps[0].entries[0]: the kernel refuses the update: E2BIG"),
    ({"maps": [array(entries=[{"key_hex": "00000000", "inner_map": 0}])]},
     "maps[0].entries[0]: inner_map is only for maps of maps"),
    ({"maps": [{"type": "hash", "key_size": 4, "value_size": 1, "max_entries": 1,
                "entries": [{"key_hex": "00000000", "value_hex": "01"},
                            {"key_hex": "01000000", "value_hex": "02"}]}]},
     "maps[0].entries[1]: the kernel refuses the update: E2BIG (the map is full"),
    ({"maps": [{"type": "prog_array", "key_size": 4, "value_size": 4, "max_entries": 1,
                "entries": [{"key_hex": "00000000", "value_hex": "00000000"}]}]},
     "maps[0].entries: program array slots hold programs: fill them with tail_call_self"),
    ({"maps": [{"type": "ringbuf", "key_size": 0, "value_size": 0, "max_entries": 4096,
                "init_hex": "00"}]}, "maps[0].init_hex: ring buffers have no elements"),
    ({"maps": [{"type": "array_of_maps", "key_size": 4, "value_size": 4, "max_entries": 1,
                "inner": array(), "init_hex": "00"}]},
     "maps[0].init_hex: maps of maps hold maps"),
    ({"maps": [{"type": "array_of_maps", "key_size": 4, "value_size": 4, "max_entries": 1,
                "inner": array(), "entries": [{"key_hex": "00000000", "inner_map": 5}]}]},
     "maps[0].entries[0].inner_map: map 5 does not exist: there are 1"),
    ({"maps": [{"type": "array_of_maps", "key_size": 4, "value_size": 4, "max_entries": 1,
                "inner": array(), "entries": [{"key_hex": "00000000", "value_hex": "00000000"}]}]},
     "maps[0].entries[0]: a map of maps stores maps: give inner_map"),
    ({"maps": [array(name="small", max_entries=1),
               {"type": "array_of_maps", "key_size": 4, "value_size": 4, "max_entries": 1,
                "inner": array(), "entries": [{"key_hex": "00000000", "inner_map": "small"}]}]},
     "maps[1].entries[0]: the kernel refuses the update: EINVAL"),
    ({"maps": [array(name="a"), {"type": "hash_of_maps", "key_size": 4, "value_size": 4,
                                 "max_entries": 1, "inner": array(),
                                 "entries": [{"key_hex": "00000000", "inner_map": "b"}]}]},
     "maps[1].entries[0].inner_map: no map is named 'b'; the maps are: 'a'"),
    ({"maps": [array(map_flags=8, freeze=True)]},
     "maps[0].freeze: the kernel refuses to freeze it: EPERM"),
    ({"maps": [array()], "tail_call_self": [{"map_index": 0, "key": 0}]},
     "tail_call_self[0]: the map's type is array, not prog_array"),
    ({"maps": [], "tail_call_self": [{"map_index": 0, "key": 0}]},
     "tail_call_self[0].map_index: map 0 does not exist: there are 0"),
    ({"maps": [{"type": "prog_array", "key_size": 4, "value_size": 4, "max_entries": 2}],
      "tail_call_self": [{"map_index": 0, "key": 2}]},
     "tail_call_self[0].key: slot 2 is past the end of the program array (2 slots)"),
])
def test_create_errors_name_the_map_and_the_kernel_errno(document, message):
    parsed = maps_from_json(document)
    with pytest.raises(InputError) as caught:
        create_maps(parsed)
    assert message in str(caught.value), str(caught.value)


# -- ELF input: seeding by name ---------------------------------------------------------------


def object_maps() -> dict:
    """Maps as the ELF loader would create them: .rodata with BPF_F_RDONLY_PROG, as libbpf."""
    specs = [MapSpec(MapType.ARRAY, 4, 8, 1, int(MapFlag.RDONLY_PROG), name="prog.rodata"),
             MapSpec(MapType.HASH, 4, 4, 8, name="counts"),
             MapSpec(MapType.HASH_OF_MAPS, 4, 4, 2, name="outer",
                     inner=MapSpec(MapType.HASH, 4, 4, 8))]
    return {spec.name: create_map(spec) for spec in specs}


def test_seed_maps_fills_an_objects_maps_by_name():
    maps = object_maps()
    seed_maps(config({"name": "prog.rodata", "init_hex": "07", "freeze": True},
                     {"name": "counts", "type": "hash", "key_size": 4,
                      "entries": [{"key_hex": "01000000", "value_hex": "02000000"}]},
                     {"name": "outer", "entries": [{"key_hex": "00000000",
                                                    "inner_map": "counts"}]}), maps)
    assert maps["prog.rodata"].user_lookup(u32(0)) == u64(7) and maps["prog.rodata"].frozen
    assert maps["counts"].user_lookup(u32(1)) == u32(2)
    assert maps["outer"].lookup(u32(0)) is maps["counts"]


@pytest.mark.parametrize("document, message", [
    ({"maps": [{"init_hex": "00"}]}, "maps[0].name: missing: an object's maps are matched by name"),
    ({"maps": [{"name": "count"}]},
     "maps[0].name: no map is named 'count'; the maps are: 'prog.rodata', 'counts', 'outer'"),
    ({"maps": [{"name": "counts", "type": "array"}]},
     "maps[0].type: array, but the object's map 'counts' has hash"),
    ({"maps": [{"name": "counts", "value_size": 8}]},
     "maps[0].value_size: 8, but the object's map 'counts' has 4"),
    ({"maps": [{"name": "outer", "entries": [{"key_hex": "00000000", "inner_map": 3}]}]},
     "maps[0].entries[0].inner_map: maps[3] does not exist: MAPS.json has 1 map(s)"),
])
def test_seed_maps_errors_name_the_map(document, message):
    with pytest.raises(InputError) as caught:
        seed_maps(maps_from_json(document), object_maps())
    assert message in str(caught.value), str(caught.value)


# -- anything at all -------------------------------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats() |
                    st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=4) |
                    st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
SIZES = st.sampled_from([4, 8, 4, 8, 4, 0, 1, 16, 2**32 - 1])
KEYS = st.sampled_from([b"", bytes(4), b"\1\0\0\0", bytes(8)]).map(bytes.hex)
VALUES = st.sampled_from([bytes(1), bytes(4), b"\2\0\0\0", bytes(8), bytes(16)]).map(bytes.hex)
ENTRIES = st.lists(st.fixed_dictionaries({"key_hex": KEYS, "value_hex": VALUES}) |
                   st.fixed_dictionaries({"key_hex": KEYS, "inner_map": st.integers(0, 3) |
                                          st.sampled_from(["m0", "m1", "x"])}), max_size=3)
TEMPLATES = st.builds(dict, type=st.sampled_from(["array", "hash"]), key_size=SIZES,
                      value_size=SIZES, max_entries=SIZES)


@st.composite
def map_documents(draw) -> dict:
    """Mostly maps the kernel would create: a type, sizes that often fit, a template if needed."""
    map_type = draw(st.sampled_from(list(MapType)))
    document = {"type": map_type.name.lower(), "key_size": draw(SIZES),
                "value_size": draw(SIZES), "max_entries": draw(st.sampled_from([1, 4, 4096]) |
                                                              SIZES)}
    document.update(draw(st.fixed_dictionaries({}, optional={
        "map_flags": st.sampled_from([0, 1, 8, 128, 1 << 12]), "init_hex": VALUES,
        "freeze": st.booleans(), "entries": ENTRIES})))
    if map_type.name.endswith("_OF_MAPS"):
        document["inner"] = draw(TEMPLATES)
    return document


MAPS = map_documents()
NAMED_MAPS = st.lists(MAPS, max_size=3).map(
    lambda maps: [{**m, "name": f"m{i}"} for i, m in enumerate(maps)])
DOCUMENTS = st.fixed_dictionaries(
    {"maps": NAMED_MAPS},
    optional={"tail_call_self": st.lists(st.fixed_dictionaries(
        {"map_index": st.integers(0, 3), "key": st.integers(0, 5)}), max_size=2)})


@given(JSON)
def test_any_json_value_gives_a_config_or_a_format_error(value):
    try:
        parse_maps(json.dumps(value))
    except FormatError as error:
        assert error.kind == "MAPS.json" and error.problem


@given(DOCUMENTS)
def test_any_plausible_config_gives_maps_or_an_input_error(document):
    try:
        maps = create_maps(maps_from_json(document))
    except InputError as error:
        assert error.problem
    else:
        assert len(maps) == len(document["maps"])


def test_a_name_several_maps_share_must_be_replaced_by_an_index():
    inner = {"type": "array", "key_size": 4, "value_size": 4, "max_entries": 1}
    document = {"maps": [{"name": "twin", **inner}, {"name": "twin", **inner},
                         {"type": "array_of_maps", "key_size": 4, "value_size": 4,
                          "max_entries": 1, "inner": inner,
                          "entries": [{"key_hex": "00000000", "inner_map": "twin"}]}]}
    with pytest.raises(InputError, match="several maps are named 'twin'"):
        create_maps(maps_from_json(document))
    document["maps"][2]["entries"][0]["inner_map"] = 1
    assert create_maps(maps_from_json(document))[2].lookup(u32(0)).spec.name == "twin"
