"""C source tokens with clang's token boundaries, so the pre-scan sees the directives clang sees.

A directive is a ``#`` (or the digraph ``%:``) that is the first token of its
line; what can hide one is a comment or a literal that one lexer thinks is open
and another does not. This lexer follows clang's raw lexer for C in the GNU
modes the playground accepts (``-std=gnu11``, ``gnu17``, the default):

- line splices (a backslash, optional horizontal space, then ``\\n``, ``\\r\\n``,
  ``\\n\\r`` or ``\\r``) join lines everywhere except inside raw string literals;
- a ``\\r`` alone ends a line;
- ``//`` and ``/* */`` comments; string and character literals that are not
  closed end at the end of their line;
- raw string literals ``R"delim(...)delim"`` (also ``u8R``, ``uR``, ``UR``,
  ``LR``) are on in GNU C11 and later, may span lines and see no splices; with
  an invalid delimiter clang skips to the next ``"``;
- pp-numbers swallow letters, so ``1R"x"`` is a number then a plain string.

Positions are those clang prints: 1-based lines (``\\r\\n`` is one line end,
``\\n\\r`` two) and 1-based byte columns. Characters outside ASCII, stray
backslashes and control characters are ``OTHER`` tokens: the pre-scan refuses
them outside comments and literals, because there the lexers could disagree.
``tests/test_toolchain_lexer.py`` compares this lexer with
``clang -cc1 -dump-raw-tokens`` on generated sources: the same directives,
comments and literals at the same places.
"""

from __future__ import annotations

import bisect
import enum
import re
from typing import Iterator, NamedTuple


class Kind(enum.Enum):
    IDENTIFIER = "identifier"
    NUMBER = "number"
    STRING = "string"      # plain, prefixed or raw string literal
    CHAR = "char"
    BAD_LITERAL = "bad literal"  # left open (it ends at its line end), '' or a raw one with a bad delimiter
    PLAIN = "plain"        # a whole line of ordinary code, given whole on request (see Lexer.tokens)
    PUNCT = "punct"        # '#' and '##' (digraphs folded), else one character
    COMMENT = "comment"
    NEWLINE = "newline"    # a line end outside comments and literals
    OTHER = "other"        # non-ASCII, control character, stray backslash


class Token(NamedTuple):
    kind: Kind
    text: str      # spelling with splices removed (a raw string as written)
    start: int     # offset in the spliced text
    end: int
    first: bool    # first token of its line: a '#' here starts a directive


# A line without quotes, slashes, backslashes, '#', '%', control or non-ASCII
# characters starts no comment, literal or directive: its tokens change nothing.
PLAIN_LINE = re.compile(r"[^\"'/\\#%\r\n\x00-\x08\x0e-\x1f\x7f-\U0010ffff]+(?=[\r\n]|\Z)")
SPLICE = re.compile(r"\\[ \t\f\v]*(?:\r\n|\n\r|\n|\r)")
LINE_END = re.compile(r"\r\n|\n|\r")
RAW_DELIMITER = re.compile(r"[\x21-\x27\x2a-\x5b\x5d-\x7e]{0,16}")  # printable ASCII but ( ) \

# Each match is optional horizontal space, then one token. The commonest
# tokens come first; an identifier is tried early, so it must not swallow the
# prefix of a literal (u8"", L'', R"(...)").
_TOKEN = re.compile(
    r"""
    [ \t\f\v]*(?:
     (?P<simple>[(){}\[\];,*=+\-&|!<>?:~^@`])
    |(?P<identifier>(?!(?:u8|u|U|L)?R?"|(?:u|U|L)?')[A-Za-z_$][A-Za-z0-9_$]*)
    |(?P<newline>\r\n|\n|\r)
    |(?P<line_comment>//[^\r\n]*)
    |(?P<block_comment>/\*[\s\S]*?(?:\*/|\Z))
    |(?P<raw_string>(?:u8|u|U|L)?R")
    |(?P<string>(?:u8|u|U|L)?"(?:[^"\\\r\n]|\\[^\r\n])*")
    |(?P<char>(?:u|U|L)?'(?:[^'\\\r\n]|\\[^\r\n])+')          # u8'x' is C23: u8, then 'x'
    |(?P<bad_literal>(?:u8|u|U|L)?"(?:[^"\\\r\n]|\\[^\r\n])*\\?|(?:u|U|L)?(?:''|'(?:[^'\\\r\n]|\\[^\r\n])*\\?))
    |(?P<number>\.?[0-9](?:[eEpP][+-]|[0-9A-Za-z_.])*)
    |(?P<punct>%:%:|%:|\#\#|[\x21-\x5b\x5d-\x7e])  # ASCII but the backslash
    |(?P<other>[\s\S])
    |(?P<end>\Z)
    )
    """,
    re.VERBOSE,
)

_KINDS = {
    "simple": Kind.PUNCT,
    "newline": Kind.NEWLINE,
    "line_comment": Kind.COMMENT,
    "block_comment": Kind.COMMENT,
    "string": Kind.STRING,
    "char": Kind.CHAR,
    "bad_literal": Kind.BAD_LITERAL,
    "number": Kind.NUMBER,
    "identifier": Kind.IDENTIFIER,
    "punct": Kind.PUNCT,
    "other": Kind.OTHER,
}
_DIGRAPHS = {"%:": "#", "%:%:": "##"}


class Lexer:
    """Tokens of one source text and the clang positions of their offsets."""

    def __init__(self, source: str):
        self.source = source
        # The spliced text, as segments of the source between splices.
        self._spliced_starts: list[int] = []
        self._source_starts: list[int] = []
        self._splice_starts: list[int] = []   # the splice before each segment but the first
        pieces = []
        spliced = source_pos = 0
        for splice in SPLICE.finditer(source):
            self._add_segment(spliced, source_pos)
            pieces.append(source[source_pos : splice.start()])
            spliced += splice.start() - source_pos
            source_pos = splice.end()
            self._splice_starts.append(splice.start())
        self._add_segment(spliced, source_pos)
        pieces.append(source[source_pos:])
        self.text = "".join(pieces)
        self._line_starts = [0] + [m.end() for m in LINE_END.finditer(source)]

    def _add_segment(self, spliced: int, source_pos: int) -> None:
        self._spliced_starts.append(spliced)
        self._source_starts.append(source_pos)

    def source_offset(self, offset: int) -> int:
        """The source offset of a spliced-text offset."""
        k = bisect.bisect_right(self._spliced_starts, offset) - 1
        return self._source_starts[k] + offset - self._spliced_starts[k]

    def spliced_offset(self, source_offset: int) -> int:
        """The spliced-text offset of a source offset that is not inside a splice."""
        k = bisect.bisect_right(self._source_starts, source_offset) - 1
        return self._spliced_starts[k] + source_offset - self._source_starts[k]

    def line(self, offset: int) -> int:
        """The 1-based line of the character at a spliced-text offset."""
        return bisect.bisect_right(self._line_starts, self.source_offset(offset))

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based (line, byte column) clang prints for a token starting at a spliced-text offset.

        A token whose first character comes right after a splice starts, for
        clang, at the splice's backslash.
        """
        k = max(bisect.bisect_left(self._spliced_starts, offset), 1)
        if k < len(self._spliced_starts) and self._spliced_starts[k] == offset:
            at = self._splice_starts[k - 1]
        else:
            at = self.source_offset(offset)
        line = bisect.bisect_right(self._line_starts, at)
        start = self._line_starts[line - 1]
        return line, len(self.source[start:at].encode("utf-8", "surrogatepass")) + 1

    def tokens(self, plain_unless: re.Pattern | None = None) -> Iterator[Token]:
        """Every token, comments and line ends included, in order.

        With ``plain_unless``, a line of ordinary code (``PLAIN_LINE``) in
        which that pattern finds nothing comes as one ``PLAIN`` token: a
        caller that only looks for a few names need not see its tokens.
        """
        text, match_at, kinds, make = self.text, _TOKEN.match, _KINDS, Token._make
        pos, first = 0, True
        while True:
            if first and plain_unless is not None:
                plain = PLAIN_LINE.match(text, pos)
                if plain and not plain_unless.search(plain.group()) and not plain.group().isspace():
                    yield make((Kind.PLAIN, plain.group(), pos, plain.end(), True))
                    pos, first = plain.end(), False
                    continue
            match = match_at(text, pos)
            group = match.lastgroup
            if group == "end":
                return
            start, end = match.start(group), match.end()
            if group == "raw_string":
                end, closed = self._raw_string_end(end - 1)
                spelling = self.source[self.source_offset(start) : self.source_offset(end)]
                yield make((Kind.STRING if closed else Kind.BAD_LITERAL, spelling, start, end, first))
                pos, first = end, False
                continue
            kind = kinds[group]
            spelling = text[start:end]
            if group == "punct":
                spelling = _DIGRAPHS.get(spelling, spelling)
            yield make((kind, spelling, start, end, first))
            if kind is Kind.NEWLINE:
                first = True
            elif kind is not Kind.COMMENT:
                first = False
            pos = end

    def _raw_string_end(self, quote: int) -> tuple[int, bool]:
        """Where a raw string literal whose opening quote is at ``quote`` ends, and whether it is closed.

        Clang reads the delimiter and body from the source itself, splices
        included; a bad delimiter makes it skip to the next quote instead, and
        an unclosed one runs to the end of the file.
        """
        source = self.source
        after_quote = self.source_offset(quote) + 1
        delimiter = RAW_DELIMITER.match(source, after_quote).group()
        body = after_quote + len(delimiter)
        if source.startswith("(", body):
            closing = ")" + delimiter + '"'
            found = source.find(closing, body + 1)
            end = len(source) if found < 0 else found + len(closing)
            closed = found >= 0
        else:
            found = source.find('"', after_quote)
            end = len(source) if found < 0 else found + 1
            closed = False
        return self.spliced_offset(end), closed
