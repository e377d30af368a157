"""The simulated kernel's types: the table, its vmlinux.h, its BTF, and the real kernel's UAPI."""

from __future__ import annotations

import io

import pytest
from elftools.elf.elffile import ELFFile

from tests.loader_cc import compile_c, compile_with_headers
from vm_service import btf as btf_module
from vm_service import kernel_types as kt
from vm_service.btf import BtfKind
from vm_service.loader import load_object

def named_aggregates():
    return [f"{a.kind} {a.name}" for a in kt.AGGREGATES]


def flattened_members(btf: btf_module.Btf, type_id: int, base: int = 0) -> dict[str, tuple[int, int, int]]:
    """name -> (bit offset, bitfield size, type id) through anonymous members."""
    out = {}
    t = btf.get(btf.resolve(type_id))
    for member in btf.members(t):
        if not member.name:
            out.update(flattened_members(btf, member.type_id, base + member.bit_offset))
        else:
            out[member.name] = (base + member.bit_offset, member.bit_size, member.type_id)
    return out


def table_fields(name: str) -> dict[str, tuple[int, int]]:
    """name -> (bit offset, bitfield size) of the table, flattened the same way."""
    fields = {f.field: (8 * f.offset, 0) for f in kt.layout(name)}
    fields.update({n: (bit, bits) for n, bit, bits, _ in kt.bitfields(name)})
    return fields


# -- the rendered header ---------------------------------------------------------------------------

def test_vmlinux_h_puts_every_field_at_its_offset_and_every_struct_at_its_size():
    lines = ['#include "vmlinux.h"']
    for name in named_aggregates():
        agg = kt.aggregate(name)
        lines.append(f'_Static_assert(sizeof({name}) == {agg.size}, "{name}");')
        for f in kt.layout(name):
            lines.append(f'_Static_assert(__builtin_offsetof({name}, {f.field}) == {f.offset}, '
                         f'"{name}.{f.field}");')
            lines.append(f'_Static_assert(sizeof((({name} *)0)->{f.field}) == {f.size}, '
                         f'"sizeof {name}.{f.field}");')
    lines.append('__attribute__((section("socket"), used)) int prog(void *ctx) { return 0; }')
    assert compile_c("\n".join(lines), prelude=False, files={"vmlinux.h": kt.vmlinux_h()})


def test_the_btf_clang_makes_of_vmlinux_h_matches_the_table_bit_for_bit():
    uses = "\n".join(f"{name} *use_{i};" for i, name in enumerate(named_aggregates()))
    data = compile_c('#include "vmlinux.h"\n' + uses
                     + '\n__attribute__((section("socket"), used)) int prog(void *c) { return 0; }',
                     prelude=False, files={"vmlinux.h": kt.vmlinux_h()})
    local = btf_module.parse(ELFFile(io.BytesIO(data)).get_section_by_name(".BTF").data())
    for name in named_aggregates():
        kind, tag = name.split(" ")
        ids = local.find(tag, BtfKind.STRUCT if kind == "struct" else BtfKind.UNION)
        assert ids, name
        compiled = {n: (off, bits) for n, (off, bits, _) in flattened_members(local, ids[0]).items()
                    if not n.startswith("__pad")}
        assert compiled == table_fields(name), name


def test_vmlinux_h_defines_each_type_once_with_preserve_access_index():
    text = kt.vmlinux_h()
    for name in named_aggregates():
        assert text.count(f"\n{name} {{") == 1, name
    assert "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)" in text
    assert text.count("#pragma clang attribute pop") == 1
    assert "typedef _Bool bool;" in text and "XDP_PASS = 2," in text


def test_a_tracing_program_written_against_vmlinux_h_loads_with_no_poisoned_access():
    source = r"""
        #include "vmlinux.h"
        #define SEC(n) __attribute__((section(n), used))
        static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *src) = (void *) 113;
        static __u64 (*bpf_get_current_task)(void) = (void *) 35;
        struct event { int pid; int ppid; __u32 uid; char comm[16]; };
        struct event last;
        SEC("tp/sched/sched_process_exec")
        int handle_exec(struct trace_event_raw_sched_process_exec *ctx) {
            struct task_struct *task = (struct task_struct *)bpf_get_current_task();
            struct task_struct *parent;
            const struct cred *cred;
            bpf_probe_read_kernel(&parent, sizeof(parent), &task->real_parent);
            bpf_probe_read_kernel(&last.ppid, sizeof(int), &parent->tgid);
            bpf_probe_read_kernel(&cred, sizeof(cred), &task->cred);
            bpf_probe_read_kernel(&last.uid, sizeof(__u32), &cred->uid.val);
            bpf_probe_read_kernel(&last.comm, sizeof(last.comm), &task->comm);
            last.pid = ctx->pid;
            return 0;
        }
        char LICENSE[] SEC("license") = "GPL";
    """
    spec = load_object(compile_c(source, prelude=False, files={"vmlinux.h": kt.vmlinux_h()}))
    relocations = spec.program("handle_exec").core_relocations
    assert relocations and all(r.outcome != "poisoned" for r in relocations)
    targets = {r.spec: r.target for r in relocations if r.kind == "field_byte_offset"}
    assert targets["task_struct.real_parent"] == 1280
    assert targets["task_struct.tgid"] == 1268
    assert targets["cred.uid.val"] == 8
    assert targets["trace_event_raw_sched_process_exec.pid"] == 12


# -- the table's API ----------------------------------------------------------------------------------

def test_layout_flattens_anonymous_members_and_skips_bitfields():
    assert [(f.field, f.offset, f.size, f.ctype) for f in kt.layout("qstr")] == [
        ("hash", 0, 4, "u32"), ("hash_len", 0, 8, "u64"), ("len", 4, 4, "u32"),
        ("name", 8, 8, "const unsigned char *")]
    task = {f.field: f for f in kt.layout("struct task_struct")}
    assert (task["comm"].offset, task["comm"].size, task["comm"].ctype) == (1752, 16, "char[16]")
    assert "ihl" not in {f.field for f in kt.layout("iphdr")}
    assert kt.bitfields("iphdr") == [("ihl", 0, 4, "__u8"), ("version", 4, 4, "__u8")]
    field, offset, size, ctype = kt.layout("trace_entry")[0]
    assert (field, offset, size, ctype) == ("type", 0, 2, "unsigned short")


@pytest.mark.parametrize("name, size", [
    ("task_struct", 3264), ("struct cred", 184), ("pid_t", 4), ("u64", 8), ("kuid_t", 4),
    ("bool", 1), ("enum xdp_action", 4), ("bpf_user_pt_regs_t", 168), ("unsigned long", 8),
])
def test_size_of_answers_for_structs_typedefs_and_base_types(name, size):
    assert kt.size_of(name) == size


def test_unknown_names_are_a_clear_error():
    with pytest.raises(kt.KernelTypeError, match="no struct not_a_struct"):
        kt.layout("not_a_struct")
    with pytest.raises(kt.KernelTypeError, match="cannot read the C type"):
        kt.parse_ctype("struct (oops")


@pytest.mark.parametrize("text, parsed", [
    ("int", kt.CType("int")),
    ("const struct cred *", kt.CType("struct cred", const=True, pointers=1)),
    ("unsigned long[6]", kt.CType("unsigned long", dims=(6,))),
    ("volatile unsigned char", kt.CType("unsigned char", volatile=True)),
    ("char **", kt.CType("char", pointers=2)),
    ("__u32[2][3]", kt.CType("__u32", dims=(2, 3))),
])
def test_c_spellings_parse(text, parsed):
    assert kt.parse_ctype(text) == parsed


def test_the_kernel_btf_holds_every_table_type_with_its_layout():
    target = kt.kernel_btf()
    target.check()
    for name in named_aggregates():
        kind, tag = name.split(" ")
        ids = target.find(tag, BtfKind.STRUCT if kind == "struct" else BtfKind.UNION)
        assert len(ids) == 1, name
        assert target.get(ids[0]).size_or_type == kt.aggregate(name).size
        members = {n: (off, bits) for n, (off, bits, _) in flattened_members(target, ids[0]).items()}
        assert members == table_fields(name), name
    assert target.c_name(target.find("cred", BtfKind.STRUCT)[0]) == "struct cred"
    assert target.enum("xdp_action")["XDP_PASS"] == 2


# -- against the running kernel ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vmlinux():
    try:
        return btf_module.load()
    except OSError as error:
        pytest.skip(f"cannot read {btf_module.VMLINUX}: {error}")


@pytest.mark.parametrize("name", named_aggregates())
def test_every_struct_is_laid_out_as_in_the_running_kernel(vmlinux, name):
    kind, tag = name.split(" ")
    ids = vmlinux.find(tag, BtfKind.STRUCT if kind == "struct" else BtfKind.UNION)
    assert ids, name
    kernel = flattened_members(vmlinux, ids[0])
    assert vmlinux.get(ids[0]).size_or_type == kt.aggregate(name).size
    for field, (bit_offset, bits) in table_fields(name).items():
        assert field in kernel, f"{name}.{field}"
        assert kernel[field][:2] == (bit_offset, bits), f"{name}.{field}"
    for f in kt.layout(name):
        assert vmlinux.size_of(kernel[f.field][2]) == f.size, f"sizeof {name}.{f.field}"


def test_typedefs_have_the_running_kernels_sizes(vmlinux):
    for td in kt.TYPEDEFS:
        ids = vmlinux.find(td.name, BtfKind.TYPEDEF)
        if ids:                   # a few (bpf_user_pt_regs_t...) exist only in UAPI headers
            assert vmlinux.size_of(ids[0]) == kt.size_of(td.name), td.name


def test_pt_regs_keeps_cs_and_ss_in_the_kernels_fred_unions():
    regs = {f.field: (f.offset, f.size, f.ctype) for f in kt.layout("pt_regs")}
    assert regs["cs"] == (136, 2, "u16") and regs["csx"] == (136, 8, "u64")
    assert regs["fred_cs"] == (136, 8, "struct fred_cs")
    assert regs["ss"] == (160, 2, "u16") and regs["ssx"] == (160, 8, "u64")
    assert regs["fred_ss"] == (160, 8, "struct fred_ss")
    assert ("vector", 32, 8, "u64") in kt.bitfields("fred_ss")
    assert kt.size_of("pt_regs") == 168


def test_enumerators_have_the_running_kernels_values(vmlinux):
    known: dict[str, int] = {}
    for t in vmlinux.types:
        if t.kind in (BtfKind.ENUM, BtfKind.ENUM64):
            for name, value in vmlinux.enum_values(t):
                known.setdefault(name, value & ((1 << 64) - 1))
    for enum in kt.ENUMS:
        for name, value in enum.values:
            if name in ("false", "true"):
                continue
            assert known.get(name) == value, name


# -- bool, true and false ---------------------------------------------------------------------

BOOL_USER = r"""
{before}
#include "vmlinux.h"
{after}
bool seen = true;
_Static_assert(sizeof(bool) == 1, "bool is one byte");
_Static_assert(true == 1 && false == 0, "true and false");
#if defined(__bool_true_false_are_defined) && __STDC_VERSION__ < 202311L
#if !(true == 1 && false == 0)
#error "after <stdbool.h>, true and false work in #if"
#endif
#endif
__attribute__((section("socket"), used)) int prog(void *ctx) {{ return seen == false; }}
char LICENSE[] __attribute__((section("license"), used)) = "GPL";
"""


@pytest.mark.parametrize("headers", ["bundled", "compiler's"])
@pytest.mark.parametrize("order", ["without", "before", "after"])
@pytest.mark.parametrize("std", ["c99", "gnu99", "c11", "c17", "c23", "gnu23"])
def test_vmlinux_h_bool_compiles_with_stdbool_in_any_order_and_any_standard(std, order, headers):
    include = "#include <stdbool.h>"
    source = BOOL_USER.format(before=include if order == "before" else "",
                              after=include if order == "after" else "")
    flags = (f"-std={std}", "-Wall", "-Werror")
    if headers == "bundled":          # -nostdinc: <stdbool.h> is the playground's
        assert compile_with_headers(source, *flags)
    else:                             # clang's own <stdbool.h>, vmlinux.h beside the source
        assert compile_c(source, prelude=False, files={"vmlinux.h": kt.vmlinux_h()}, flags=flags)
