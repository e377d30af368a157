"""The pre-scan's lexer against clang's own raw lexer: same directives, comments and literals, same places."""

from __future__ import annotations

import re
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vm_service.toolchain.lexer import Kind, Lexer
from vm_service.toolchain.toolchain import find_toolchain

# Pieces that move token boundaries: splices in every spelling, all line ends,
# quotes, comment marks, raw string prefixes and delimiters, digraphs.
FRAGMENTS = [
    "#", "%:", "%:%:", "include", "define", " ", "\f", "\v", "\n", "\r", "\r\n", "\n\r",
    "\\\n", "\\ \n", "\\\r\n", "\\\n\r", "\\\f\r", '"', "'", "''", "/*", "*/", "//", "/", "*",
    'R"', 'u8R"', 'LR"', 'uR"', "x(", ')x"', "(", ")", ')"', "R", "u", "L", "u8", "1", ".5", "e+", "0x1p-",
    "\\", "a", "<", ">", '"x"', "'x'", "'\\''", '"\\""', "??/", "$", 'R"x(', ")x", '"y', 'R"(', ')"',
]

LOCATION = re.compile(r"\tLoc=<[^>\n]*:(\d+):(\d+)>\n")


def clang_tokens(path) -> list[tuple[str, str, bool, int, int]]:
    """(kind, spelling, start of line, line, column) of each token ``clang -cc1 -dump-raw-tokens`` prints."""
    toolchain = find_toolchain()
    argv = [str(toolchain.executable), *toolchain.arguments, "-cc1", "-triple", "bpfel", "-std=gnu17",
            "-dump-raw-tokens", str(path)]
    out = subprocess.run(argv, capture_output=True, timeout=60).stderr.decode("utf-8", "replace")
    parts = LOCATION.split(out)
    tokens = []
    for i in range(0, len(parts) - 1, 3):
        chunk, line, column = parts[i], int(parts[i + 1]), int(parts[i + 2])
        kind = chunk.split(" ", 1)[0]
        spelling = chunk[len(kind) + 2 : chunk.index("'\t")]
        tokens.append((kind, spelling, "[StartOfLine]" in chunk, line, column))
    return tokens


def clang_view(path):
    """Directive starts, comments and well-formed literals, as clang lexes them.

    In this dump the start-of-line flag sits on leading whitespace and
    comment tokens; a directive's ``#`` inherits it, as in real preprocessing.
    """
    directives, comments, literals = [], [], []
    carried = False
    for kind, spelling, first, line, column in clang_tokens(path):
        blank = kind == "unknown" and spelling.strip(" \n\r\f\v") == ""
        if kind == "comment" or (kind == "unknown" and spelling.startswith("/*")):
            comments.append((line, column))
        if blank or kind == "comment":
            carried = carried or first
            continue
        if kind == "hash" and (first or carried):
            directives.append((line, column))
        if kind.endswith(("string_literal", "char_constant")):
            literals.append((line, column))
        carried = False
    return directives, comments, literals


def lexer_view(source: str):
    lexer = Lexer(source)
    tokens = list(lexer.tokens())
    directives = [lexer.position(t.start) for t in tokens if t.kind is Kind.PUNCT and t.text == "#" and t.first]
    comments = [lexer.position(t.start) for t in tokens if t.kind is Kind.COMMENT]
    literals = [lexer.position(t.start) for t in tokens if t.kind in (Kind.STRING, Kind.CHAR)]
    return directives, comments, literals


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=30).map("".join))
def test_it_finds_the_directives_comments_and_literals_clang_finds(tmp_path, source):
    path = tmp_path / "t.c"
    path.write_bytes(source.encode())
    assert lexer_view(source) == clang_view(path)


@pytest.mark.parametrize("source, directives", [
    ("#include <x.h>\n", [(1, 1)]),
    ("  %: include <x.h>\n", [(1, 3)]),
    ("/* a\n b */ #define X\n", [(2, 7)]),           # a comment at line start keeps the line start
    ("int a; /*\n*/ #define X\n", []),               # a newline inside a comment does not start a line
    ("int y; \r#define X\n", [(2, 1)]),              # a lone \r ends a line
    ('const char *s = R"x(\n#define X\n)x";\n', []),  # raw strings span lines
    ('x = 1R"x(";\n#define X\n', [(2, 1)]),          # 1R is a number, then a plain string
    ("#def\\\nine X\n", [(1, 1)]),
])
def test_it_finds_directives_where_clang_does(source, directives):
    assert lexer_view(source)[0] == directives


def test_a_token_right_after_a_splice_starts_at_the_backslash_as_in_clang():
    lexer = Lexer('"x"\\\n// note\n')
    comment = next(t for t in lexer.tokens() if t.kind is Kind.COMMENT)
    assert lexer.position(comment.start) == (1, 4)


def test_columns_count_bytes_as_clang_does():
    lexer = Lexer('"é" #\n')
    hash_token = next(t for t in lexer.tokens() if t.text == "#")
    assert lexer.position(hash_token.start) == (1, 6)


def test_a_raw_string_with_a_bad_delimiter_runs_to_the_next_quote():
    tokens = list(Lexer('R"a b(x)a b" y').tokens())
    assert (tokens[0].kind, tokens[0].text) == (Kind.BAD_LITERAL, 'R"a b(x)a b"')
    assert tokens[1].text == "y"
