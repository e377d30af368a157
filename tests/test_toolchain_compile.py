"""compile_source end to end with zig's clang: objects, diagnostics, cache, limits, toolchain choice."""

from __future__ import annotations

import importlib.metadata
import io
import os
import re
import secrets
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from vm_service.toolchain import CompileCache, Limits, compile_source
from vm_service.toolchain.compiler import FILENAME
from vm_service.toolchain.result import ToolchainError
from vm_service.toolchain.toolchain import find_toolchain

EM_BPF = 247

HELPERS_H = """\
#ifndef TEST_HELPERS_H
#define TEST_HELPERS_H
#define SEC(name) __attribute__((section(name), used))
struct point { int x; };
#define ADD_UNKNOWN(v) ((v) + unknown_thing)
static long (*bpf_trace_printk)(const char *fmt, unsigned int size, ...) = (void *) 6;
#endif
"""

PROGRAM = """\
#include <bpf/bpf_helpers.h>

SEC("xdp")
int pass(void *ctx)
{
	return 2;
}

char LICENSE[] SEC("license") = "GPL";
"""


@pytest.fixture(scope="module")
def include_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("include")
    (root / "bpf").mkdir()
    (root / "bpf" / "bpf_helpers.h").write_text(HELPERS_H)
    (root / "loop.h").write_text("#include <loop.h>\n")
    return root


@pytest.fixture
def compile_(include_dir):
    def run(source, **options):
        options.setdefault("include_dir", include_dir)
        options.setdefault("cache", None)
        return compile_source(source, **options)
    return run


@pytest.fixture
def workdirs(tmp_path, monkeypatch):
    """Compiles make their private directories here, so a test can see that none is left."""
    root = tmp_path / "work"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def sections(obj: bytes) -> dict[str, bytes]:
    elf = ELFFile(io.BytesIO(obj))
    assert (elf["e_machine"], elf.little_endian, elf.elfclass) == ("EM_BPF", True, 64)
    return {s.name: s.data() for s in elf.iter_sections()}


def processes_mentioning(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_it_compiles_a_program_to_a_little_endian_bpf_object_with_btf_and_dwarf(compile_):
    result = compile_(PROGRAM)
    assert result.ok, result.raw
    assert result.diagnostics == [] and result.raw == ""
    found = sections(result.object)
    assert {"xdp", "license", ".BTF", ".BTF.ext", ".debug_info", ".debug_line"} <= set(found)
    assert found["license"] == b"GPL\0"
    assert len(found["xdp"]) == 16   # r0 = 2; exit


def test_it_names_the_toolchain_and_its_version(compile_):
    result = compile_(PROGRAM)
    assert re.fullmatch(r"clang \d+\.\d+\.\d+ \(ziglang [\w.]+\)", result.toolchain)
    assert result.toolchain.endswith(f"(ziglang {importlib.metadata.version('ziglang')})")


def test_compiles_run_isolated_where_bubblewrap_is_installed_and_always_under_ci(compile_):
    expected = "bubblewrap" if os.environ.get("CI") == "true" or shutil.which("bwrap") else "none"
    assert compile_(PROGRAM).isolation == expected


@pytest.mark.parametrize("sandbox", ["auto", "none"])
def test_no_server_path_reaches_the_object_or_the_text(compile_, include_dir, workdirs, sandbox, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_SANDBOX", sandbox)
    result = compile_(PROGRAM.replace("return 2;", "int unused; return 2;") + "struct point { int y; };\n",
                      flags=["-Wall"])
    toolchain_dir = str(find_toolchain().executable.parent)
    for server_path in (str(include_dir), str(workdirs), toolchain_dir):
        assert server_path not in result.raw
        assert server_path not in str(result.diagnostics)
    ok = compile_(PROGRAM, flags=["-Wall"])
    for server_path in (str(include_dir), str(workdirs), toolchain_dir):
        assert server_path.encode() not in ok.object


def test_it_reports_errors_warnings_and_notes_at_their_line_and_column(compile_):
    source = ("#include <bpf/bpf_helpers.h>\n"
              "struct point { int y; };\n"
              "int g(void)\n"
              "{\n"
              "\tint unused;\n"
              "\treturn 0;\n"
              "}\n"
              "int f(void *ctx)\n"
              "{\n"
              "\treturn ADD_UNKNOWN(1);\n"
              "}\n")
    result = compile_(source, flags=["-Wall"])
    assert not result.ok and result.object is None
    assert result.diagnostics == [
        {"line": 2, "column": 8, "severity": "error", "message": "redefinition of 'point'"},
        {"line": 4, "column": 8, "severity": "note", "message": "previous definition is here",
         "file": "bpf/bpf_helpers.h"},
        {"line": 5, "column": 6, "severity": "warning", "message": "unused variable 'unused' [-Wunused-variable]"},
        {"line": 10, "column": 9, "severity": "error", "message": "use of undeclared identifier 'unknown_thing'"},
        {"line": 5, "column": 31, "severity": "note", "message": "expanded from macro 'ADD_UNKNOWN'",
         "file": "bpf/bpf_helpers.h"},
    ]
    assert "program.c:2:8: error: redefinition of 'point'" in result.raw
    assert "bpf/bpf_helpers.h:4:8: note: previous definition is here" in result.raw
    assert "2 errors generated." in result.raw


def test_a_warning_alone_still_compiles(compile_):
    result = compile_(PROGRAM.replace("return 2;", "int unused; return 2;"), flags=["-Wall"])
    assert result.ok and result.object
    assert [d["severity"] for d in result.diagnostics] == ["warning"]


def test_werror_turns_a_warning_into_a_failure(compile_):
    result = compile_(PROGRAM.replace("return 2;", "int unused; return 2;"), flags=["-Wall", "-Werror"])
    assert not result.ok and result.diagnostics[0]["severity"] == "error"


def test_diagnostics_use_the_given_file_name(compile_):
    result = compile_("int f(void) { return x; }\n", filename="counter.bpf.c")
    assert result.raw.startswith("counter.bpf.c:1:22: error:")
    assert "file" not in result.diagnostics[0]


@pytest.mark.parametrize("filename", ["../x.c", "/etc/x.c", "x.h", "", ".c", "a/b.c", "-o.c", "x.c\n", "x" * 70 + ".c"])
def test_it_refuses_file_names_that_are_not_plain_c_files(compile_, filename):
    result = compile_(PROGRAM, filename=filename)
    assert not result.ok
    assert result.diagnostics[0]["message"].startswith("the file name must be")
    assert not FILENAME.fullmatch(filename)


def test_the_cpu_version_changes_the_code(compile_):
    source = "#include <bpf/bpf_helpers.h>\nSEC(\"xdp\") int f(unsigned *ctx) { return *ctx + 1; }\n"
    classes = {}
    for mcpu in ("v1", "v2", "v3", "v4"):
        result = compile_(source, mcpu=mcpu)
        assert result.ok, result.raw
        code = sections(result.object)["xdp"]
        classes[mcpu] = {code[i] & 7 for i in range(0, len(code), 8)}
    assert 0x04 not in classes["v1"] and 0x04 in classes["v3"]   # 32-bit ALU only from v3


@pytest.mark.parametrize("mcpu", ["v5", "probe", "generic", "", None])
def test_it_refuses_unknown_cpu_versions(compile_, mcpu):
    result = compile_(PROGRAM, mcpu=mcpu)
    assert not result.ok and "mcpu must be one of v1, v2, v3, v4" in result.diagnostics[0]["message"]


def test_a_refused_flag_is_an_error_at_line_1_column_1(compile_):
    result = compile_(PROGRAM, flags=["-I/etc", "-Wall"])
    assert not result.ok and result.object is None
    assert result.diagnostics == [{"line": 1, "column": 1, "severity": "error",
                                   "message": "flag '-I/etc' is not allowed: it adds an include directory; "
                                              "only the playground's headers can be included"}]
    assert result.raw.startswith("program.c:1:1: error: flag '-I/etc'")


def test_it_refuses_a_source_over_the_size_limit(compile_):
    result = compile_("//" + "x" * 300_000 + "\n")
    assert not result.ok
    assert result.diagnostics[0]["message"] == "the source is 300003 bytes; the limit is 262144 bytes"


@pytest.mark.parametrize("source", [b"int x;", 42, None, "\ud800"])
def test_it_refuses_a_source_that_is_not_text(compile_, source):
    result = compile_(source)
    assert not result.ok and result.diagnostics[0]["line"] == 1


def test_a_prescan_refusal_comes_back_as_located_errors_without_running_clang(compile_, workdirs):
    result = compile_('int x;\n#include "/etc/passwd"\n')
    assert not result.ok
    assert result.diagnostics[0]["line"] == 2 and result.diagnostics[0]["column"] == 10
    assert result.raw.startswith("program.c:2:10: error: '/etc/passwd' is not one of the playground's headers")
    assert list(workdirs.iterdir()) == []


def test_an_include_loop_inside_the_headers_ends_with_a_clear_error(compile_):
    result = compile_("#include <loop.h>\n")
    assert not result.ok
    assert any("nested depth" in d["message"] or "nested too deeply" in d["message"] for d in result.diagnostics)
    assert result.seconds < 5


def test_the_second_identical_compile_is_cached(include_dir):
    cache = CompileCache()
    first = compile_source(PROGRAM, include_dir=include_dir, cache=cache)
    second = compile_source(PROGRAM, include_dir=include_dir, cache=cache)
    assert not first.cached and second.cached
    assert second.object == first.object and second.diagnostics == first.diagnostics
    assert second.seconds < first.seconds


@pytest.mark.parametrize("change", [
    {"source": PROGRAM + "\n"},
    {"flags": ["-O1"]},
    {"flags": ["-DX"]},
    {"mcpu": "v2"},
    {"filename": "other.c"},
])
def test_any_input_change_misses_the_cache(include_dir, change):
    cache = CompileCache()
    base = {"source": PROGRAM, "include_dir": include_dir, "cache": cache}
    compile_source(**base)
    changed = compile_source(**(base | change))
    assert not changed.cached
    assert compile_source(**(base | change)).cached


def test_a_header_change_misses_the_cache(tmp_path):
    include = tmp_path / "include"
    (include / "bpf").mkdir(parents=True)
    header = include / "bpf" / "bpf_helpers.h"
    header.write_text(HELPERS_H)
    cache = CompileCache()
    assert not compile_source(PROGRAM, include_dir=include, cache=cache).cached
    header.write_text(HELPERS_H + "/* edited */\n")
    assert not compile_source(PROGRAM, include_dir=include, cache=cache).cached


def test_a_macro_bomb_is_stopped_with_a_clear_error_and_leaves_nothing_behind(compile_, workdirs):
    marker = "MARKER_" + secrets.token_hex(8)
    bomb = "\n".join(["#define A0 x"] + [f"#define A{i} A{i - 1} A{i - 1}" for i in range(1, 40)])
    # memory to spare, so the wall clock is what stops it even on a slow, busy machine
    limits = Limits(wall_seconds=2, cpu_seconds=30, memory_bytes=6 * 1024**3)
    started = time.monotonic()
    result = compile_(bomb + "\nint f(void) { A36; }\n", flags=[f"-D{marker}"], limits=limits, cache=CompileCache())
    assert time.monotonic() - started < 6
    assert not result.ok and result.object is None
    assert result.diagnostics[0] == {"line": 1, "column": 1, "severity": "error",
                                     "message": "compilation stopped: it took longer than 2 s"}
    assert processes_mentioning(marker) == []
    assert list(workdirs.iterdir()) == []


def test_cpu_time_has_its_own_limit(compile_):
    bomb = "\n".join(["#define A0 x"] + [f"#define A{i} A{i - 1} A{i - 1}" for i in range(1, 40)])
    result = compile_(bomb + "\nint f(void) { A36; }\n", limits=Limits(wall_seconds=20, cpu_seconds=1))
    assert result.diagnostics[0]["message"] == "compilation stopped: it used more than 1 s of CPU time"


def test_a_limit_hit_is_not_cached(include_dir):
    cache = CompileCache()
    bomb = "\n".join(["#define A0 x"] + [f"#define A{i} A{i - 1} A{i - 1}" for i in range(1, 40)])
    source = bomb + "\nint f(void) { A36; }\n"
    compile_source(source, include_dir=include_dir, cache=cache, limits=Limits(wall_seconds=1))
    assert len(cache) == 0


def test_output_larger_than_the_limit_is_stopped(compile_):
    result = compile_("char big[1 << 22] = {1};\n", limits=Limits(output_bytes=1 << 20))
    assert not result.ok
    assert result.diagnostics[0]["message"] == f"compilation stopped: its output grew past {1 << 20} bytes"


def test_memory_has_a_limit(compile_):
    bomb = "\n".join(["#define A0 1,"] + [f"#define A{i} A{i - 1} A{i - 1}" for i in range(1, 23)])
    result = compile_(bomb + "\nint a[] = { A22 };\n", limits=Limits(memory_bytes=256 << 20))
    assert not result.ok
    assert result.diagnostics[0]["message"] == "compilation stopped: it needed more than 256 MiB of memory"


def test_playground_clang_selects_another_clang(compile_, tmp_path, monkeypatch):
    zig = find_toolchain().executable
    tools = tmp_path / "tools"
    tools.mkdir()
    try:
        os.link(zig, tools / "zig")
    except OSError:
        shutil.copy2(zig, tools / "zig")
    wrapper = tools / "clang-wrapper"
    wrapper.write_text('#!/bin/sh\nexec "${0%/*}/zig" clang "$@"\n')
    wrapper.chmod(0o755)
    default = compile_(PROGRAM)
    monkeypatch.setenv("PLAYGROUND_CLANG", str(wrapper))
    result = compile_(PROGRAM)
    assert result.ok, result.raw
    assert re.fullmatch(r"clang \d+\.\d+\.\d+ \(clang-wrapper\)", result.toolchain)
    assert result.toolchain != default.toolchain
    assert result.object == default.object


def test_playground_clang_must_name_an_executable(compile_, monkeypatch, tmp_path):
    monkeypatch.setenv("PLAYGROUND_CLANG", str(tmp_path / "missing"))
    with pytest.raises(ToolchainError, match="is not an executable file"):
        compile_(PROGRAM)


def test_playground_sandbox_none_runs_clang_unisolated(compile_, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_SANDBOX", "none")
    result = compile_(PROGRAM)
    assert result.ok and result.isolation == "none"
    assert result.object == compile_(PROGRAM, filename="program.c").object


def test_playground_sandbox_rejects_unknown_modes(compile_, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_SANDBOX", "docker")
    with pytest.raises(ToolchainError, match="must be auto, bubblewrap or none"):
        compile_(PROGRAM)


def test_it_compiles_against_the_bundled_headers_by_default():
    source = "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n" \
             "SEC(\"xdp\") int pass(struct xdp_md *ctx) { return XDP_PASS; }\n" \
             "char LICENSE[] SEC(\"license\") = \"GPL\";\n"
    result = compile_source(source, cache=None)
    assert result.ok, result.raw
    assert sections(result.object)["license"] == b"GPL\0"
