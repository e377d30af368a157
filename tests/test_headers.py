"""The bundled headers: the public API, materialisation, generated helper declarations,
and every header compiling on its own, together, in every C standard and -mcpu.

Compiles call zig's clang directly (``python -m ziglang clang``): unlike ``zig cc``,
which adds its own ``-isystem <zig>/lib/include`` even under ``-nostdinc``, it
searches only our include directory, so a header we forgot to ship cannot be
papered over by one of the compiler's.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vm_service import headers
from vm_service.headers import HeaderError, materialise
from vm_service.headers.bundle import GENERATED, digest, header_files, static_files
from vm_service.headers.helper_defs import (declaration, render_func_ids, render_helper_defs,
                                            split_declaration)
from vm_service.helper_ids import HELPER_NAMES
from vm_service.helpers.prototypes import PROTOTYPES, HelperProto

CLANG = (sys.executable, "-m", "ziglang", "clang", "-target", "bpfel")
ZIG_CC = (sys.executable, "-m", "ziglang", "cc", "-target", "bpfel-freestanding-none")
WARNINGS = ("-Wall", "-Wextra")   # for the headers themselves
PROGRAM_WARNINGS = ("-Wall",)   # for programs, as libbpf projects build them


@dataclass(frozen=True)
class Compiled:
    returncode: int
    stderr: str
    objects: dict[str, bytes] = field(repr=False)

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@functools.lru_cache(maxsize=None)
def _compile(sources: tuple[tuple[str, str], ...], flags: tuple[str, ...],
             driver: tuple[str, ...], include: str) -> Compiled:
    with tempfile.TemporaryDirectory(prefix="headers-test-") as tmp:
        names = []
        for name, text in sources:
            (Path(tmp) / name).write_text(text)
            names.append(name)
        run = subprocess.run([*driver, "-O2", "-g", "-nostdinc", "-I", include, *flags, "-c", *names],
                             cwd=tmp, capture_output=True, text=True, timeout=120)
        objects = {p.with_suffix(".c").name: p.read_bytes() for p in Path(tmp).glob("*.o")}
    return Compiled(run.returncode, run.stderr, objects)


def compile_sources(sources: dict[str, str], *flags: str, driver: tuple[str, ...] = CLANG,
                    include: Path | None = None) -> Compiled:
    """Compile several translation units in one compiler run (one object each)."""
    if driver is ZIG_CC and len(sources) != 1:
        raise ValueError("zig cc links when given several sources: compile one at a time")
    return _compile(tuple(sorted(sources.items())), tuple(flags), driver,
                    str(include or headers.include_dir()))


def compile_c(source: str, *flags: str, driver: tuple[str, ...] = CLANG,
              include: Path | None = None) -> Compiled:
    return compile_sources({"prog.c": source}, *flags, driver=driver, include=include)


def unit_name(header: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", header) + ".c"


# Headers that describe one universe each: the UAPI (linux/bpf.h & co.) and the
# simulated kernel (vmlinux.h), which redefines the UAPI's structs as bpftool's does.
VMLINUX_ONLY = {"vmlinux.h"}
BIG_ENDIAN_ONLY = {"linux/byteorder/big_endian.h"}   # the other target's half of asm/byteorder.h
LIBBPF = ["bpf/bpf_helpers.h", "bpf/bpf_tracing.h", "bpf/bpf_core_read.h", "bpf/bpf_endian.h"]


def uapi_headers() -> list[str]:
    return [h for h in headers.header_names() if h not in VMLINUX_ONLY | BIG_ENDIAN_ONLY]


def includes(names: list[str]) -> str:
    return "".join(f"#include <{name}>\n" for name in names)


# -- the public API ----------------------------------------------------------------------------

def test_include_dir_holds_every_header_read_only():
    root = headers.include_dir()
    on_disk = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert on_disk == headers.header_names()
    for name in on_disk:
        path = root / name
        assert path.read_bytes() == header_files()[name]
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert stat.S_IMODE(root.stat().st_mode) == 0o555


def test_include_dir_is_the_same_directory_on_every_call():
    assert headers.include_dir() == headers.include_dir()


def test_header_names_are_relative_and_include_the_libbpf_and_uapi_headers():
    names = headers.header_names()
    assert names == sorted(names)
    assert all(not name.startswith("/") and ".." not in name for name in names)
    for expected in [*LIBBPF, "bpf/bpf_helper_defs.h", "linux/bpf.h", "linux/types.h",
                     "asm/types.h", "asm/byteorder.h", "linux/if_ether.h", "linux/ip.h",
                     "linux/ipv6.h", "linux/in6.h", "linux/tcp.h", "linux/udp.h", "linux/icmp.h",
                     "linux/icmpv6.h", "linux/in.h", "linux/pkt_cls.h", "linux/if_packet.h",
                     "stddef.h", "stdint.h", "stdbool.h", "stdarg.h", "limits.h", "errno.h",
                     "vmlinux.h"]:
        assert expected in names


def test_content_hash_is_the_digest_of_the_materialised_files():
    assert re.fullmatch(r"[0-9a-f]{64}", headers.content_hash())
    assert headers.content_hash() == digest(header_files())
    assert headers.content_hash()[:20] in headers.include_dir().name


def test_generated_headers_replace_nothing_but_the_static_vmlinux_h():
    overlap = set(GENERATED) & set(static_files())
    assert overlap == {"vmlinux.h"}


# -- materialisation ---------------------------------------------------------------------------

FILES = {"a.h": b"#define A 1\n", "sub/b.h": b"#define B 2\n"}


def test_materialise_writes_exactly_the_files_and_reuses_the_directory(tmp_path):
    first = materialise(FILES, tmp_path)
    assert {p.relative_to(first).as_posix(): p.read_bytes()
            for p in first.rglob("*") if p.is_file()} == FILES
    assert materialise(FILES, tmp_path) == first
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no leftover build directory


def test_materialise_gives_different_contents_a_different_directory(tmp_path):
    changed = {**FILES, "a.h": b"#define A 2\n"}
    assert materialise(FILES, tmp_path) != materialise(changed, tmp_path)


@pytest.mark.parametrize("tamper", ["change", "add", "remove", "symlink"])
def test_materialise_replaces_a_tampered_directory(tmp_path, tamper):
    target = materialise(FILES, tmp_path)
    os.chmod(target, 0o755)
    os.chmod(target / "a.h", 0o644)
    if tamper == "change":
        (target / "a.h").write_bytes(b"#define A 666\n")
    elif tamper == "add":
        (target / "evil.h").write_bytes(b"#error planted\n")
    elif tamper == "remove":
        (target / "a.h").unlink()
    else:
        (target / "passwd.h").symlink_to("/etc/passwd")
    again = materialise(FILES, tmp_path)
    assert again == target
    assert sorted(p.relative_to(again).as_posix() for p in again.rglob("*")
                  if p.is_file() or p.is_symlink()) == sorted(FILES)
    assert (again / "a.h").read_bytes() == FILES["a.h"]


def test_a_directory_missing_a_file_no_longer_looks_intact_and_is_rebuilt(tmp_path):
    from vm_service.headers.materialise import looks_intact
    target = materialise(FILES, tmp_path)
    assert looks_intact(target, FILES)
    os.chmod(target, 0o755)
    (target / "a.h").unlink()   # as a temp-dir cleaner would
    assert not looks_intact(target, FILES)
    assert looks_intact(materialise(FILES, tmp_path), FILES)


@pytest.mark.parametrize("name", ["/etc/passwd", "../escape.h", "a/../../b.h"])
def test_materialise_refuses_paths_outside_the_directory(tmp_path, name):
    with pytest.raises(HeaderError, match="not a plain relative path"):
        materialise({name: b""}, tmp_path)
    assert list(tmp_path.iterdir()) == []   # refused before anything was written


def test_materialise_refuses_a_root_that_is_a_file(tmp_path):
    root = tmp_path / "file"
    root.write_text("")
    with pytest.raises(HeaderError):
        materialise(FILES, root)


def test_default_root_follows_the_environment(monkeypatch, tmp_path):
    from vm_service.headers.materialise import ROOT_ENV, default_root
    monkeypatch.setenv(ROOT_ENV, str(tmp_path))
    assert default_root() == tmp_path


file_sets = st.dictionaries(
    st.from_regex(r"[a-z]{1,8}(/[a-z]{1,8})?\.h", fullmatch=True), st.binary(max_size=64),
    min_size=1, max_size=5)


@settings(max_examples=25, deadline=None)
@given(files=file_sets)
def test_a_materialised_directory_holds_exactly_its_files(files):
    with tempfile.TemporaryDirectory() as tmp:
        target = materialise(files, Path(tmp))
        on_disk = {p.relative_to(target).as_posix(): p.read_bytes()
                   for p in target.rglob("*") if p.is_file()}
        assert on_disk == files


@settings(max_examples=50, deadline=None)
@given(files=file_sets, data=st.data())
def test_any_change_to_a_file_changes_the_digest(files, data):
    name = data.draw(st.sampled_from(sorted(files)))
    changed = {**files, name: files[name] + b"x"}
    assert digest(changed) != digest(files)


# -- generated helper declarations -------------------------------------------------------------

DECLARED = re.compile(r"static .*?\(\* const (\w+)\)\((.*)\) = \(void \*\) (\d+);")


def test_every_helper_in_the_table_is_declared_once_with_its_id():
    text = header_files()["bpf/bpf_helper_defs.h"].decode()
    declared = [(m.group(1), int(m.group(3))) for m in DECLARED.finditer(text)]
    assert sorted(declared) == sorted((row.name, row.id) for row in PROTOTYPES.values())


def test_every_helper_is_declared_with_the_tables_c_prototype():
    text = header_files()["bpf/bpf_helper_defs.h"].decode()
    for row in PROTOTYPES.values():
        ret, params = split_declaration(row.name, row.c)
        assert re.search(rf"static {re.escape(ret)} ?\(\* const {row.name}\)"
                         rf"\({re.escape(params)}\) = \(void \*\) {row.id};", text), row.name


def test_generated_declarations_compile_into_calls_of_the_helper_ids():
    calls = "\n".join(f"\t(void){row.name};" for row in PROTOTYPES.values())
    source = ("#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n"
              f"int probe(void)\n{{\n{calls}\n\treturn 0;\n}}\n")
    result = compile_c(source, *WARNINGS)
    assert result.ok and result.stderr == "", result.stderr


def test_a_libbpf_style_declaration_is_generated_for_pointer_and_plain_returns():
    lookup = PROTOTYPES[1]
    assert declaration(lookup) == ("static void *(* const bpf_map_lookup_elem)"
                                   "(void *map, const void *key) = (void *) 1;")
    ktime = PROTOTYPES[5]
    assert declaration(ktime) == "static __u64 (* const bpf_ktime_get_ns)(void) = (void *) 5;"


def _row(c: str, name: str = "bpf_demo", helper_id: int = 1) -> HelperProto:
    return HelperProto(helper_id, name, (), PROTOTYPES[1].ret, None, False, lambda *_: 0,
                       "a demo", c)


@pytest.mark.parametrize("c", ["", "long", "long (void", "long void)", "(void *x)", "long ()",
                               "long ((void)"])
def test_a_malformed_c_column_is_a_clear_error(c):
    with pytest.raises(HeaderError, match="bpf_demo"):
        render_helper_defs({1: _row(c)})


def test_structs_named_by_helpers_are_forward_declared():
    text = render_helper_defs({9: _row("long (struct __sk_buff *skb, union bpf_attr *attr)",
                                       helper_id=9)})
    assert "struct __sk_buff;\n" in text and "union bpf_attr;\n" in text


return_types = st.sampled_from(["long", "void *", "__u64", "struct bpf_sock *", "void",
                                "const char *"])
parameters = st.lists(st.sampled_from(["void *ctx", "__u32 size", "const void *data",
                                       "long (*callback)(void *ctx)", "__u64 flags", "..."]),
                      min_size=1, max_size=5).map(", ".join)


@settings(max_examples=100, deadline=None)
@given(ret=return_types, params=parameters)
def test_split_declaration_inverts_joining_return_and_parameters(ret, params):
    assert split_declaration("bpf_x", f"{ret} ({params})") == (ret, params)
    assert split_declaration("bpf_x", f"{ret}({params})") == (ret, params)


def test_the_func_id_enum_lists_every_kernel_helper_id():
    text = render_func_ids()
    found = dict(re.findall(r"\tBPF_FUNC_(\w+) = (\d+),", text))
    assert {int(v): "bpf_" + k for k, v in found.items()} == HELPER_NAMES
    assert f"__BPF_FUNC_MAX_ID = {max(HELPER_NAMES) + 1}," in text


def test_bpf_func_ids_are_usable_from_linux_bpf_h():
    result = compile_c("#include <linux/bpf.h>\n"
                       "_Static_assert(BPF_FUNC_map_lookup_elem == 1, \"lookup\");\n"
                       "_Static_assert(BPF_FUNC_trace_printk == 6, \"printk\");\n"
                       "_Static_assert(BPF_FUNC_ringbuf_output == 130, \"ringbuf\");\n", *WARNINGS)
    assert result.ok and result.stderr == "", result.stderr


# -- compiling the headers ---------------------------------------------------------------------

def test_every_header_compiles_alone():
    units = {unit_name(h): f"#include <{h}>\n" for h in headers.header_names()}
    result = compile_sources(units, *WARNINGS)
    assert result.ok and result.stderr == "", result.stderr
    assert set(result.objects) == set(units)


def test_every_header_compiles_alone_with_zig_cc():
    for header in ["bpf/bpf_helpers.h", "linux/bpf.h", "vmlinux.h"]:
        result = compile_c(f"#include <{header}>\n", *WARNINGS, driver=ZIG_CC)
        assert result.ok and result.stderr == "", (header, result.stderr)


def test_every_header_can_be_included_twice():
    units = {unit_name(h): f"#include <{h}>\n#include <{h}>\n" for h in headers.header_names()}
    result = compile_sources(units, *WARNINGS)
    assert result.ok and result.stderr == "", result.stderr


def test_the_bundled_headers_are_the_only_ones_searched():
    result = compile_c("#include <stdatomic.h>\n")   # a compiler header we do not ship
    assert not result.ok and "'stdatomic.h' file not found" in result.stderr


# A program using a bit of everything the headers declare.
EVERYTHING = """
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline __u64 add(__u64 *slot, __u64 n)
{
	return __sync_fetch_and_add(slot, n);
}

SEC("xdp")
int everything(struct xdp_md *ctx)
{
	__u32 key = bpf_ntohs(bpf_htons((__u16)ctx->ingress_ifindex));
	__u64 *slot = bpf_map_lookup_elem(&counts, &key);
	if (likely(slot != NULL))
		add(slot, bpf_be64_to_cpu(bpf_cpu_to_be64(1)));
	bpf_printk("ifindex %u", key);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
"""


@pytest.mark.parametrize("std", ["c99", "gnu99", "c11", "gnu11", "c17", "gnu17", "c23", "gnu23"])
def test_the_uapi_headers_compile_together_in_every_c_standard(std):
    result = compile_c(includes(uapi_headers()) + EVERYTHING, f"-std={std}", *WARNINGS)
    assert result.ok and result.stderr == "", result.stderr


# C11 and later: vmlinux.h and <stddef.h> both declare size_t, which C99 forbids.
@pytest.mark.parametrize("std", ["c11", "gnu11", "gnu17"])
def test_vmlinux_h_and_the_libbpf_headers_compile_together(std):
    names = ["vmlinux.h", *LIBBPF, "stddef.h", "stdint.h", "stdbool.h", "stdarg.h", "limits.h",
             "errno.h"]
    result = compile_c(includes(names) + EVERYTHING, f"-std={std}", *WARNINGS)
    assert result.ok and result.stderr == "", result.stderr


@pytest.mark.parametrize("mcpu", ["v1", "v2", "v3", "v4"])
def test_the_headers_compile_for_every_cpu_version(mcpu):
    result = compile_c(includes(uapi_headers()) + EVERYTHING, f"-mcpu={mcpu}", *WARNINGS)
    assert result.ok and result.stderr == "", result.stderr


def test_the_uapi_headers_compile_for_a_big_endian_target():
    both_orders = {"linux/byteorder/little_endian.h", "linux/byteorder/big_endian.h"}
    program = includes([h for h in uapi_headers() if h not in both_orders]) + "_Static_assert(sizeof(struct iphdr) == 20, \"ip\");\n"
    result = compile_c(program, "-target", "bpfeb", *WARNINGS)
    assert result.ok and result.stderr == "", result.stderr

