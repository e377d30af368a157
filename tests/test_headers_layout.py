"""The UAPI headers against the running kernel and the system's UAPI headers.

* Layouts: every struct and union our UAPI headers define that the kernel's BTF
  (``/sys/kernel/btf/vmlinux``) also has must match it member for member: names,
  bit offsets, bitfield widths and sizes, compared BTF to BTF (ours comes from
  compiling the headers with -g).
* Enumerators: every enumerator we define that the kernel's BTF knows has the
  kernel's value, and each of our enums has every enumerator of the kernel's
  enum it mirrors.
* Macros (ETH_P_*, TC_ACT_*, IPPROTO_*, E*, BPF_* ...), which BTF cannot carry:
  every macro both we and the system's UAPI headers (Debian linux-libc-dev)
  define evaluates to the same number.
"""

from __future__ import annotations

import functools
import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import ziglang
from elftools.elf.elffile import ELFFile

from tests.test_headers import CLANG, compile_c, includes, uapi_headers
from vm_service import btf, headers
from vm_service.btf import BtfKind
from vm_service.headers import materialise
from vm_service.headers.bundle import STATIC_ROOT, header_files

AGGREGATES = (BtfKind.STRUCT, BtfKind.UNION)
TRANSPARENT = (BtfKind.TYPEDEF, BtfKind.CONST, BtfKind.VOLATILE, BtfKind.RESTRICT, BtfKind.TYPE_TAG)

# The UAPI struct pt_regs names x86_64 registers as user space does; the kernel's
# own (which its BTF has) drops the r prefix, and keeps the 16-bit cs and ss in
# unions with the full words csx and ssx.
PT_REGS_KERNEL_NAMES = {"rbp": "bp", "rbx": "bx", "rax": "ax", "rcx": "cx", "rdx": "dx",
                        "rsi": "si", "rdi": "di", "orig_rax": "orig_ax", "rip": "ip", "cs": "csx",
                        "eflags": "flags", "rsp": "sp", "ss": "ssx"}
# Structs holding a pt_regs: ours is the kernel's with those names changed.
RENAMED = {"pt_regs", "bpf_perf_event_data"}

# A macro the UAPI changed since the system's headers (linux-libc-dev 6.1) on purpose:
# the attach type count grew; its 6.18 value is checked against BTF with the enums.
GREW_SINCE_SYSTEM_HEADERS = {"MAX_BPF_ATTACH_TYPE"}

SYSTEM_INCLUDE = Path("/usr/include")


@functools.cache
def kernel_btf() -> btf.Btf:
    try:
        return btf.load(btf.VMLINUX)
    except OSError as error:
        pytest.skip(f"cannot read the kernel's BTF at {btf.VMLINUX}: {error}")


@functools.cache
def kernel_aggregates() -> dict[tuple[str, str], btf.BtfType]:
    return aggregates_by_name(kernel_btf())


# -- BTF layouts -------------------------------------------------------------------------------

def _resolve(b: btf.Btf, type_id: int) -> btf.BtfType | None:
    t = b.by_id(type_id) if type_id else None
    while t is not None and t.kind in TRANSPARENT:
        t = b.by_id(t.size_or_type) if t.size_or_type else None
    return t


def _size(b: btf.Btf, type_id: int) -> int:
    t = _resolve(b, type_id)
    if t is None:
        return 0
    if t.kind == BtfKind.PTR:
        return 8
    if t.kind == BtfKind.ARRAY:
        element, _index, count = struct.unpack(b.endian + "III", t.tail)
        return count * _size(b, element)
    return t.size_or_type


def flatten(b: btf.Btf, agg: btf.BtfType, prefix: str = "", base: int = 0) -> dict:
    """Every named member, nested ones as dotted paths: path -> (bit offset, bitfield bits, size)."""
    out = {}
    for name_off, type_id, offset in struct.iter_unpack(b.endian + "III", agg.tail):
        name = b.strings[name_off]
        bits, bit = (offset >> 24, offset & 0xFFFFFF) if agg.kind_flag else (0, offset)
        inner = _resolve(b, type_id)
        nested = inner is not None and inner.kind in AGGREGATES and not bits
        if not name:
            if nested:                       # anonymous struct/union: its members are ours
                out.update(flatten(b, inner, prefix, base + bit))
            continue                         # unnamed bitfield padding
        path = prefix + name
        out[path] = (base + bit, bits, _size(b, type_id))
        if nested:
            out.update(flatten(b, inner, path + ".", base + bit))
    return out


def aggregates_by_name(b: btf.Btf) -> dict[tuple[str, str], btf.BtfType]:
    found = {}
    for t in b.types:
        if t.kind in AGGREGATES and t.name:
            found.setdefault((t.kind.name.lower(), t.name), t)
    return found


def object_btf(obj: bytes) -> btf.Btf:
    import io
    section = ELFFile(io.BytesIO(obj)).get_section_by_name(".BTF")
    assert section is not None, "the compiler emitted no BTF"
    return btf.parse(section.data())


def defined_aggregates(preprocessed: str) -> list[tuple[str, str]]:
    return sorted(set(re.findall(r"\b(struct|union)\s+(\w+)\s*\{", preprocessed)))


def preprocess(source: str, include: Path | None = None) -> str:
    run = subprocess.run([*CLANG, "-E", "-P", "-nostdinc", "-I", str(include or headers.include_dir()),
                          "-x", "c", "-"], input=source, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


def our_layouts(names: list[str], include: Path | None = None) -> tuple[btf.Btf, list]:
    """Compile the headers with one global of every struct/union they define; their BTF."""
    source = includes(names)
    tags = defined_aggregates(preprocess(source, include))
    globals_ = "".join(f"{kind} {name} __layout_{i};\n" for i, (kind, name) in enumerate(tags))
    result = compile_c(source + globals_, include=include)
    assert result.ok, result.stderr
    return object_btf(result.objects["prog.c"]), tags


def rename_pt_regs(path: str) -> str:
    return ".".join(PT_REGS_KERNEL_NAMES.get(part, part) for part in path.split("."))


def compare(kind: str, name: str, ours: btf.Btf, subset: bool = False) -> None:
    """Our aggregate against the kernel's: equal member tables (or ours a part of it)."""
    theirs = kernel_btf()
    mine = aggregates_by_name(ours)[(kind, name)]
    kernel = kernel_aggregates()[(kind, name)]
    assert mine.size_or_type == kernel.size_or_type, f"sizeof({kind} {name})"
    our_members = flatten(ours, mine)
    kernel_members = flatten(theirs, kernel)
    if name in RENAMED:
        our_members = {rename_pt_regs(path): value for path, value in our_members.items()}
        kernel_members = {path: kernel_members[path] for path in our_members if path in kernel_members}
    elif subset:
        kernel_members = {path: kernel_members.get(path) for path in our_members}
    assert our_members == kernel_members, f"{kind} {name}: (bit offset, bits, size) differ"


@pytest.fixture(scope="module")
def uapi_layouts():
    return our_layouts(uapi_headers())


def test_our_uapi_structs_are_laid_out_as_the_kernels(uapi_layouts):
    ours, tags = uapi_layouts
    kernel = kernel_aggregates()
    compared = [tag for tag in tags if tag in kernel]
    for kind, name in compared:
        compare(kind, name, ours)
    # the context structs and packet headers programs depend on are all among them
    for name in ["__sk_buff", "xdp_md", "bpf_sock", "bpf_sock_ops", "sk_msg_md", "bpf_sock_addr",
                 "bpf_perf_event_data", "bpf_raw_tracepoint_args", "bpf_spin_lock",
                 "bpf_lpm_trie_key_u8", "bpf_fib_lookup", "ethhdr", "iphdr", "ipv6hdr",
                 "in6_addr", "tcphdr", "udphdr", "icmphdr", "icmp6hdr", "pt_regs"]:
        assert ("struct", name) in compared, name


CONTEXTS = ["__sk_buff", "xdp_md", "bpf_sock", "bpf_sock_ops", "sk_msg_md", "sk_reuseport_md",
            "bpf_sock_addr", "bpf_perf_event_data", "bpf_raw_tracepoint_args", "bpf_cgroup_dev_ctx",
            "bpf_sysctl", "bpf_sockopt", "bpf_sk_lookup", "bpf_flow_keys"]


def test_context_fields_sit_at_the_kernels_offsets_in_a_compiled_program():
    checks = []
    for name in CONTEXTS:
        kernel = kernel_aggregates()[("struct", name)]
        checks.append(f"_Static_assert(sizeof(struct {name}) == {kernel.size_or_type}, "
                      f"\"sizeof {name}\");")
        for path, (bit, bits, size) in flatten(kernel_btf(), kernel).items():
            if bits or "." in path:   # no bitfields here; nested members have their own structs
                continue
            checks.append(f"_Static_assert(__builtin_offsetof(struct {name}, {path}) == {bit // 8}, "
                          f"\"{name}.{path} offset\");")
            if size:
                checks.append(f"_Static_assert(sizeof(((struct {name} *)0)->{path}) == {size}, "
                              f"\"{name}.{path} size\");")
    result = compile_c("#include <linux/bpf.h>\n" + "\n".join(checks) + "\n")
    assert result.ok and result.stderr == "", result.stderr
    assert len(checks) > 300


def test_context_structs_have_the_kernels_size(uapi_layouts):
    ours, _ = uapi_layouts
    sizes = {("struct", "__sk_buff"): 192, ("struct", "xdp_md"): 24, ("struct", "bpf_sock"): 80,
             ("struct", "bpf_perf_event_data"): 184, ("struct", "pt_regs"): 168}
    mine = aggregates_by_name(ours)
    kernel = kernel_aggregates()
    for tag, size in sizes.items():
        assert mine[tag].size_or_type == kernel[tag].size_or_type == size, tag


def test_the_static_vmlinux_h_lays_out_registers_and_tracepoint_records_as_the_kernel(tmp_path):
    files = {**header_files(), "vmlinux.h": (STATIC_ROOT / "vmlinux.h").read_bytes()}
    include = materialise(files, tmp_path)
    ours, tags = our_layouts(["vmlinux.h"], include)
    exact = ["pt_regs", "trace_entry", "trace_event_raw_sys_enter", "trace_event_raw_sys_exit",
             "trace_event_raw_sched_process_exec", "trace_event_raw_sched_process_fork",
             "trace_event_raw_sched_switch", "list_head", "__sk_buff", "xdp_md"]
    for name in exact:
        assert ("struct", name) in tags, name
        compare("struct", name, ours, subset=name == "pt_regs")
    # task_struct and cred are subsets in their own order: every field exists in the kernel
    kernel = kernel_aggregates()
    for name in ["task_struct", "cred"]:
        mine = flatten(ours, aggregates_by_name(ours)[("struct", name)])
        theirs = flatten(kernel_btf(), kernel[("struct", name)])
        for path, (_offset, bits, size) in mine.items():
            assert path in theirs and theirs[path][1:] == (bits, size), f"{name}.{path}"


# -- enumerators -------------------------------------------------------------------------------

def our_enums(preprocessed: str) -> list[tuple[str, list[str]]]:
    """(enum name or "", enumerator names) of every enum in preprocessed C."""
    found = []
    for match in re.finditer(r"\benum\s*(\w*)\s*\{([^{}]*)\}", preprocessed):
        names = [m.group(1) for item in match.group(2).split(",")
                 if (m := re.match(r"\s*([A-Za-z_]\w*)", item))]
        found.append((match.group(1), names))
    return found


@functools.cache
def kernel_enums() -> list[tuple[str, dict[str, int]]]:
    b = kernel_btf()
    return [(t.name, b.enumerators(t)) for t in b.types
            if t.kind in (BtfKind.ENUM, BtfKind.ENUM64)]


def c_literal(value: int) -> str:
    return f"({value}LL)" if value < 0 else f"{value}ULL"


def test_our_enumerators_have_the_kernels_values():
    enums = our_enums(preprocess(includes(uapi_headers())))
    ours = {name for _, names in enums for name in names}
    values: dict[str, set[int]] = {}
    for _, members in kernel_enums():
        for name, value in members.items():
            values.setdefault(name, set()).add(value)
    checked = sorted(ours & set(values))
    assert len(checked) > 500
    asserts = "".join(
        f"_Static_assert({' || '.join(f'({name}) == {c_literal(v)}' for v in sorted(values[name]))},"
        f" \"{name}\");\n" for name in checked)
    result = compile_c(includes(uapi_headers()) + asserts)
    assert result.ok and result.stderr == "", result.stderr


def test_our_enums_have_every_enumerator_of_the_kernel_enums_they_mirror():
    enums = our_enums(preprocess(includes(uapi_headers())))
    missing = {}
    kernel = [(kernel_tag, set(members)) for kernel_tag, members in kernel_enums()]
    for tag, names in enums:
        group = set(names)
        for kernel_tag, members in kernel:
            mirrors = kernel_tag == tag if tag else (not kernel_tag and group & members)
            if mirrors and members - group:
                missing[tag or names[0]] = sorted(members - group)
    assert missing == {}


# -- macros ------------------------------------------------------------------------------------

# Ours and the system's, header for header (the system's are x86_64 UAPI headers).
MACRO_HEADERS = ["linux/bpf.h", "linux/bpf_common.h", "linux/if_ether.h", "linux/in.h",
                 "linux/in6.h", "linux/ip.h", "linux/ipv6.h", "linux/tcp.h", "linux/udp.h",
                 "linux/icmp.h", "linux/icmpv6.h", "linux/pkt_cls.h", "linux/pkt_sched.h",
                 "linux/if_packet.h", "linux/errno.h", "asm/byteorder.h", "linux/swab.h"]


def system_flags() -> list[str]:
    if not (SYSTEM_INCLUDE / "linux" / "bpf.h").is_file():
        pytest.skip(f"no {SYSTEM_INCLUDE}/linux/bpf.h: needs Debian packages linux-libc-dev libc6-dev")
    # x86_64 for the system's headers (they are x86_64's); the compiler's own headers for
    # the glibc ones some of them pull in
    return ["-target", "x86_64-linux-gnu", "-isystem", str(Path(ziglang.__file__).parent / "lib" / "include")]


def our_flags() -> list[str]:
    return ["-target", "bpfel", "-nostdinc", "-I", str(headers.include_dir())]


def _clang(args: list[str], cwd: str, source: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ziglang", "clang", *args], cwd=cwd, input=source,
                          capture_output=True, text=True, timeout=120)


def object_like_macros(flags: list[str], source: str) -> dict[str, str]:
    run = _clang([*flags, "-E", "-dM", "-x", "c", "-"], ".", source)
    assert run.returncode == 0, run.stderr
    return {m.group(1): m.group(2).strip()
            for m in re.finditer(r"^#define (\w+) (.+)$", run.stdout, re.M)}


def macro_values(flags: list[str], source: str, names: list[str]) -> dict[str, int]:
    """Each macro as a constant (long long), compiled and read back from the object;
    macros that are not integer constants are left out."""
    names = list(names)
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(8):
            body = "".join(f"const long long __value_{n} = (long long)({n});\n" for n in names)
            Path(tmp, "values.c").write_text(source + body)
            run = _clang([*flags, "-w", "-ferror-limit=0", "-c", "values.c", "-o", "values.o"], tmp)
            if run.returncode == 0:
                return _read_constants(Path(tmp, "values.o").read_bytes())
            first = source.count("\n") + 1
            bad = {names[int(line) - first] for line in
                   re.findall(r"^values\.c:(\d+):\d+: error", run.stderr, re.M)
                   if 0 <= int(line) - first < len(names)}
            assert bad, run.stderr
            names = [n for n in names if n not in bad]
    raise AssertionError("macro evaluation did not converge")


def _read_constants(obj: bytes) -> dict[str, int]:
    import io
    elf = ELFFile(io.BytesIO(obj))
    values = {}
    for symbol in elf.get_section_by_name(".symtab").iter_symbols():
        if symbol.name.startswith("__value_"):
            data = elf.get_section(symbol["st_shndx"]).data()
            value = int.from_bytes(data[symbol["st_value"]:symbol["st_value"] + 8], "little",
                                   signed=True)
            values[symbol.name.removeprefix("__value_")] = value
    return values


def test_our_macros_have_the_values_of_the_system_uapi_headers():
    system = system_flags()
    source = includes(MACRO_HEADERS)
    predefined = set(object_like_macros(our_flags(), "")) | set(object_like_macros(system, ""))
    ours = object_like_macros(our_flags(), source)
    theirs = object_like_macros(system, source)
    shared = sorted(set(ours) & set(theirs) - predefined - GREW_SINCE_SYSTEM_HEADERS)
    our_values = macro_values(our_flags(), source, shared)
    their_values = macro_values(system, source, shared)
    assert len(their_values) > 600   # ETH_P_*, IPPROTO_*, E*, TC_ACT_*, BPF_* ...
    assert set(their_values) <= set(our_values), "a system constant is not a constant in ours"
    differ = {n: (our_values[n], their_values[n]) for n in their_values
              if our_values[n] != their_values[n]}
    assert differ == {}
