"""Hostile sources against the compile sandbox: no byte of a file outside our headers may come back.

A canary file with a random secret is planted at a random path at test time,
with symlinks to it beside the compile's private directories and inside the
include directory. Every attack must end with a clear error, and the secret
must appear nowhere in the result: not in the diagnostics, the raw text or
the object. Attacks the pre-scan stops are tried with and without the
sandbox; attacks only the sandbox can stop (names built by token pasting,
``_Pragma`` of a macro) need bubblewrap, and probing a file's existence must
answer exactly as for a file that does not exist.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import require_tool
from vm_service.toolchain import compile_source


@dataclass(frozen=True)
class Canary:
    path: Path
    secret: str


@pytest.fixture(scope="module")
def canary(tmp_path_factory) -> Canary:
    secret = "CANARY-" + secrets.token_hex(16)
    path = tmp_path_factory.mktemp(f"c{secrets.token_hex(4)}") / f"{secrets.token_hex(8)}.h"
    path.write_text(f'"{secret}"\n{secret}\n')
    return Canary(path, secret)


@pytest.fixture(scope="module")
def include_dir(tmp_path_factory, canary) -> Path:
    root = tmp_path_factory.mktemp("include")
    (root / "bpf").mkdir()
    (root / "bpf" / "bpf_helpers.h").write_text("#define SEC(name) __attribute__((section(name), used))\n")
    (root / "evil.h").symlink_to(canary.path)
    (root / "bpf" / "evil.h").symlink_to(canary.path)
    return root


@pytest.fixture
def arena(tmp_path, monkeypatch, canary):
    """The compiles' private directories go here, next to a symlink to the canary and a directory holding another."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "canary-link").symlink_to(canary.path)
    (work / "beside").mkdir()
    (work / "beside" / "canary-link").symlink_to(canary.path)
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    monkeypatch.setenv("CANARY_IN_ENVIRONMENT", canary.secret)
    return work


@pytest.fixture(params=["bubblewrap", "none"])
def isolation(request, monkeypatch):
    if request.param == "bubblewrap":
        require_tool("bwrap", "bubblewrap")
    monkeypatch.setenv("PLAYGROUND_SANDBOX", request.param)
    return request.param


@pytest.fixture
def sandboxed(monkeypatch):
    require_tool("bwrap", "bubblewrap")
    monkeypatch.setenv("PLAYGROUND_SANDBOX", "bubblewrap")


PASTE = "#define P(a, b) a##b\n#define S(...) #__VA_ARGS__\n#define XS(...) S(__VA_ARGS__)\n"

# {C}: the canary's absolute path; {UP}: the same, reached by '..' from any directory;
# {LINK}, {BESIDE}: symlinks to it, relative to the source's directory.
STOPPED_BY_THE_PRESCAN = {
    "absolute include": '#include "{C}"\n',
    "absolute angled include": "#include <{C}>\n",
    "relative include through a symlink": '#include "{LINK}"\n',
    "include through a symlink beside the source": '#include "{BESIDE}"\n',
    "dot-dot include": "#include <{UP}>\n",
    "dot-dot under a header directory": '#include "bpf/../../../../../../../../../../../{UPTAIL}"\n',
    "symlink inside the include directory": "#include <evil.h>\n",
    "symlink in a header directory": '#include "bpf/evil.h"\n',
    "include_next": '#include_next "{C}"\n',
    "import": '#import "{C}"\n',
    "macro-built include": '#define F "{C}"\n#include F\n',
    "macro-built angled include": "#define F <{C}>\n#include F\n",
    "stringised include": PASTE + "#include XS({C})\n",
    "include of __FILE__ after #line": '#line 1 "{C}"\n#include __FILE__\n',
    "include of __BASE_FILE__": "#include __BASE_FILE__\n",
    "self include": '#include "program.c"\n',
    "digraph include": '%:include "{C}"\n',
    "spliced include": '#inc\\\nlude "{C}"\n',
    "include after a comment": '/* x\n*/ #include "{C}"\n',
    "__has_include probe": '#if __has_include("{C}")\n#error found\n#else\n#error missing\n#endif\n',
    "__has_include of a macro": '#define N "{C}"\n#if __has_include(N)\n#error found\n#endif\n',
    "#embed": 'const char d[] = {\n#embed "{C}"\n};\n',
    "#embed of a macro": '#define E "{C}"\nconst char d[] = {\n#embed E\n};\n',
    "__has_embed probe": '#if __has_embed("{C}")\n#error found\n#endif\n',
    "#pragma GCC dependency": '#pragma GCC dependency "{C}"\n',
    "_Pragma GCC dependency": '_Pragma("GCC dependency \\"{C}\\"")\n',
    "asm .incbin": 'asm(".incbin \\"{C}\\"");\n',
    "asm .include": 'asm(".include \\"{C}\\"");\n',
    "asm .incbin in pieces": 'asm(".inc" "bin \\"{C}\\"");\n',
    "asm .incbin escaped": 'asm("\\x2eincbin \\"{C}\\"");\n',
    "asm .incbin stringised": PASTE + 'asm(S(.incbin "{C}"));\n',
    "asm .macro building .incbin": 'asm(".macro m d\\n.\\\\d \\"{C}\\"\\n.endm\\nm incbin");\n',
    "/proc/self/environ": '#include "/proc/self/environ"\n',
    "/proc/self/cmdline": '#include "/proc/self/cmdline"\n',
    "/dev/zero": '#include "/dev/zero"\n',
    "/dev/urandom": 'const char d[] = {\n#embed "/dev/urandom" limit(64)\n};\n',
    "#line naming the canary": '#line 1 "{C}"\nint x = ;\n',
}

STOPPED_BY_THE_SANDBOX = {
    "pasted asm .incbin": PASTE + 'asm(XS(.P(inc, bin) "{C}"));\nint x;\n',
    "pasted asm .incbin through a symlink beside the source": PASTE + 'asm(XS(.P(inc, bin) "{BESIDE}"));\nint x;\n',
    "pasted asm .include": PASTE + 'asm(XS(.P(inc, lude) "{C}"));\nint x;\n',
    "pasted asm .incbin of /proc/self/environ": PASTE + 'asm(XS(.P(inc, bin) "/proc/self/environ"));\nint x;\n',
    "pasted asm .incbin of /dev/urandom": PASTE + 'asm(XS(.P(inc, bin) "/dev/urandom", 0, 64));\nint x;\n',
    "pasted asm .incbin of the compiler itself": PASTE + 'asm(XS(.P(inc, bin) "/zig", 0, 64));\nint x;\n',
    "pasted asm .incbin of the toolchain": PASTE + 'asm(XS(.P(inc, bin) "{ZIG}", 0, 64));\nint x;\n',
}

# Each answers whether a file exists; the answer for the canary must be the
# answer for a path that does not exist.
EXISTENCE_PROBES = {
    "pasted __has_include": '#define P(a, b) a##b\n#if P(__has_, include)("{C}")\n#error found\n#else\n#error missing\n#endif\n',
    "pasted __has_embed": '#define P(a, b) a##b\n#if P(__has_, embed)("{C}")\n#error found\n#else\n#error missing\n#endif\n',
    "_Pragma of a macro": '#define DO(x) _Pragma(#x)\nDO(GCC dependency "{C}")\nint x;\n',
    "pasted asm .incbin": PASTE + 'asm(XS(.P(inc, bin) "{C}"));\nint x;\n',
}


def fill(template: str, path: Path) -> str:
    from vm_service.toolchain.toolchain import find_toolchain

    text = str(path)
    return (template.replace("{UPTAIL}", text.lstrip("/"))
            .replace("{UP}", "../" * 16 + text.lstrip("/"))
            .replace("{LINK}", "../../canary-link")
            .replace("{BESIDE}", "../../beside/canary-link")
            .replace("{ZIG}", str(find_toolchain().executable))
            .replace("{C}", text))


def compile_attack(source: str, include_dir: Path):
    return compile_source(source, include_dir=include_dir, cache=None)


def assert_refused_without_leak(result, canary: Canary) -> None:
    assert not result.ok, result.raw
    assert any(d["severity"] == "error" for d in result.diagnostics)
    text = json.dumps(result.to_dict(with_object=False))
    assert canary.secret not in text
    assert canary.secret.encode() not in (result.object or b"")


@pytest.mark.parametrize("name", sorted(STOPPED_BY_THE_PRESCAN))
def test_the_prescan_stops(name, isolation, canary, include_dir, arena):
    result = compile_attack(fill(STOPPED_BY_THE_PRESCAN[name], canary.path), include_dir)
    assert result.isolation == isolation
    assert_refused_without_leak(result, canary)
    assert list(arena.iterdir()) == [arena / "beside", arena / "canary-link"] or \
        sorted(arena.iterdir()) == sorted([arena / "beside", arena / "canary-link"])


@pytest.mark.parametrize("name", sorted(STOPPED_BY_THE_SANDBOX))
def test_the_sandbox_stops(name, sandboxed, canary, include_dir, arena):
    result = compile_attack(fill(STOPPED_BY_THE_SANDBOX[name], canary.path), include_dir)
    assert result.isolation == "bubblewrap"
    assert_refused_without_leak(result, canary)
    assert any("Could not find" in d["message"] for d in result.diagnostics), result.raw


@pytest.mark.parametrize("name", sorted(EXISTENCE_PROBES))
def test_probing_reveals_nothing(name, sandboxed, canary, include_dir, arena):
    missing = canary.path.with_name("x" * len(canary.path.name))
    assert not missing.exists()

    def answer(path: Path) -> str:
        result = compile_attack(fill(EXISTENCE_PROBES[name], path), include_dir)
        assert_refused_without_leak(result, canary)
        shown = result.to_dict(with_object=False)
        del shown["seconds"]
        return json.dumps(shown).replace(str(path), "<path>")

    assert answer(canary.path) == answer(missing)


def test_the_compiler_binary_cannot_be_read_inside_the_sandbox(sandboxed, include_dir, arena):
    result = compile_attack(PASTE + 'asm(XS(.P(inc, bin) "/zig", 0, 4));\nint x;\n', include_dir)
    assert not result.ok
    assert b"\x7fELF" not in (result.object or b"")


def test_the_sandbox_has_no_network_no_proc_and_no_dev(sandboxed, include_dir, arena):
    for path in ("/proc/self/status", "/dev/null", "/etc/passwd", "/etc/hostname", "/home", "/root/.bashrc",
                 "/tmp", os.path.expanduser("~")):
        result = compile_attack(PASTE + f'asm(XS(.P(inc, bin) "{path}", 0, 1));\nint x;\n', include_dir)
        assert any("Could not find incbin file" in d["message"] for d in result.diagnostics), (path, result.raw)


def test_the_sandbox_shares_no_namespace_no_privilege_and_mounts_only_three_paths(tmp_path):
    from vm_service.toolchain.sandbox import Bubblewrap
    from vm_service.toolchain.toolchain import find_toolchain

    argv = Bubblewrap("/usr/bin/bwrap", find_toolchain()).wrap(["/zig", "clang"], tmp_path / "src", tmp_path / "inc")
    text = " ".join(argv)
    for needed in ("--unshare-all", "--unshare-user", "--disable-userns", "--uid 65534 --gid 65534",
                   "--cap-drop ALL", "--die-with-parent", "--clearenv", "--remount-ro /", "--chdir /src"):
        assert needed in text
    mounted = [argv[i + 2] for i, part in enumerate(argv) if part in ("--ro-bind", "--bind", "--dev", "--proc", "--tmpfs")]
    assert mounted == ["/zig", "/include", "/src"]
    assert argv[argv.index("--bind") + 1] == str(tmp_path / "src")
    copy = Path(argv[argv.index("/zig") - 1])
    assert copy.stat().st_mode & 0o777 == 0o111   # the compiler can be run, not read
