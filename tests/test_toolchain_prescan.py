"""The pre-scan: what it refuses before clang runs, and what ordinary BPF C it lets through."""

from __future__ import annotations

import re
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vm_service.toolchain.prescan import scan_source
from vm_service.toolchain.toolchain import find_toolchain

HEADERS = frozenset({"bpf/bpf_helpers.h", "linux/bpf.h", "vmlinux.h"})


def refusals(source: str) -> list[tuple[int, int, str]]:
    return [(r.line, r.column, r.message) for r in scan_source(source, HEADERS)]


ORDINARY = """\
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "vmlinux.h"
#pragma once
#pragma clang diagnostic ignored "-Wcomment"
#define DO_PRAGMA(x) _Pragma(#x)
#define CAT(a, b) a##b
#if defined(__has_include) && __has_include(<linux/if_ether.h>)
#endif
#ifdef __has_include
#endif
#if X < Y // fine
#endif
#define FOO 1 /* a comment
               * over two lines */
#error don't stop here
/* café */ const char *greeting = "héllo"; // ünïcode in comments and strings
static __always_inline void barrier(void) { asm volatile("" ::: "memory"); }
SEC("xdp") int prog(void *ctx) { return 2; }
"""


def test_it_lets_ordinary_bpf_c_through():
    assert refusals(ORDINARY) == []


@pytest.mark.parametrize("source, line, column, fragment", [
    ('#include "/etc/passwd"\n', 1, 10, "'/etc/passwd' is not one of the playground's headers"),
    ("#include <../../etc/passwd>\n", 1, 10, "'../../etc/passwd' is not one"),
    ("#include <bpf/../../../etc/passwd>\n", 1, 10, "is not one"),
    ("#include <stdio.h>\n", 1, 10, "'stdio.h' is not one"),
    ('#include "program.c"\n', 1, 10, "'program.c' is not one"),
    ("#include_next <linux/../../x>\n", 1, 15, "is not one"),
    ('#import "/etc/passwd"\n', 1, 9, "is not one"),
    ("#define F </etc/passwd>\n#include F\n", 2, 10, "a macro cannot name it"),
    ("#include __FILE__\n", 1, 10, "a macro cannot name it"),
    ("#include __BASE_FILE__\n", 1, 10, "a macro cannot name it"),
    ("#include\n", 1, 2, "needs a header name"),
    ('  %: include "/etc/passwd"\n', 1, 14, "is not one"),
    ('#inc\\\nlude "/etc/passwd"\n', 2, 6, "is not one"),
    ('/* x\n*/ #include "/etc/passwd"\n', 2, 13, "is not one"),
    ('#include /* c\n */ "/etc/passwd"\n', 2, 5, "is not one"),
    ('#embed "/etc/passwd"\n', 1, 2, "#embed is not available"),
    ("#define E <bpf/bpf_helpers.h>\n#embed E\n", 2, 2, "#embed is not available"),
    ('#if __has_embed("/etc/passwd")\n#endif\n', 1, 5, "__has_embed is not available"),
    ('#if __has_include("/etc/passwd")\n#endif\n', 1, 5, "needs a literal, relative header name"),
    ("#if __has_include(<../x>)\n#endif\n", 1, 5, "needs a literal, relative header name"),
    ('#define P "/etc/passwd"\n#if __has_include(P)\n#endif\n', 2, 5, "needs a literal"),
    ("#define HAS(x) __has_include(x)\n", 1, 16, "needs a literal"),
    ("#define H __has_include\n", 1, 11, "needs a literal"),
    ("#if __has_include_next(</etc/passwd>)\n#endif\n", 1, 5, "needs a literal"),
    ('#pragma GCC dependency "/etc/passwd"\n', 1, 2, "'#pragma GCC dependency' is not allowed"),
    ('#pragma include_alias("a.h", "/etc/passwd")\n', 1, 2, "is not allowed"),
    ("#pragma clang __debug crash\n", 1, 2, "is not allowed"),
    ("#pragma clang module import foo\n", 1, 2, "is not allowed"),
    ('_Pragma("GCC dependency \\"/etc/passwd\\"")\n', 1, 1, "'#pragma GCC dependency' is not allowed"),
    ('asm(".incbin \\"/etc/passwd\\"");\n', 1, 5, "'.incbin' is not allowed"),
    ('asm(".INCBIN \\"/etc/passwd\\"");\n', 1, 5, "'.INCBIN' is not allowed"),
    ('asm(".include \\"/etc/passwd\\"");\n', 1, 5, "'.include' is not allowed"),
    ('asm(".inc" "bin \\"/etc/passwd\\"");\n', 1, 5, "'.incbin' is not allowed"),
    ('asm("\\x2eincbin \\"/etc/passwd\\"");\n', 1, 5, "'.incbin' is not allowed"),
    ('asm("\\056incbin \\"/etc/passwd\\"");\n', 1, 5, "'.incbin' is not allowed"),
    ('asm(R"(.incbin "/etc/passwd")");\n', 1, 5, "'.incbin' is not allowed"),
    ('asm(".macro m a\\n.\\\\a \\"/etc/passwd\\"\\n.endm\\nm incbin");\n', 1, 5, "'.macro' is not allowed"),
    ('#define S(x) #x\nasm(S(.incbin "/etc/passwd"));\n', 2, 7, "'.incbin' is not allowed"),
    ('#define S(x) #x\nasm(S(. include "/etc/passwd"));\n', 2, 7, "'.include' is not allowed"),
    ("int \u00e9t\u00e9;\n", 1, 5, "U+00E9 is only allowed in comments and literals"),
    ("\u00a0#include <x>\n", 1, 1, "U+00A0"),
    ("int \\u0061;\n", 1, 5, "stray '\\'"),
    ("int x;\x00\n", 1, 7, "control character U+0000"),
    ("<<<<<<< HEAD\nint x;\n=======\nint y;\n>>>>>>> b\n", 1, 1, "conflict marker"),
    ("#error stop /* here\n*/\n", 1, 13, "continues past the end of an #error line"),
    ('#warning R"x(\n)x"\n', 1, 10, "continues past the end of an #warning line"),
    ("#if X < Y /* a */ && Z > 1\n#endif\n", 1, 7, "cannot hold comments, quotes or backslashes"),
    ("#if __has_include(<a/*b>)\n#endif\n", 1, 5, "needs a literal"),
])
def test_it_refuses(source, line, column, fragment):
    found = refusals(source)
    assert found, "nothing refused"
    assert (found[0][0], found[0][1]) == (line, column)
    assert fragment in found[0][2]


def test_it_refuses_includes_hidden_behind_a_raw_string_that_clang_ends_early():
    # 1R is a pp-number, so "x(" is a plain string for clang and the include is real.
    assert refusals('x = 1R"x(";\n#include "/etc/passwd"\n)x";\n')[0][:2] == (2, 10)


def test_a_raw_string_really_hides_what_it_holds():
    assert refusals('const char *s = R"x(\n#include "/etc/passwd"\n)x";\n') == []


def test_it_reports_every_refusal_in_order():
    found = refusals('#include "/a"\n#include "/b"\n#embed "/c"\n')
    assert [(line, column) for line, column, _ in found] == [(1, 10), (2, 10), (3, 2)]


@given(st.text(alphabet=st.sampled_from(list("#<>\"'/*\\\n ()incldueR_ab.")), max_size=60))
def test_it_never_fails_on_any_text(source):
    for refusal in scan_source(source, HEADERS):
        assert refusal.line >= 1 and refusal.column >= 1 and refusal.message


@given(st.sampled_from(sorted(HEADERS)), st.sampled_from(["<{}>", '"{}"']))
def test_every_available_header_can_be_included(header, form):
    assert refusals(f"#include {form.format(header)}\n") == []


# Pieces of include attacks, mixed with what moves token boundaries. The
# tokens OUTSIDE and OUTSIDE_REL become paths of a header outside the
# include directory.
ATTACK_FRAGMENTS = [
    "#", "%:", "include", "include_next", "import", "define", "F", " F ", " ", "\n", "\r", "\\\n",
    '"OUTSIDE"', "<OUTSIDE>", '"OUTSIDE_REL"', "<OUTSIDE_REL>", '"inside.h"', "<inside.h>",
    '"', "'", "/*", "*/", "//", 'R"x(', ')x"', "1", "(", ")", "__FILE__", "#define F ", "#include ",
]


@pytest.fixture(scope="module")
def include_layout(tmp_path_factory):
    root = tmp_path_factory.mktemp("layout")
    include = root / "include"
    include.mkdir()
    (include / "inside.h").write_text("int inside;\n")
    (root / "outside.h").write_text("int outside;\n")
    return root


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(ATTACK_FRAGMENTS), min_size=1, max_size=14).map("".join))
def test_a_source_it_lets_through_includes_nothing_outside_the_include_dir(include_layout, source):
    """clang itself (preprocessing only, unsandboxed) lists every file it opens with -H."""
    outside = include_layout / "outside.h"
    source = source.replace("OUTSIDE_REL", "../" * 12 + str(outside).lstrip("/")).replace("OUTSIDE", str(outside))
    if scan_source(source, frozenset({"inside.h"})):
        return
    work = include_layout / "work"
    work.mkdir(exist_ok=True)
    (work / "program.c").write_bytes(source.encode())
    toolchain = find_toolchain()
    done = subprocess.run([str(toolchain.executable), *toolchain.arguments, "-target", "bpfel", "-nostdinc",
                           "-isystem", str(include_layout / "include"), "-E", "-H", "program.c", "-o", "/dev/null"],
                          cwd=work, capture_output=True, text=True, timeout=60)
    opened = [line.lstrip(". ") for line in done.stderr.splitlines() if re.match(r"^\.+ ", line)]
    assert all(path.startswith(str(include_layout / "include")) for path in opened), (source, opened)
    assert "outside" not in done.stderr.replace(str(outside), "")


def test_string_pieces_on_separate_lines_are_one_string():
    source = 'asm(".inc"\n#define X 1\n   // a comment\n    "bin \\"/etc/passwd\\"");\n'
    assert refusals(source)[0][:2] == (1, 5)


def test_lines_of_plain_code_are_skipped_but_not_the_names_on_them():
    plain = "int a = b + c;\n" * 50
    assert refusals(plain + "int x = incbin;\n" + plain) == [(51, 9, "'incbin' is not allowed: the assembler directive reads files")]
    assert refusals(plain + "x = s . include;\n")[0][:2] == (51, 7)
