"""The object loader: sections and program types, linking, maps, global data, line info, specs.

Each test compiles a small C program (``tests/loader_cc.py``) and checks the
spec ``load_object`` makes of it, often by running the program in the Machine.
"""

from __future__ import annotations

import json
import string
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.loader_cc import PRELUDE, compile_c
from vm_service.helper_ids import helper_name
from vm_service.helpers import implementations
from vm_service.helpers.kinds import ProgType
from vm_service.loader import (CoreRelocation, ElfLoadError, FuncInfo, LineMark, MapDef, MapSlot,
                               ObjectSpec, ProgramSpec, SourceLine, SpecError, Variable,
                               VarLocation, instantiate_maps, load_object)
from vm_service.loader.lineinfo import user_path
from vm_service.loader.maps import internal_map_name, object_name
from vm_service.loader.sections import check_table, classify
from vm_service.machine import Machine
from vm_service.program import Program


def run(spec: ObjectSpec, name: str, prog_type: ProgType = ProgType.SOCKET_FILTER, maps=None):
    """Run a program of the spec to its end; returns (r0, the live maps)."""
    maps = instantiate_maps(spec) if maps is None else maps
    machine = Machine(Program.from_bytes(spec.program(name).code), maps=maps,
                      helpers=implementations(prog_type), helper_name=helper_name)
    event = machine.run()
    assert event.kind == "exit", event
    return event.r0, maps


# -- sections and program types -----------------------------------------------------------------

@pytest.mark.parametrize("section, prog_type, attach, retprobe, attach_type", [
    ("xdp", "xdp", None, False, "xdp"),
    ("xdp.frags", "xdp", None, False, "xdp"),
    ("socket", "socket_filter", None, False, None),
    ("tc", "sched_cls", None, False, None),
    ("tc/ingress", "sched_cls", None, False, "tcx_ingress"),
    ("tc/egress", "sched_cls", None, False, "tcx_egress"),
    ("classifier", "sched_cls", None, False, None),
    ("action", "sched_act", None, False, None),
    ("kprobe/do_sys_openat2", "kprobe", "do_sys_openat2", False, None),
    ("kretprobe/do_sys_openat2", "kprobe", "do_sys_openat2", True, None),
    ("kprobe", "kprobe", None, False, None),
    ("ksyscall/execve", "kprobe", "execve", False, None),
    ("kretsyscall/execve", "kprobe", "execve", True, None),
    ("uprobe//bin/bash:readline", "kprobe", "/bin/bash:readline", False, None),
    ("uretprobe//bin/bash:readline", "kprobe", "/bin/bash:readline", True, None),
    ("tracepoint/syscalls/sys_enter_execve", "tracepoint", "syscalls/sys_enter_execve", False, None),
    ("tp/sched/sched_process_exec", "tracepoint", "sched/sched_process_exec", False, None),
    ("raw_tp/sched_switch", "raw_tracepoint", "sched_switch", False, None),
    ("raw_tracepoint/sched_switch", "raw_tracepoint", "sched_switch", False, None),
    ("cgroup_skb/ingress", "cgroup_skb", None, False, "cgroup_inet_ingress"),
    ("cgroup_skb/egress", "cgroup_skb", None, False, "cgroup_inet_egress"),
    ("cgroup/skb", "cgroup_skb", None, False, None),
    ("perf_event", "perf_event", None, False, None),
    ("fentry/do_unlinkat", "tracing", "do_unlinkat", False, "trace_fentry"),
    ("lsm/file_open", "lsm", "file_open", False, "lsm_mac"),
    ("syscall", "syscall", None, False, None),
    ("sk_skb/stream_verdict", "sk_skb", None, False, "sk_skb_stream_verdict"),
    # Names older loaders accepted as plain prefixes.
    ("xdp_drop", "xdp", None, False, "xdp"),
    ("socket1", "socket_filter", None, False, None),
    ("classifier/ingress", "sched_cls", None, False, None),
])
def test_it_reads_the_program_type_from_the_section_name(section, prog_type, attach, retprobe,
                                                         attach_type):
    match = classify(section)
    assert match is not None
    assert (match.prog_type, match.attach, match.retprobe, match.expected_attach_type) == (
        prog_type, attach, retprobe, attach_type)


def test_an_unknown_section_name_has_no_program_type():
    assert classify("my_custom_thing") is None
    assert classify("kprobex/foo") is None


def test_every_table_row_names_a_kernel_program_and_attach_type():
    check_table()


def test_a_kretprobe_program_says_what_it_attaches_to():
    spec = load_object(compile_c("""
        SEC("kretprobe/do_sys_openat2") int on_return(void *ctx) { return 0; }
        SEC("something/odd") int odd(void *ctx) { return 1; }
    """))
    probe = spec.program("on_return")
    assert (probe.prog_type, probe.attach, probe.retprobe) == ("kprobe", "do_sys_openat2", True)
    odd = spec.program("odd")
    assert (odd.prog_type, odd.attach, odd.section) == (None, None, "something/odd")


def test_several_programs_may_share_a_section():
    spec = load_object(compile_c("""
        SEC("socket") int first(void *ctx) { return 1; }
        SEC("socket") int second(void *ctx) { return 2; }
        SEC("xdp") int third(void *ctx) { return 3; }
    """))
    assert [(p.name, p.section) for p in spec.programs] == [
        ("first", "socket"), ("second", "socket"), ("third", "xdp")]
    assert [run(spec, name)[0] for name in ("first", "second", "third")] == [1, 2, 3]


def test_an_object_without_entry_programs_says_why_it_has_none():
    spec = load_object(compile_c("int helper(int x) { return x + 1; }"))
    assert spec.programs == []
    assert spec.warnings == ["no programs: functions in .text are subprograms; an entry program "
                             "needs its own section, e.g. SEC(\"xdp\")"]


def test_it_reads_license_and_kernel_version():
    spec = load_object(compile_c("""
        unsigned int _version SEC("version") = 0x060C00;
        SEC("socket") int prog(void *ctx) { return 0; }
    """))
    assert spec.license == "GPL"
    assert spec.kernel_version == 0x060C00
    bare = load_object(compile_c("__attribute__((section(\"socket\"), used)) int prog(void *ctx) "
                                 "{ return 0; }", prelude=False))
    assert (bare.license, bare.kernel_version) == ("", None)


# -- subprograms, calls and callbacks --------------------------------------------------------------

SUBPROGRAMS = """
static __attribute__((noinline)) int twice(int x) { return 2 * x; }
static __attribute__((noinline)) int plus_one(int x) { return twice(x) + 1; }
__attribute__((noinline)) int global_square(int x) { return x * x; }
SEC("socket") int main_prog(void *ctx) {
    volatile int seed = 5;
    return plus_one(seed) + global_square(seed);
}
SEC("socket") int other_prog(void *ctx) {
    volatile int seed = 3;
    return global_square(seed);
}
"""


def test_subprograms_are_appended_and_calls_relocated():
    spec = load_object(compile_c(SUBPROGRAMS))
    main = spec.program("main_prog")
    assert [f.name for f in main.func_info] == ["main_prog", "plus_one", "twice", "global_square"]
    assert all(f.type_id > 0 for f in main.func_info)
    starts = [f.insn for f in main.func_info]
    assert starts[0] == 0 and starts == sorted(starts)
    assert run(spec, "main_prog")[0] == 2 * 5 + 1 + 25
    other = spec.program("other_prog")
    assert [f.name for f in other.func_info] == ["other_prog", "global_square"]
    assert run(spec, "other_prog")[0] == 9


def test_bpf_loop_callbacks_become_function_pointers():
    spec = load_object(compile_c("""
        struct acc { __u64 sum; };
        static int add_index(__u32 i, void *ctx) { ((struct acc *)ctx)->sum += i; return 0; }
        static int add_double(__u32 i, void *ctx) { ((struct acc *)ctx)->sum += 2 * i; return 0; }
        SEC("socket") int looper(void *ctx) {
            struct acc a = {0};
            bpf_loop(10, add_index, &a, 0);
            bpf_loop(4, add_double, &a, 0);
            return a.sum;
        }
    """))
    program = spec.program("looper")
    assert [f.name for f in program.func_info] == ["looper", "add_index", "add_double"]
    decoded = Program.from_bytes(program.code)
    func_refs = [(pc, insn) for pc, insn in decoded.items()
                 if insn.spec.name.startswith("lddw") and insn.src == 4]
    assert [pc + 1 + insn.imm for pc, insn in func_refs] == [f.insn for f in program.func_info[1:]]
    assert run(spec, "looper")[0] == 45 + 2 * 6


def test_an_extern_kfunc_is_refused_when_relocating():
    with pytest.raises(ElfLoadError) as error:
        load_object(compile_c("""
            extern int bpf_some_kfunc(int x) __attribute__((section(".ksyms")));
            SEC("socket") int prog(void *ctx) { return bpf_some_kfunc(1); }
        """))
    assert error.value.stage == "relocate"
    assert "bpf_some_kfunc" in error.value.message


# -- maps ---------------------------------------------------------------------------------------------

def test_btf_defined_maps_take_their_attributes_and_types():
    spec = load_object(compile_c("""
        struct key { __u32 pid; char comm[8]; };
        struct value { __u64 count; __s32 last; };
        struct {
            __uint(type, 1);
            __uint(max_entries, 128);
            __uint(map_flags, 1);
            __type(key, struct key);
            __type(value, struct value);
        } counts SEC(".maps");
        struct {
            __uint(type, 4);
            __uint(key_size, sizeof(int));
            __uint(value_size, sizeof(__u32));
        } events SEC(".maps");
        struct { __uint(type, 27); __uint(max_entries, 4096); } rb SEC(".maps");
        struct {
            __uint(type, 2); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64);
            __uint(pinning, 1); __uint(numa_node, 0); __ulong(map_extra, 0x100000000ULL);
        } pinned SEC(".maps");
        SEC("socket") int prog(void *ctx) {
            struct key k = {};
            void *a = bpf_map_lookup_elem(&counts, &k);
            void *b = bpf_map_lookup_elem(&events, &k);
            void *c = bpf_map_lookup_elem(&rb, &k);
            void *d = bpf_map_lookup_elem(&pinned, &k);
            return !!a + !!b + !!c + !!d;
        }
    """))
    counts, events, rb, pinned = spec.maps
    assert (counts.name, counts.type, counts.key_size, counts.value_size, counts.max_entries,
            counts.map_flags) == ("counts", "hash", 12, 16, 128, 1)
    assert counts.key_type["name"] == "struct key"
    assert [m["name"] for m in counts.value_type["members"]] == ["count", "last"]
    assert (events.type, events.key_size, events.value_size, events.key_type) == (
        "perf_event_array", 4, 4, None)
    assert (rb.type, rb.max_entries, rb.key_size, rb.value_size) == ("ringbuf", 4096, 0, 0)
    assert (pinned.pinning, pinned.numa_node, pinned.map_extra) == (1, 0, 1 << 32)
    code = Program.from_bytes(spec.programs[0].code)
    loads = [insn for _, insn in code.items() if insn.spec.name.startswith("lddw")]
    assert [(insn.src, insn.imm) for insn in loads] == [(1, 0), (1, 1), (1, 2), (1, 3)]


def test_maps_of_maps_get_their_inner_template_and_initial_slots():
    spec = load_object(compile_c("""
        struct inner { __uint(type, 2); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); };
        struct inner inner_a SEC(".maps"), inner_b SEC(".maps");
        struct {
            __uint(type, 12);
            __uint(max_entries, 3);
            __type(key, __u32);
            __array(values, struct inner);
        } outer SEC(".maps") = { .values = { [0] = &inner_a, [2] = &inner_b } };
        SEC("socket") int prog(void *ctx) {
            __u32 k = 2, zero = 0;
            void *m = bpf_map_lookup_elem(&outer, &k);
            if (!m) return -1;
            __u32 *v = bpf_map_lookup_elem(m, &zero);
            if (!v) return -2;
            *v = 42;
            return 7;
        }
    """))
    outer = spec.maps[spec.map_index("outer")]
    assert (outer.type, outer.key_size, outer.value_size) == ("array_of_maps", 4, 4)
    assert (outer.inner.name, outer.inner.type, outer.inner.max_entries) == ("outer.inner", "array", 4)
    assert [(s.index, s.kind, s.name) for s in outer.slots] == [(0, "map", "inner_a"), (2, "map", "inner_b")]
    r0, maps = run(spec, "prog")
    assert r0 == 7
    inner_b = maps[spec.map_index("inner_b")]
    assert inner_b.user_lookup(struct.pack("<I", 0)) == struct.pack("<I", 42)


def test_a_program_array_records_its_programs_and_tail_calls_run_them():
    spec = load_object(compile_c("""
        SEC("socket") int target(void *ctx) { return 99; }
        struct {
            __uint(type, 3);
            __uint(max_entries, 2);
            __uint(key_size, sizeof(__u32));
            __array(values, int (void *));
        } jump SEC(".maps") = { .values = { [1] = (void *)&target } };
        SEC("socket") int entry(void *ctx) { bpf_tail_call(ctx, &jump, 1); return 1; }
    """))
    jump = spec.maps[0]
    assert (jump.type, jump.value_size) == ("prog_array", 4)
    assert [(s.index, s.kind, s.name) for s in jump.slots] == [(1, "program", "target")]
    maps = instantiate_maps(spec, program=lambda name: Program.from_bytes(spec.program(name).code))
    assert run(spec, "entry", maps=maps)[0] == 99
    assert run(spec, "entry")[0] == 1          # without programs the slot is empty: fall through


def test_legacy_map_definitions_load_from_the_maps_section():
    spec = load_object(compile_c("""
        struct bpf_map_def { unsigned int type, key_size, value_size, max_entries, map_flags; };
        struct bpf_map_def SEC("maps") old_counts = { .type = 2, .key_size = 4, .value_size = 8,
                                                      .max_entries = 4 };
        struct bpf_map_def SEC("maps") old_hash = { 1, 8, 16, 32, 1 };
        SEC("socket") int prog(void *ctx) {
            __u32 k = 1;
            __u64 *v = bpf_map_lookup_elem(&old_counts, &k);
            if (v) *v += 5;
            return v ? 1 : 0;
        }
    """))
    assert [(m.name, m.type, m.key_size, m.value_size, m.max_entries, m.map_flags, m.section)
            for m in spec.maps] == [("old_counts", "array", 4, 8, 4, 0, "maps"),
                                    ("old_hash", "hash", 8, 16, 32, 1, "maps")]
    r0, maps = run(spec, "prog")
    assert r0 == 1
    assert maps[0].user_lookup(struct.pack("<I", 1)) == struct.pack("<Q", 5)


@pytest.mark.parametrize("definition, message", [
    ("__uint(type, 1); __uint(max_entries, 4); __type(key, __u32); __uint(key_size, 8);",
     "key_size 8 disagrees with sizeof(key) = 4"),
    ("__uint(type, 1); __uint(colour, 3);", "unknown attribute 'colour'"),
    ("__uint(max_entries, 4);", "no __uint(type, ...)"),
    ("__uint(type, 1); __array(values, int (void *));", "only for maps of maps and program arrays"),
])
def test_a_bad_map_definition_is_refused_naming_the_map(definition, message):
    with pytest.raises(ElfLoadError) as error:
        load_object(compile_c(f"""
            struct {{ {definition} }} bad SEC(".maps");
            SEC("socket") int prog(void *ctx) {{ return bpf_map_lookup_elem(&bad, ctx) != 0; }}
        """))
    assert error.value.stage == "load maps"
    assert "'bad'" in error.value.message and message in error.value.message


def test_btf_maps_without_btf_are_refused():
    with pytest.raises(ElfLoadError) as error:
        load_object(compile_c("""
            struct { __uint(type, 2); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } m SEC(".maps");
            SEC("socket") int prog(void *ctx) { return bpf_map_lookup_elem(&m, ctx) != 0; }
        """, flags=("-g0",)))
    assert error.value.stage == "load maps"
    assert "needs BTF" in error.value.message


# -- global data ---------------------------------------------------------------------------------------

GLOBALS = """
const volatile __u32 scale = 3;
const volatile char greeting[8] = "hello";
__u64 hits = 10;
__u64 misses;
__u32 custom_counter SEC(".data.counters") = 7;
static long (*bpf_trace_printk)(const char *fmt, __u32 size, ...) = (void *) 6;
SEC("socket") int prog(void *ctx) {
    hits += scale;
    misses += 2;
    custom_counter += 1;
    bpf_trace_printk("hi %d\\n", 7, greeting[0]);
    return hits + greeting[1];
}
"""


def test_global_data_sections_become_array_maps_named_as_libbpf_names_them():
    spec = load_object(compile_c(GLOBALS), name="minimal.bpf.o")
    by_section = {m.section: m for m in spec.maps}
    assert set(by_section) == {".rodata", ".data", ".bss", ".data.counters", ".rodata.str1.1"}
    assert by_section[".rodata"].name == "minimal.rodata"
    assert by_section[".data"].name == "minimal.data"
    assert by_section[".bss"].name == "minimal.bss"
    assert by_section[".data.counters"].name == ".data.counters"
    assert by_section[".rodata.str1.1"].name == ".rodata.str1.1"
    rodata = by_section[".rodata"]
    assert (rodata.type, rodata.key_size, rodata.max_entries, rodata.frozen) == ("array", 4, 1, True)
    assert rodata.map_flags == 0x80 | 0x400          # BPF_F_RDONLY_PROG | BPF_F_MMAPABLE
    assert by_section[".rodata.str1.1"].map_flags == 0x80   # no variables: not mmapable
    assert by_section[".rodata.str1.1"].init == b"hi %d\n\0"
    assert by_section[".bss"].init == bytes(8) and not by_section[".bss"].frozen
    variables = {v["name"]: v for v in rodata.value_type["vars"]}
    assert set(variables) == {"scale", "greeting"}
    assert rodata.init[variables["scale"]["offset"]:][:4] == struct.pack("<I", 3)


def test_a_program_reads_and_writes_its_globals_through_the_maps():
    spec = load_object(compile_c(GLOBALS), name="minimal.bpf.o")
    r0, maps = run(spec, "prog")
    assert r0 == 13 + ord("e")
    by_section = {m.section: live for m, live in zip(spec.maps, maps)}
    key = bytes(4)
    assert by_section[".data"].user_lookup(key) == struct.pack("<Q", 13)
    assert by_section[".bss"].user_lookup(key) == struct.pack("<Q", 2)
    assert by_section[".data.counters"].user_lookup(key) == struct.pack("<I", 8)
    assert maps[spec.map_index("minimal.rodata")].frozen


@pytest.mark.parametrize("obj, section, expected", [
    ("minimal.bpf.o", ".rodata", "minimal.rodata"),
    ("a_very_long_object_name.o", ".rodata", "a_very_l.rodata"),
    ("a_very_long_object_name.o", ".bss", "a_very_l.bss"),
    ("x.o", ".data", "x.data"),
    ("obj", ".data.some_long_custom_name", ".data.some_long"),
    ("my-prog.o", ".bss", "my_prog.bss"),
])
def test_internal_map_names_follow_libbpf(obj, section, expected):
    assert internal_map_name(object_name(obj), section) == expected


# -- line info and the source map ----------------------------------------------------------------------

def test_the_source_map_gives_every_instruction_its_c_line():
    source = SUBPROGRAMS
    spec = load_object(compile_c(source))
    program = spec.program("main_prog")
    assert len(program.source_map) == program.insn_count
    assert all(entry is not None for entry in program.source_map)
    assert {entry.file for entry in program.source_map} == {"prog.c"}
    full = PRELUDE + source
    text_lines = full.split("\n")
    for entry in program.source_map:
        assert text_lines[entry.line - 1] == entry.text
    marked = {m.insn for m in program.line_info}
    assert 0 in marked
    # Unmarked slots inherit the mark before them, within their function.
    for pc, entry in enumerate(program.source_map):
        if pc not in marked:
            assert entry == program.source_map[pc - 1]
    twice = next(f for f in program.func_info if f.name == "twice")
    assert "return 2 * x" in program.source_map[twice.insn].text


@pytest.mark.parametrize("path, root, expected", [
    ("prog.c", None, "prog.c"),
    ("src/prog.c", None, "src/prog.c"),
    ("/tmp/build-1234/prog.c", None, "prog.c"),
    ("/tmp/build-1234/src/prog.c", "/tmp/build-1234", "src/prog.c"),
    ("/work/headers/bpf_helpers.h", "/tmp/build-1234", "bpf_helpers.h"),
])
def test_file_names_never_show_a_server_path(path, root, expected):
    assert user_path(path, root) == expected


def test_without_debug_info_the_program_still_loads():
    spec = load_object(compile_c('SEC("xdp") int prog(void *ctx) { return 2; }', flags=("-g0",)))
    program = spec.programs[0]
    assert program.source_map == [None] * program.insn_count
    assert program.line_info == [] and program.variables == []
    assert [(f.name, f.insn, f.type_id) for f in program.func_info] == [("prog", 0, 0)]


# -- the spec as JSON -------------------------------------------------------------------------------------

def test_the_spec_round_trips_through_json():
    for source in (SUBPROGRAMS, GLOBALS):
        spec = load_object(compile_c(source))
        text = json.dumps(spec.to_dict())
        assert ObjectSpec.from_dict(json.loads(text)) == spec


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop("license"), "missing field 'license'"),
    (lambda d: d.update(extra=1), "unknown field(s) extra"),
    (lambda d: d["programs"][0].update(code="zz"), "not hex"),
    (lambda d: d["maps"][0].update(key_size="4"), "expected an integer"),
    (lambda d: d.update(programs={}), "expected a list"),
])
def test_a_malformed_spec_dict_is_a_clear_error(mutate, message):
    data = load_object(compile_c(GLOBALS)).to_dict()
    mutate(data)
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ObjectSpec.from_dict(data)


# -- bad objects --------------------------------------------------------------------------------------------

def _patched(data: bytes, offset: int, value: bytes) -> bytes:
    return data[:offset] + value + data[offset + len(value):]


def _section_range(data: bytes, name: str) -> tuple[int, int]:
    from elftools.elf.elffile import ELFFile
    import io
    section = ELFFile(io.BytesIO(data)).get_section_by_name(name)
    return section["sh_offset"], section["sh_size"]


def test_bad_objects_fail_in_the_stage_that_notices():
    good = compile_c(SUBPROGRAMS)
    cases = [
        (b"not an object at all", "read ELF"),
        (good[:40], "read ELF"),
        (_patched(good, 18, struct.pack("<H", 62)), "check header"),      # EM_X86_64
        (_patched(good, 5, b"\x02"), "check header"),                      # big-endian
        (_patched(good, 16, struct.pack("<H", 2)), "check header"),       # ET_EXEC
    ]
    offset, size = _section_range(good, ".BTF")
    cases.append((_patched(good, offset, b"\xff" * size), "load BTF"))
    cases.append((_patched(good, offset + 8, struct.pack("<I", 1 << 30)), "load BTF"))
    for data, stage in cases:
        with pytest.raises(ElfLoadError) as error:
            load_object(data)
        assert error.value.stage == stage, (stage, error.value)


# -- any spec round-trips -------------------------------------------------------------------------

NAMES = st.text(alphabet=string.ascii_letters + "_./", min_size=1, max_size=12)
NUMBERS = st.integers(-(1 << 40), 1 << 40)
LINES = st.builds(SourceLine, file=NAMES, line=NUMBERS, column=NUMBERS, text=st.text(max_size=20))
MARKS = st.builds(LineMark, insn=NUMBERS, file=NAMES, line=NUMBERS, column=NUMBERS,
                  text=st.text(max_size=20))
LOCATIONS = st.builds(VarLocation, start=NUMBERS, end=NUMBERS,
                      kind=st.sampled_from(["stack", "reg", "const"]), value=NUMBERS)
VARIABLES = st.builds(Variable, name=NAMES, type=NAMES, kind=st.sampled_from(["param", "local"]),
                      function=NAMES, locations=st.lists(LOCATIONS, max_size=3))
RELOCATIONS = st.builds(CoreRelocation, insn=NUMBERS, kind=NAMES, type_name=NAMES, access=NAMES,
                        spec=NAMES, local=st.none() | NUMBERS, target=st.none() | NUMBERS,
                        outcome=st.sampled_from(["patched", "poisoned", "unchanged"]))
JSON_VALUES = st.recursive(st.none() | st.booleans() | NUMBERS | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
TYPES = st.none() | st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4)


def map_defs(inner):
    return st.builds(MapDef, name=NAMES, type=NAMES, key_size=NUMBERS, value_size=NUMBERS,
                     max_entries=NUMBERS, map_flags=NUMBERS, inner=inner, key_type=TYPES,
                     value_type=TYPES, init=st.none() | st.binary(max_size=16),
                     frozen=st.booleans(),
                     slots=st.lists(st.builds(MapSlot, index=NUMBERS,
                                              kind=st.sampled_from(["map", "program"]), name=NAMES),
                                    max_size=2),
                     pinning=NUMBERS, numa_node=st.none() | NUMBERS, map_extra=st.none() | NUMBERS,
                     section=NAMES)


PROGRAMS = st.builds(ProgramSpec, name=NAMES, section=NAMES, prog_type=st.none() | NAMES,
                     attach=st.none() | NAMES, code=st.binary(max_size=32),
                     source_map=st.lists(st.none() | LINES, max_size=3),
                     func_info=st.lists(st.builds(FuncInfo, insn=NUMBERS, name=NAMES,
                                                  type_id=NUMBERS), max_size=2),
                     variables=st.lists(VARIABLES, max_size=2),
                     core_relocations=st.lists(RELOCATIONS, max_size=2),
                     line_info=st.lists(MARKS, max_size=2), retprobe=st.booleans(),
                     expected_attach_type=st.none() | NAMES, sleepable=st.booleans(),
                     xdp_frags=st.booleans())
OBJECTS = st.builds(ObjectSpec, programs=st.lists(PROGRAMS, max_size=2),
                    maps=st.lists(st.recursive(map_defs(st.none()), map_defs, max_leaves=2),
                                  max_size=2),
                    license=st.text(max_size=8), kernel_version=st.none() | NUMBERS, name=NAMES,
                    warnings=st.lists(st.text(max_size=8), max_size=2),
                    btf=st.none() | st.binary(max_size=16))


@settings(max_examples=60, deadline=None)
@given(OBJECTS)
def test_any_spec_round_trips_through_json(spec):
    assert ObjectSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
