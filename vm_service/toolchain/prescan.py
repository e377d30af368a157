"""The first layer of the compile sandbox: refuse sources that reach for files, before clang runs.

Clang quotes the lines of any file it includes in its diagnostics, so a
refused include must be refused before clang sees the source. This scan works
on clang's own token boundaries (``lexer.py``) and refuses:

- ``#include``, ``#include_next`` and ``#import`` unless they name, literally,
  a header of the playground's include directory (no absolute paths, no
  ``..``, no macro-built names); ``#embed`` and ``__has_embed`` always;
- ``__has_include`` with anything but a literal, relative header name (so it
  cannot probe the server's files), unless it is only tested with ``defined``;
- pragmas that name files or drive clang's internals (``GCC dependency``,
  ``include_alias``, ``clang module``, ``clang __debug``...), written as
  ``#pragma`` or as ``_Pragma("...")`` with a literal;
- assembler directives that read files or build other directives
  (``.incbin``, ``.include``, ``.macro``, ``.irp``, ``.rept``...) in string
  literals, and the tokens that would spell them through ``#x`` stringising;
- what would let clang and this scan see the source differently: characters
  outside ASCII or stray backslashes outside comments and literals, control
  characters, version-control conflict markers (clang skips text after them
  unread), a ``<`` on a directive line whose ``<...>`` could be read as a header
  name holding a comment or quote, and comments or literals that run past the
  end of an ``#error``/``#warning`` line (clang reads those lines raw).

Names built by macros (token pasting, ``_Pragma`` of a macro) cannot all be
seen without preprocessing: the process sandbox is the layer that stops them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Collection

from .lexer import Kind, Lexer, Token

INCLUDE_DIRECTIVES = frozenset({"include", "include_next", "import"})
HAS_INCLUDE = frozenset({"__has_include", "__has_include_next"})
DEFINE_DIRECTIVES = frozenset({"define", "undef"})
NAME_TEST_DIRECTIVES = frozenset({"ifdef", "ifndef", "elifdef", "elifndef"})
RAW_LINE_DIRECTIVES = frozenset({"error", "warning"})  # clang reads the rest of the line as raw text

# Pragmas (the first name, or the second after a GCC/clang namespace) that name
# files, change how headers are found, or run clang's debugging hooks.
FORBIDDEN_PRAGMAS = frozenset({
    "dependency", "include_alias", "include_instead", "module", "__debug", "comment",
})
PRAGMA_NAMESPACES = frozenset({"GCC", "clang"})

# Assembler directives that read files, or build other directives from pieces.
ASM_DIRECTIVES = frozenset({"incbin", "include", "macro", "irp", "irpc", "rept", "altmacro"})
ASM_DIRECTIVE_TEXT = re.compile(r"\.(" + "|".join(sorted(ASM_DIRECTIVES)) + r")\b", re.IGNORECASE)

# A header name as the playground accepts it: relative, no empty, '.' or '..'
# parts, nothing that reads differently as a header name and as tokens.
SAFE_HEADER_NAME = re.compile(r"[A-Za-z0-9_+-][A-Za-z0-9_.+-]*(?:/[A-Za-z0-9_+-][A-Za-z0-9_.+-]*)*")
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
CONFLICT_MARKER = re.compile(r"(?:\A|(?<=[\r\n]))(?:<<<<<<<|=======|\|\|\|\|\|\|\||>>>>)")
ANGLED_TROUBLE = ("/*", "//", '"', "'", "\\")
# What the token checks look for outside directives; lines without any come whole (Kind.PLAIN).
INTERESTING = re.compile(r"__has_|_Pragma|(?i:incbin)|\.[ \t\f\v]*(?i:" + "|".join(sorted(ASM_DIRECTIVES)) + ")")
MAX_REFUSALS = 20


@dataclass(frozen=True)
class Refusal:
    """Why the source is refused, at the 1-based line and byte column clang would use."""

    line: int
    column: int
    message: str


def scan_source(source: str, headers: Collection[str]) -> list[Refusal]:
    """Every reason to refuse ``source`` (empty: clang may see it); ``headers`` are the includable names."""
    return _Scan(source, headers).run()


class _Scan:
    def __init__(self, source: str, headers: Collection[str]):
        self.source = source
        self.headers = headers
        self.lexer = Lexer(source)
        self.refusals: list[Refusal] = []
        self.strings: list[Token] = []   # adjacent string literals so far: one string once compiled

    def run(self) -> list[Refusal]:
        self._scan_characters()
        for line, end in self._lines():
            self._scan_line(line, end)
        self._scan_strings(self.strings)
        self.refusals.sort(key=lambda r: (r.line, r.column))
        return self.refusals[:MAX_REFUSALS]

    def refuse(self, offset: int, message: str) -> None:
        line, column = self.lexer.position(offset)
        self.refusals.append(Refusal(line, column, message))

    def refuse_at_source(self, source_offset: int, message: str) -> None:
        self.refuse(self.lexer.spliced_offset(source_offset), message)

    def _scan_characters(self) -> None:
        """Control characters anywhere, and conflict markers at line starts."""
        for match in CONTROL_CHARACTER.finditer(self.source):
            self.refuse_at_source(match.start(), f"control character U+{ord(match.group()):04X} is not allowed")
        for match in CONFLICT_MARKER.finditer(self.source):
            self.refuse_at_source(match.start(), "version-control conflict marker: resolve the conflict first")

    def _lines(self):
        """Each line's tokens (comments included) and the spliced offset where the line ends."""
        line: list[Token] = []
        for token in self.lexer.tokens(plain_unless=INTERESTING):
            if token.kind is Kind.NEWLINE:
                yield line, token.start
                line = []
            else:
                line.append(token)
        yield line, len(self.lexer.text)

    def _scan_line(self, line: list[Token], end: int) -> None:
        code = [t for t in line if t.kind is not Kind.COMMENT]
        directive = None
        if code and code[0].first and code[0].kind is Kind.PUNCT and code[0].text == "#":
            directive = code[1].text if len(code) > 1 and code[1].kind is Kind.IDENTIFIER else ""
            self._scan_directive(directive, line, code, end)
        self._scan_tokens(code, directive, end)

    # Directives

    def _scan_directive(self, name: str, line: list[Token], code: list[Token], end: int) -> None:
        if name in INCLUDE_DIRECTIVES:
            self._scan_include(name, code, end)
        elif name == "embed":
            self.refuse(code[1].start, "#embed is not available in the playground")
        elif name == "pragma":
            self._scan_pragma(code[2:], code[1].start)
        if name in RAW_LINE_DIRECTIVES:
            for token in line:
                if self.lexer.line(token.end - 1) != self.lexer.line(token.start):
                    self.refuse(token.start, f"a comment or literal that continues past the end of an #{name} line")
        if name not in DEFINE_DIRECTIVES:
            for token in code:
                if token.kind is Kind.PUNCT and token.text == "<":
                    span = self._angled_span(token, end)
                    if span is not None and any(mark in span for mark in ANGLED_TROUBLE):
                        self.refuse(token.start, f"'<{span}>' on a directive line cannot hold comments, quotes or backslashes")

    def _scan_include(self, name: str, code: list[Token], end: int) -> None:
        if len(code) < 3:
            self.refuse(code[1].start, f"#{name} needs a header name")
            return
        operand = code[2]
        header = self._header_name(operand, end)
        if header is None:
            self.refuse(operand.start, f"#{name} must name a header literally, as <name.h> or \"name.h\"; a macro cannot name it")
        elif not SAFE_HEADER_NAME.fullmatch(header) or header not in self.headers:
            self.refuse(operand.start, f"'{header}' is not one of the playground's headers (for example <bpf/bpf_helpers.h>)")

    def _header_name(self, token: Token, end: int) -> str | None:
        """The name in a header-name token (``"x.h"`` or ``<x.h>``), or None if it is not one."""
        if token.kind is Kind.STRING and token.text.startswith('"'):
            return token.text[1:-1]
        if token.kind is Kind.PUNCT and token.text == "<":
            return self._angled_span(token, end)
        return None

    def _angled_span(self, less: Token, end: int) -> str | None:
        """What clang would read as a ``<...>`` header name from this ``<`` (same line), or None."""
        close = self.lexer.text.find(">", less.end, end)
        return None if close < 0 else self.lexer.text[less.end : close]

    def _scan_pragma(self, tokens: list[Token], where: int) -> None:
        names = [t.text for t in tokens[:2] if t.kind is Kind.IDENTIFIER]
        if names and names[0] in PRAGMA_NAMESPACES:
            names = names[1:]
        if names and names[0] in FORBIDDEN_PRAGMAS:
            self.refuse(where, f"'#pragma {' '.join(t.text for t in tokens[:2])}' is not allowed in the playground")

    # Tokens anywhere

    def _scan_tokens(self, code: list[Token], directive: str | None, end: int) -> None:
        """Checks on every token. String literals stay adjacent across line ends and
        directive lines (which vanish before compiling), so they are gathered across them."""
        pending = [] if directive is not None else self.strings
        for i, token in enumerate(code):
            if token.kind is Kind.STRING:
                pending.append(token)
                continue
            self._scan_strings(pending)
            pending.clear()
            if token.kind is Kind.OTHER and not CONTROL_CHARACTER.match(token.text):
                self.refuse(token.start, _other_message(token.text))
            elif token.kind is Kind.IDENTIFIER:
                self._scan_identifier(code, i, directive, end)
            elif token.kind is Kind.PUNCT and token.text == "." and i + 1 < len(code):
                following = code[i + 1]
                if following.kind is Kind.IDENTIFIER and following.text.lower() in ASM_DIRECTIVES:
                    self.refuse(token.start, f"'.{following.text}' is not allowed: the assembler directive reads files")
        if directive is not None:
            self._scan_strings(pending)

    def _scan_identifier(self, code: list[Token], i: int, directive: str | None, end: int) -> None:
        token = code[i]
        name = token.text
        if name == "__has_embed":
            self.refuse(token.start, "__has_embed is not available in the playground")
        elif name in HAS_INCLUDE:
            if directive in NAME_TEST_DIRECTIVES or _after_defined(code, i):
                return
            if not self._literal_has_include(code, i, end):
                self.refuse(token.start, f"{name} needs a literal, relative header name: {name}(<name.h>)")
        elif name == "_Pragma":
            if i + 2 < len(code) and code[i + 1].text == "(" and code[i + 2].kind is Kind.STRING:
                pragma = Lexer(_decode_string(code[i + 2].text)).tokens()
                self._scan_pragma([t for t in pragma if t.kind is not Kind.COMMENT], token.start)
        elif name.lower() == "incbin" and (i == 0 or code[i - 1].text != "."):
            self.refuse(token.start, "'incbin' is not allowed: the assembler directive reads files")

    def _literal_has_include(self, code: list[Token], i: int, end: int) -> bool:
        """``__has_include ( header-name )`` with a safe, literal name."""
        if i + 2 >= len(code) or code[i + 1].text != "(":
            return False
        operand = code[i + 2]
        header = self._header_name(operand, end)
        if header is None or not SAFE_HEADER_NAME.fullmatch(header):
            return False
        after = operand.end + len(header) + 1 if operand.text == "<" else operand.end
        following = [t for t in code[i + 3 :] if t.start >= after]
        return bool(following) and following[0].text == ")"

    def _scan_strings(self, strings: list[Token]) -> None:
        """Adjacent string literals are one string to the assembler."""
        if not strings:
            return
        text = "".join(_decode_string(t.text) for t in strings)
        found = ASM_DIRECTIVE_TEXT.search(text)
        if found:
            self.refuse(strings[0].start, f"assembler directive '{found.group()}' is not allowed: it reads files")


def _after_defined(code: list[Token], i: int) -> bool:
    before = [t.text for t in code[max(0, i - 2) : i]]
    return before[-1:] == ["defined"] or before == ["defined", "("]


def _other_message(text: str) -> str:
    if text == "\\":
        return "stray '\\' (universal character names are not supported outside literals)"
    return f"character U+{ord(text):04X} is only allowed in comments and literals"


_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]+|[0-7]{1,3}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[\s\S])")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "e": "\x1b"}
_RAW_STRING = re.compile(r'(?:u8|u|U|L)?R"([^(]*)\(([\s\S]*)\)\1"\Z')
_PLAIN_STRING = re.compile(r'(?:u8|u|U|L)?"([\s\S]*)"\Z')


def _decode_string(spelling: str) -> str:
    """The characters a string literal stands for (close enough to find directive names)."""
    raw = _RAW_STRING.match(spelling)
    if raw:
        return raw.group(2)
    plain = _PLAIN_STRING.match(spelling)
    body = plain.group(1) if plain else spelling
    return _ESCAPE.sub(_unescape, body)


def _unescape(match: re.Match) -> str:
    escape = match.group(1)
    if escape[0] in "xuU":
        return chr(min(int(escape[1:], 16), 0x10FFFF)) if escape[0] != "x" else chr(int(escape[1:], 16) & 0xFF)
    if escape[0] in "01234567":
        return chr(int(escape, 8) & 0xFF)
    return _SIMPLE_ESCAPES.get(escape, escape)
