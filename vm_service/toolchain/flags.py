"""The compiler flags a user may add, as an allow-list: a flag that names a path can read a file.

Accepted, one flag per list item (``-D NAME`` may also come as two items):

=========================================  ====================================
``-DNAME``, ``-DNAME=value``, ``-UNAME``   macros; the value is printable ASCII
                                           without backslashes and passes the
                                           same pre-scan as the source
``-W<warning>``, ``-Wno-...``,             warnings (never ``-Wl,``/``-Wa,``/
``-Werror[=...]``, ``-w``, ``-pedantic``   ``-Wp,``, which pass options on)
``-O0`` ... ``-O3``, ``-Os``, ``-Oz``      optimisation (``-O2`` by default)
``-std=gnu11``, ``gnu17``, ``gnu18``       the GNU C modes the pre-scan's lexer
                                           models (raw strings on, no
                                           trigraphs, no digit separators)
``-gdwarf-4``, ``-gdwarf-5``               DWARF version (``-g`` is always on)
``-f...`` in ``CODEGEN_FLAGS``,            a few harmless code generation and
``-fno-builtin-<name>``,                   diagnostic switches
``-ferror-limit=1..100``,
``-fmacro-backtrace-limit=0..100``
=========================================  ====================================

Everything else is refused, with the reason when the flag is a known danger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Collection, Sequence

from .prescan import scan_source

MAX_FLAGS = 32
MAX_FLAG_LENGTH = 256

MACRO_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
MACRO_VALUE = re.compile(r"[\x20-\x5b\x5d-\x7e]*")  # printable ASCII without the backslash

CODEGEN_FLAGS = frozenset({
    "-fno-builtin", "-fno-inline", "-fno-inline-functions", "-finline-functions",
    "-funroll-loops", "-fno-unroll-loops", "-fvectorize", "-fno-vectorize",
    "-fslp-vectorize", "-fno-slp-vectorize", "-fstrict-aliasing", "-fno-strict-aliasing",
    "-fwrapv", "-fno-wrapv", "-fno-strict-overflow", "-fno-delete-null-pointer-checks",
    "-fjump-tables", "-fno-jump-tables", "-fcommon", "-fno-common",
    "-fsigned-char", "-funsigned-char", "-fno-signed-char", "-fno-unsigned-char",
    "-fshort-enums", "-fno-short-enums", "-fno-zero-initialized-in-bss",
    "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-fno-stack-protector",
    "-fomit-frame-pointer", "-fno-omit-frame-pointer",
    "-fno-eliminate-unused-debug-types", "-fstandalone-debug", "-fno-standalone-debug",
    "-fno-caret-diagnostics", "-fno-spell-checking",
})

ALLOWED = tuple(re.compile(pattern) for pattern in (
    rf"-D{MACRO_NAME}(?:=[\s\S]*)?",
    rf"-U{MACRO_NAME}",
    r"-W(?!(?:l|a|p)(?:,|\Z))(?:no-)?(?:error=|no-error=)?[a-z0-9#][a-z0-9#+_.-]*(?:=[A-Za-z0-9_+-]+)?",
    r"-w|-pedantic|-pedantic-errors",
    r"-O[0-3sz]",
    r"-std=gnu1[178]",
    r"-gdwarf-[45]",
    r"-fno-builtin-[A-Za-z_][A-Za-z0-9_]*",
    r"-ferror-limit=(?:[1-9][0-9]?|100)",
    r"-fmacro-backtrace-limit=(?:[0-9]{1,2}|100)",
))

# Known dangers, first match wins: why the flag is refused.
REASONS = (
    ("@", "it reads more options from a file"),
    ("-I", "it adds an include directory; only the playground's headers can be included"),
    ("-i", "it changes the include path or includes a file"),
    ("--include", "it includes a file"),
    ("--sysroot", "it names a directory"),
    ("-B", "it names a directory of tools"),
    ("-specs", "it reads a specs file"),
    ("--specs", "it reads a specs file"),
    ("-o", "it names the output file, which the playground chooses"),
    ("-M", "it writes a dependency file"),
    ("-X", "it passes options to the compiler's internals, the assembler or the linker"),
    ("-Wl,", "it passes options to the linker"),
    ("-Wa,", "it passes options to the assembler"),
    ("-Wp,", "it passes options to the preprocessor"),
    ("-fplugin", "it loads code into the compiler"),
    ("-fpass-plugin", "it loads code into the compiler"),
    ("-fprofile", "it reads or writes profile files"),
    ("-fmodule", "it reads or writes module files"),
    ("-save-temps", "it writes files"),
    ("-mcpu", "choose the CPU with the mcpu option (v1 to v4)"),
    ("-target", "the target is always bpfel"),
    ("--target", "the target is always bpfel"),
    ("-std", "only the GNU modes -std=gnu11, -std=gnu17 and -std=gnu18 are accepted"),
)
HINT = ("allowed: -D, -U, -W<warning>, -w, -pedantic, -O0..-O3, -Os, -Oz, -std=gnu11/gnu17, "
        "-gdwarf-4/5 and a few -f code generation flags")


@dataclass
class CheckedFlags:
    """The flags as clang gets them (``-D NAME`` joined), and the problems found."""

    flags: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def check_flags(flags: Sequence[str]) -> CheckedFlags:
    """Validate user flags against the allow-list; ``problems`` is empty when all are accepted."""
    checked = CheckedFlags()
    if not isinstance(flags, (list, tuple)) or not all(isinstance(f, str) for f in flags):
        checked.problems.append("flags must be a list of strings")
        return checked
    items = list(flags)
    if len(items) > MAX_FLAGS:
        checked.problems.append(f"at most {MAX_FLAGS} flags are accepted, got {len(items)}")
        return checked
    i = 0
    while i < len(items):
        flag = items[i]
        if flag in ("-D", "-U") and i + 1 < len(items):
            flag += items[i + 1]
            i += 1
        i += 1
        problem = _problem(flag)
        if problem:
            checked.problems.append(problem)
        else:
            checked.flags.append(flag)
    return checked


def _problem(flag: str) -> str | None:
    shown = flag if len(flag) <= 60 else flag[:57] + "..."
    if len(flag) > MAX_FLAG_LENGTH:
        return f"flag '{shown}' is longer than {MAX_FLAG_LENGTH} characters"
    if flag in CODEGEN_FLAGS or any(rule.fullmatch(flag) for rule in ALLOWED):
        return _macro_problem(flag) if flag.startswith("-D") else None
    for prefix, reason in REASONS:
        if flag.startswith(prefix):
            return f"flag '{shown}' is not allowed: {reason}"
    return f"flag '{shown}' is not allowed ({HINT})"


def _macro_problem(flag: str) -> str | None:
    name, _, value = flag[2:].partition("=")
    if not MACRO_VALUE.fullmatch(value):
        return f"the value of macro {name} must be printable ASCII without backslashes"
    refusals = scan_source(value, headers=())
    if refusals:
        return f"the value of macro {name} is refused: {refusals[0].message}"
    return None
