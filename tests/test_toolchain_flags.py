"""The allow-list of compiler flags."""

from __future__ import annotations

import pytest

from vm_service.toolchain.flags import MAX_FLAGS, check_flags


def test_it_accepts_the_allowed_flags_and_joins_split_defines():
    checked = check_flags(["-DDEBUG", "-DLIMIT=16", "-D", "NAME=\"x\"", "-UOLD", "-U", "OTHER", "-Wall", "-Wextra",
                           "-Wno-unused-variable", "-Werror", "-Werror=format", "-Wframe-larger-than=512",
                           "-Wno-#warnings", "-w", "-pedantic", "-O0", "-O3", "-Os", "-Oz", "-std=gnu11",
                           "-std=gnu17", "-gdwarf-4", "-fno-builtin", "-fno-builtin-memcpy", "-funroll-loops",
                           "-ferror-limit=5", "-fmacro-backtrace-limit=0"])
    assert checked.problems == []
    assert checked.flags[:5] == ["-DDEBUG", "-DLIMIT=16", '-DNAME="x"', "-UOLD", "-UOTHER"]


@pytest.mark.parametrize("flags, reason", [
    (["-I/etc"], "adds an include directory"),
    (["-I", "/etc"], "adds an include directory"),
    (["-isystem", "/etc"], "changes the include path"),
    (["-iquote/etc"], "changes the include path"),
    (["-idirafter", "/etc"], "changes the include path"),
    (["-include", "/etc/passwd"], "includes a file"),
    (["-imacros", "/etc/passwd"], "includes a file"),
    (["--include=/etc/passwd"], "includes a file"),
    (["@/etc/options"], "reads more options from a file"),
    (["-Xclang", "-load"], "compiler's internals"),
    (["-Xpreprocessor", "-x"], "compiler's internals"),
    (["-Wl,-T,/etc/passwd"], "linker"),
    (["-Wa,-I/etc"], "assembler"),
    (["-Wp,-include,/etc/passwd"], "preprocessor"),
    (["-fplugin=/tmp/x.so"], "loads code"),
    (["-fpass-plugin=/tmp/x.so"], "loads code"),
    (["-o", "/tmp/out"], "names the output file"),
    (["-MD"], "dependency file"),
    (["-MF/tmp/deps"], "dependency file"),
    (["--sysroot=/"], "names a directory"),
    (["-B/tmp"], "directory of tools"),
    (["-specs=/tmp/x"], "specs file"),
    (["-fprofile-instr-use=/tmp/x"], "profile files"),
    (["-save-temps"], "writes files"),
    (["-fmodules"], "module files"),
    (["-fmodule-map-file=/etc/x"], "module files"),
    (["-mcpu=v4"], "mcpu option"),
    (["-target", "x86_64"], "always bpfel"),
    (["-std=c11"], "GNU modes"),
    (["-std=gnu99"], "GNU modes"),
    (["-x", "c++"], "not allowed"),
    (["-E"], "not allowed"),
    (["-fsanitize=address"], "not allowed"),
    (["-fms-extensions"], "not allowed"),
    (["-ftrigraphs"], "not allowed"),
    (["-fno-raw-string-literals"], "not allowed"),
    (["-ferror-limit=0"], "not allowed"),
    (["-Wl"], "not allowed"),
    (["-DX=a\nb"], "printable ASCII without backslashes"),
    (["-DX=\\"], "printable ASCII without backslashes"),
    (['-DX=__has_include("/etc/passwd")'], "needs a literal"),
    (['-DX=asm(".incbin \\"/etc/passwd\\"")'], "printable ASCII"),
    (['-DX=".incbin"'], "'.incbin' is not allowed"),
    (["-D-I/etc"], "not allowed"),
    (["-Dbad name"], "not allowed"),
])
def test_it_refuses(flags, reason):
    checked = check_flags(flags)
    assert checked.problems and reason in checked.problems[0]


def test_it_refuses_too_many_flags():
    assert "at most" in check_flags(["-Wall"] * (MAX_FLAGS + 1)).problems[0]


def test_it_refuses_overlong_flags():
    assert "longer than" in check_flags(["-DX=" + "1" * 300]).problems[0]


@pytest.mark.parametrize("flags", [None, "-Wall", b"-Wall", ["-Wall", 3], {"-Wall"}])
def test_it_refuses_anything_but_a_list_of_strings(flags):
    assert check_flags(flags).problems == ["flags must be a list of strings"]
