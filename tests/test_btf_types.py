"""The BTF reader's full types (members, bitfields, arrays, functions, data sections) and the writer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vm_service import btf as btf_module
from vm_service.btf import BtfKind, BtfTypeError, IntInfo, Member, Param
from vm_service.loader.btf_writer import BtfBuilder


def sample() -> tuple[btf_module.Btf, dict[str, int]]:
    b = BtfBuilder()
    ids = {}
    ids["int"] = b.add_int("int", 4, signed=True)
    ids["char"] = b.add_int("char", 1, signed=True, char=True)
    ids["u8"] = b.add_int("unsigned char", 1)
    ids["bool"] = b.add_int("_Bool", 1, boolean=True)
    ids["pid_t"] = b.add_typedef("pid_t", ids["int"])
    ids["const char"] = b.add_const(ids["char"])
    ids["const char *"] = b.add_ptr(ids["const char"])
    ids["char[16]"] = b.add_array(ids["char"], ids["int"], 16)
    ids["fwd task"] = b.add_fwd("task_struct")
    ids["task *"] = b.add_ptr(ids["fwd task"])
    ids["flags"] = b.add_struct("flags", 4, [("a", ids["u8"], 0, 3), ("b", ids["u8"], 3, 5),
                                             ("c", ids["int"], 8, 12)])
    ids["event"] = b.add_struct("event", 40, [("pid", ids["pid_t"], 0, 0),
                                              ("comm", ids["char[16]"], 32, 0),
                                              ("parent", ids["task *"], 192, 0),
                                              ("", ids["flags"], 256, 0)])
    ids["either"] = b.add_struct("either", 8, [("i", ids["int"], 0, 0), ("p", ids["task *"], 0, 0)],
                                 union=True)
    ids["proto"] = b.add_func_proto(ids["int"], [("ctx", ids["task *"]), ("", 0)])
    ids["func"] = b.add_func("handler", ids["proto"])
    ids["fnptr"] = b.add_ptr(ids["proto"])
    ids["int[4]"] = b.add_array(ids["int"], ids["int"], 4)
    ids["int (*)[4]"] = b.add_ptr(ids["int[4]"])
    ids["char * const"] = b.add_const(b.add_ptr(ids["char"]))
    ids["var"] = b.add_var("counter", ids["int"], linkage=0)
    ids["datasec"] = b.add_datasec(".data", 8, [(ids["var"], 4, 4)])
    ids["colour"] = b.add_enum("colour", [("RED", 1), ("BLUE", -1)], signed=True)
    ids["big"] = b.add_enum("big", [("HUGE", 1 << 40)], size=8)
    ids["double"] = b.add_float("double", 8)
    return btf_module.parse(b.build()), ids


def test_members_carry_bit_offsets_and_bitfield_sizes():
    btf, ids = sample()
    assert btf.members(btf.get(ids["flags"])) == (Member("a", ids["u8"], 0, 3),
                                                  Member("b", ids["u8"], 3, 5),
                                                  Member("c", ids["int"], 8, 12))
    event = btf.members(btf.get(ids["event"]))
    assert [(m.name, m.bit_offset, m.bit_size) for m in event] == [
        ("pid", 0, 0), ("comm", 32, 0), ("parent", 192, 0), ("", 256, 0)]


def test_each_kind_decodes_its_tail():
    btf, ids = sample()
    assert btf.int_info(btf.get(ids["char"])) == IntInfo(True, True, False, 0, 8)
    assert btf.int_info(btf.get(ids["bool"])).bool
    array = btf.array(btf.get(ids["char[16]"]))
    assert (array.type_id, array.nelems) == (ids["char"], 16)
    assert btf.params(btf.get(ids["proto"])) == (Param("ctx", ids["task *"]), Param("", 0))
    assert btf.var_linkage(btf.get(ids["var"])) == 0
    (info,) = btf.var_secinfos(btf.get(ids["datasec"]))
    assert (info.type_id, info.offset, info.size) == (ids["var"], 4, 4)
    assert btf.enum_values(btf.get(ids["colour"])) == [("RED", 1), ("BLUE", -1)]
    assert btf.enum("big") == {"HUGE": 1 << 40}
    with pytest.raises(BtfTypeError, match="is INT, not STRUCT or UNION"):
        btf.members(btf.get(ids["int"]))


@pytest.mark.parametrize("key, name, spelled", [
    ("pid_t", "", "pid_t"),
    ("const char *", "", "const char *"),
    ("const char *", "fmt", "const char *fmt"),
    ("char[16]", "comm", "char comm[16]"),
    ("task *", "", "struct task_struct *"),
    ("fnptr", "cb", "int (*cb)(struct task_struct *ctx, ...)"),
    ("int (*)[4]", "rows", "int (*rows)[4]"),
    ("char * const", "p", "char * const p"),
    ("func", "", "int handler(struct task_struct *ctx, ...)"),
    ("event", "e", "struct event e"),
    ("colour", "", "enum colour"),
])
def test_types_are_spelled_as_c_declares_them(key, name, spelled):
    btf, ids = sample()
    assert btf.declaration(ids[key], name) == spelled


def test_sizes_follow_typedefs_modifiers_and_arrays():
    btf, ids = sample()
    assert btf.size_of(ids["pid_t"]) == 4
    assert btf.size_of(ids["char[16]"]) == 16
    assert btf.size_of(ids["const char *"]) == 8
    assert btf.size_of(ids["event"]) == 40
    assert btf.size_of(ids["var"]) == 4
    with pytest.raises(BtfTypeError, match="void has no size"):
        btf.size_of(0)
    with pytest.raises(BtfTypeError, match="FWD has no size"):
        btf.size_of(ids["fwd task"])


def test_resolving_skips_modifiers_and_typedefs():
    btf, ids = sample()
    assert btf.resolve(ids["pid_t"]) == ids["int"]
    assert btf.skip_modifiers(ids["const char"]) == ids["char"]
    assert btf.skip_modifiers(ids["pid_t"]) == ids["pid_t"]
    assert btf.get(0) is None
    with pytest.raises(BtfTypeError, match="no such type"):
        btf.get(9999)


def test_types_are_found_by_name_and_kind():
    btf, ids = sample()
    assert btf.find("event") == [ids["event"]]
    assert btf.find("event", BtfKind.UNION) == []
    assert btf.find("task_struct", BtfKind.FWD) == [ids["fwd task"]]


def test_check_finds_dangling_references_and_loops():
    b = BtfBuilder()
    b.add_struct("s", 4, [("x", 42, 0, 0)])
    with pytest.raises(BtfTypeError, match="member 'x' refers to type \\[42\\]"):
        btf_module.parse(b.build()).check()
    b = BtfBuilder()
    b.add_typedef("a", 2)
    b.add_typedef("b", 1)
    looped = btf_module.parse(b.build())
    looped.check()
    with pytest.raises(BtfTypeError, match="a loop"):
        looped.resolve(1)
    b = BtfBuilder()
    b.add_int("wide", 1, bits=64)
    with pytest.raises(BtfTypeError, match="do not fit 1 bytes"):
        btf_module.parse(b.build()).check()
    sample()[0].check()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1, 2, 4, 8]), st.booleans()), min_size=1, max_size=8))
def test_the_writer_and_reader_agree_on_any_struct(fields):
    b = BtfBuilder()
    members = []
    offset = 0
    for index, (size, signed) in enumerate(fields):
        type_id = b.add_int(f"int{size}{'s' if signed else 'u'}", size, signed=signed)
        offset = -(-offset // size) * size
        members.append((f"f{index}", type_id, offset * 8, 0))
        offset += size
    struct_id = b.add_struct("random", -(-offset // 8) * 8, members)
    parsed = btf_module.parse(b.build())
    parsed.check()
    read = parsed.members(parsed.get(struct_id))
    assert [(m.name, m.type_id, m.bit_offset) for m in read] == [m[:3] for m in members]
    assert [parsed.int_info(parsed.get(m.type_id)).signed for m in read] == [s for _, s in fields]


def test_the_running_kernels_types_read_and_spell_right():
    try:
        vmlinux = btf_module.load()
    except OSError as error:
        pytest.skip(f"cannot read {btf_module.VMLINUX}: {error}")
    task = vmlinux.find("task_struct", BtfKind.STRUCT)[0]
    spelled = {m.name: vmlinux.declaration(m.type_id, m.name) for m in vmlinux.members(vmlinux.get(task))}
    assert spelled["comm"] == "char comm[16]"
    assert spelled["real_parent"] == "struct task_struct *real_parent"
    assert spelled["cred"] == "const struct cred *cred"
    assert vmlinux.size_of(task) == vmlinux.get(task).size_or_type
