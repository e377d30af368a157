"""clang's diagnostic text, turned into the project's diagnostic shape, with server paths rewritten.

clang prints ``file:line:col: severity: message`` followed by the quoted line
and a caret, ``In file included from file:line:`` chains, and driver messages
without a place (``clang: warning: unknown warning option ...``). A place in
the user's file becomes ``line``/``column``; a place in one of our headers
keeps a ``file`` key with the name the user includes (``bpf/bpf_helpers.h``);
a message without a place goes to line 1, column 1.

No path of the server may reach the user: the paths clang was given (the
sandbox's ``/include`` and ``/src``, or the real directories without the
sandbox) are rewritten where clang prints a place, and the server's real
directories are replaced wherever they appear (a crash report quotes the
command line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .result import diagnostic

LOCATED = re.compile(
    r"^(?P<file>[^\n]+?):(?P<line>\d+):(?P<column>\d+): "
    r"(?P<severity>fatal error|error|warning|note|remark): (?P<message>[^\n]*)$", re.MULTILINE)
UNLOCATED = re.compile(
    r"^(?:(?P<tool>[\w.+-]+): )?(?P<severity>fatal error|error|warning|note): (?P<message>[^\n]*)$", re.MULTILINE)
DRIVER_NAME = re.compile(r"^zig(?=: (?:error|warning|note): )", re.MULTILINE)  # zig runs clang's driver as "zig"
INCLUDED_FROM = re.compile(r"^(?P<lead>In file included from |\s+from )(?P<file>[^\n]+?)(?P<tail>:\d+[:,])$", re.MULTILINE)
SEVERITY = {"fatal error": "error", "error": "error", "warning": "warning", "note": "note", "remark": "note"}


@dataclass(frozen=True)
class PathNames:
    """How the paths clang prints map to the names the user sees."""

    source_name: str                              # the user's file, as clang was given it: "program.c"
    prefixes: tuple[tuple[str, str], ...]         # (directory as clang sees it + "/", shown instead)
    server_paths: tuple[tuple[str, str], ...]     # (real path on the server, shown instead), anywhere

    def shown_file(self, printed: str) -> str | None:
        """The ``file`` to report for a place clang printed; None for the user's own file."""
        for prefix, shown in self.prefixes:
            if printed.startswith(prefix):
                printed = shown + printed[len(prefix):]
                break
        return None if printed == self.source_name else printed

    def rewrite(self, text: str) -> str:
        """``text`` with server paths replaced, and places named as the user knows them."""
        for path, shown in sorted(self.server_paths, key=lambda pair: -len(pair[0])):
            text = text.replace(path, shown)
        text = DRIVER_NAME.sub("clang", text)
        text = LOCATED.sub(self._renamed, text)
        return INCLUDED_FROM.sub(self._renamed, text)

    def _renamed(self, match: re.Match) -> str:
        shown = self.shown_file(match.group("file"))
        whole = match.group(0)
        start, end = match.start("file") - match.start(0), match.end("file") - match.start(0)
        return whole[:start] + (self.source_name if shown is None else shown) + whole[end:]


def parse_diagnostics(raw: str, names: PathNames) -> list[dict]:
    """The diagnostics in clang's (already rewritten) text, in order."""
    found = []
    for match in LOCATED.finditer(raw):
        found.append((match.start(), diagnostic(
            int(match.group("line")), int(match.group("column")), SEVERITY[match.group("severity")],
            match.group("message"), names.shown_file(match.group("file")))))
    for match in UNLOCATED.finditer(raw):
        found.append((match.start(), diagnostic(1, 1, SEVERITY[match.group("severity")], match.group("message"))))
    found.sort(key=lambda pair: pair[0])
    return [entry for _, entry in found]
