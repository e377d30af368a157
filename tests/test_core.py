"""CO-RE: relocations resolved against the simulated kernel's types, as libbpf resolves them.

The programs are compiled against a header describing "some other kernel
build" (fields at other offsets, extra fields the playground lacks, flavoured
names), then loaded: every field access must land where ``kernel_types``
keeps the field, missing fields must poison their instruction, and
existence/size/enum relocations must give the simulated kernel's answers.
"""

from __future__ import annotations

import struct

import pytest

from tests.loader_cc import compile_c
from vm_service import kernel_types
from vm_service.helper_ids import helper_name
from vm_service.helpers import implementations
from vm_service.helpers.kinds import ProgType
from vm_service.loader import ElfLoadError, instantiate_maps, load_object
from vm_service.loader import core
from vm_service.loader.btf_writer import BtfBuilder
from vm_service import btf as btf_module
from vm_service.machine import Machine
from vm_service.program import Program

POISON = 0xBAD2310

# What libbpf's bpf_core_read.h expands to, and a kernel whose layout differs from ours.
OTHER_KERNEL = r"""
#define field_offset(f) __builtin_preserve_field_info(f, 0)
#define field_size(f) __builtin_preserve_field_info(f, 1)
#define field_exists(f) __builtin_preserve_field_info(f, 2)
#define type_exists(t) __builtin_preserve_type_info(*(typeof(t) *)0, 0)
#define type_size(t) __builtin_preserve_type_info(*(typeof(t) *)0, 1)
#define type_matches(t) __builtin_preserve_type_info(*(typeof(t) *)0, 2)
#define enum_exists(e, v) __builtin_preserve_enum_value(*(typeof(e) *)v, 0)
#define enum_value(e, v) __builtin_preserve_enum_value(*(typeof(e) *)v, 1)
#define type_id_local(t) __builtin_btf_type_id(*(typeof(t) *)0, 0)
#define type_id_kernel(t) __builtin_btf_type_id(*(typeof(t) *)0, 1)
#define READ_BITFIELD(s, field) ({                                              \
    const void *p = (const void *)(s) + __builtin_preserve_field_info((s)->field, 0); \
    __u64 val = 0;                                                               \
    switch (__builtin_preserve_field_info((s)->field, 1)) {                      \
    case 1: val = *(const __u8 *)p; break;                                       \
    case 2: val = *(const __u16 *)p; break;                                      \
    case 4: val = *(const __u32 *)p; break;                                      \
    case 8: val = *(const __u64 *)p; break;                                      \
    }                                                                            \
    val <<= __builtin_preserve_field_info((s)->field, 4);                        \
    if (__builtin_preserve_field_info((s)->field, 3))                            \
        val = ((__s64)val) >> __builtin_preserve_field_info((s)->field, 5);      \
    else                                                                         \
        val = val >> __builtin_preserve_field_info((s)->field, 5);               \
    val; })

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
typedef struct { unsigned int val; } kuid_t;
struct cred { long usage; kuid_t uid; kuid_t euid; };
struct task_struct {
    long state;
    int tgid;
    int pid;
    unsigned long long start_time;
    struct task_struct *real_parent;
    const struct cred *cred;
    char comm[16];
    unsigned int flags;
    int numa_preferred_nid;                 /* not in the simulated kernel */
};
struct task_struct___old { int pid; char comm[16]; };
struct qstr { unsigned int len; unsigned int hash; const unsigned char *name; };
struct tcphdr { __u32 seq; __u16 res1: 4, doff: 4, fin: 1, syn: 1; };
struct not_in_kernel { int x; };
#pragma clang attribute pop
enum xdp_action___mine { XDP_DROP___mine = 10, XDP_PASS___mine = 20, XDP_GONE___mine = 30 };
"""


def load(body: str, **options):
    return load_object(compile_c(OTHER_KERNEL + body), **options)


def run(spec, name: str = "prog", prepare=None):
    maps = instantiate_maps(spec)
    if prepare is not None:
        prepare(spec, maps)
    machine = Machine(Program.from_bytes(spec.program(name).code), maps=maps,
                      helpers=implementations(ProgType.SOCKET_FILTER), helper_name=helper_name)
    return machine.run(), maps


def offset(struct_name: str, field: str) -> int:
    return next(f.offset for f in kernel_types.layout(struct_name) if f.field == field)


def test_field_offsets_and_sizes_become_the_simulated_kernels():
    spec = load("""
        SEC("socket") int prog(void *ctx) {
            struct task_struct *t = 0;
            volatile __u64 a = field_offset(t->pid), b = field_offset(t->real_parent),
                           c = field_offset(t->comm), d = field_size(t->comm),
                           e = field_size(t->start_time), f = field_offset(t->cred->euid.val);
            return a == 1264 && b == 1280 && c == 1752 && d == 16 && e == 8 && f == 24;
        }
    """)
    event, _ = run(spec)
    assert event.r0 == 1
    relocations = spec.program("prog").core_relocations
    assert {r.spec for r in relocations} >= {"task_struct.pid", "task_struct.real_parent",
                                             "task_struct.comm", "task_struct.start_time",
                                             "cred.euid.val"}
    assert {r.outcome for r in relocations} == {"patched", "unchanged"}
    assert offset("task_struct", "pid") == 1264


def test_loads_and_stores_through_kernel_structs_use_the_simulated_layout():
    spec = load("""
        char mem[8192];
        SEC("socket") int prog(void *ctx) {
            struct task_struct *task = (void *)mem, *parent = (void *)(mem + 4096);
            struct task_struct *read_back;
            int ppid = 0;
            task->real_parent = parent;
            parent->tgid = 77;
            task->flags = 0x40;
            bpf_probe_read_kernel(&read_back, sizeof(read_back), &task->real_parent);
            bpf_probe_read_kernel(&ppid, sizeof(ppid), &read_back->tgid);
            return ppid;
        }
    """)
    event, maps = run(spec)
    assert event.kind == "exit" and event.r0 == 77
    memory = maps[spec.map_index("object.bss")].user_lookup(bytes(4))
    tgid = offset("task_struct", "tgid")
    assert struct.unpack_from("<i", memory, 4096 + tgid)[0] == 77
    assert struct.unpack_from("<I", memory, offset("task_struct", "flags"))[0] == 0x40
    assert struct.unpack_from("<Q", memory, offset("task_struct", "real_parent"))[0] != 0


def test_a_field_the_kernel_lacks_poisons_its_instruction_and_exists_says_zero():
    spec = load("""
        SEC("socket") int guarded(void *ctx) {
            struct task_struct *t = (void *)ctx;
            if (field_exists(t->numa_preferred_nid))
                return t->numa_preferred_nid;
            return field_exists(t->pid) ? 5 : 6;
        }
        SEC("socket") int unguarded(void *ctx) {
            volatile __u64 off = field_offset(((struct task_struct *)0)->numa_preferred_nid);
            return off;
        }
    """)
    guarded = spec.program("guarded")
    kinds = {(r.kind, r.spec, r.outcome) for r in guarded.core_relocations}
    assert ("field_exists", "task_struct.numa_preferred_nid", "patched") in kinds
    assert ("field_byte_offset", "task_struct.numa_preferred_nid", "poisoned") in kinds
    poisoned = [r.insn for r in guarded.core_relocations if r.outcome == "poisoned"]
    code = Program.from_bytes(guarded.code)
    assert all(code.at[pc].spec.name == "call" and code.at[pc].imm == POISON for pc in poisoned)
    event, _ = run(spec, "guarded")
    assert (event.kind, event.r0) == ("exit", 5)
    event, _ = run(spec, "unguarded")
    assert event.kind == "fault" and "unknown#195896080" in event.message


def test_flavoured_names_and_anonymous_members_resolve():
    spec = load("""
        SEC("socket") int prog(void *ctx) {
            volatile __u64 a = field_offset(((struct task_struct___old *)0)->comm);
            volatile __u64 b = field_offset(((struct qstr *)0)->len);
            volatile __u64 c = field_offset(((struct qstr *)0)->hash);
            volatile __u64 d = field_offset(((struct qstr *)0)->name);
            return a == 1752 && b == 4 && c == 0 && d == 8;
        }
    """)
    assert run(spec)[0].r0 == 1


def test_type_relocations_answer_existence_size_and_match():
    spec = load("""
        SEC("socket") int prog(void *ctx) {
            volatile __u64 a = type_exists(struct task_struct), b = type_exists(struct not_in_kernel),
                           c = type_size(struct task_struct), d = type_size(struct not_in_kernel),
                           e = type_matches(struct task_struct), f = type_id_kernel(struct task_struct),
                           g = type_id_local(struct task_struct);
            return a == 1 && b == 0 && c == 3264 && d == 0 && e == 0 && f != 0 && g != 0;
        }
    """)
    assert run(spec)[0].r0 == 1
    target = kernel_types.kernel_btf()
    kernel_id = target.find("task_struct", btf_module.BtfKind.STRUCT)[0]
    relocations = {r.kind: r for r in spec.program("prog").core_relocations}
    assert relocations["type_id_target"].target == kernel_id
    assert relocations["type_id_local"].outcome == "unchanged"


def test_type_matches_wants_every_local_member_in_the_kernel_type():
    spec = load("""
        struct trace_entry { unsigned short type; unsigned char flags; int pid; }
            __attribute__((preserve_access_index));
        struct trace_entry___other { unsigned short type; long pid; }
            __attribute__((preserve_access_index));
        SEC("socket") int prog(void *ctx) {
            volatile __u64 a = type_matches(struct trace_entry),
                           b = type_matches(struct trace_entry___other);
            return a * 10 + b;
        }
    """)
    assert run(spec)[0].r0 == 10       # ___other's pid is a long; the kernel's an int


def test_enum_values_come_from_the_kernel_by_name():
    spec = load("""
        SEC("socket") int prog(void *ctx) {
            volatile __u64 a = enum_value(enum xdp_action___mine, XDP_PASS___mine),
                           b = enum_value(enum xdp_action___mine, XDP_DROP___mine),
                           c = enum_exists(enum xdp_action___mine, XDP_GONE___mine),
                           d = enum_exists(enum xdp_action___mine, XDP_PASS___mine);
            return a == 2 && b == 1 && c == 0 && d == 1;
        }
        SEC("socket") int missing(void *ctx) {
            return enum_value(enum xdp_action___mine, XDP_GONE___mine);
        }
    """)
    assert run(spec)[0].r0 == 1
    outcomes = {r.spec: r.outcome for r in spec.program("missing").core_relocations}
    assert outcomes == {"enum xdp_action___mine::XDP_GONE___mine": "poisoned"}


def test_bitfields_are_read_through_the_relocated_shifts():
    spec = load("""
        char packet[64];
        SEC("socket") int prog(void *ctx) {
            struct tcphdr *tcp = (void *)packet;
            return READ_BITFIELD(tcp, doff) * 100 + READ_BITFIELD(tcp, syn) * 10
                   + READ_BITFIELD(tcp, fin);
        }
    """)

    def prepare(spec, maps):
        packet = bytearray(64)
        packet[12] = 5 << 4               # doff = 5 (bits 100-103 of the header)
        packet[13] = 0b10                 # syn = 1, fin = 0
        maps[spec.map_index("object.bss")].user_update(bytes(4), bytes(packet))

    event, _ = run(spec, prepare=prepare)
    assert (event.kind, event.r0) == ("exit", 510)
    kinds = {r.kind for r in spec.program("prog").core_relocations}
    assert {"field_lshift_u64", "field_rshift_u64", "field_signed", "field_byte_size"} <= kinds


def _ambiguous_target() -> btf_module.Btf:
    b = BtfBuilder()
    int_id = b.add_int("int", 4, signed=True)
    b.add_struct("task_struct", 16, [("pid", int_id, 0, 0)])
    b.add_struct("task_struct___v2", 16, [("pid", int_id, 64, 0)])
    return btf_module.parse(b.build())


def test_ambiguous_candidates_are_an_error_naming_the_relocation():
    source = """
        SEC("socket") int prog(void *ctx) { return field_offset(((struct task_struct *)0)->pid); }
    """
    with pytest.raises(ElfLoadError) as error:
        load(source, kernel_btf=_ambiguous_target())
    assert error.value.stage == "CO-RE"
    assert "struct task_struct" in error.value.message and "ambiguity" in error.value.message
    assert "insn" in error.value.message


def test_a_smaller_kernel_field_narrows_an_unsigned_load_and_poisons_a_signed_one():
    b = BtfBuilder()
    u16 = b.add_int("unsigned short", 2)
    s16 = b.add_int("short", 2, signed=True)
    b.add_struct("cred", 8, [("uid", u16, 0, 0), ("euid", s16, 16, 0)])
    target = btf_module.parse(b.build())
    spec = load("""
        struct cred___narrow { unsigned int uid; unsigned int euid; }
            __attribute__((preserve_access_index));
        SEC("socket") int prog(void *ctx) {
            struct cred___narrow *c = (void *)ctx;
            return c->uid + (int)c->euid;
        }
    """, kernel_btf=target)
    relocations = {r.spec: r for r in spec.program("prog").core_relocations}
    code = Program.from_bytes(spec.program("prog").code)
    uid = code.at[relocations["cred___narrow.uid"].insn]
    assert (uid.spec.name, uid.off) == ("ldxh", 0)
    assert relocations["cred___narrow.euid"].outcome == "poisoned"


def test_essential_names_drop_only_a_flavour_suffix():
    assert core.essential_name("task_struct___old") == "task_struct"
    assert core.essential_name("task_struct") == "task_struct"
    assert core.essential_name("a___b___c") == "a___b"
    assert core.essential_name("__u32") == "__u32"
    assert core.essential_name("x____y") == "x____y"
