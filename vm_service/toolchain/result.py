"""What a compile answers: the object, structured diagnostics and how it ran; and the stage's errors.

Every diagnostic in the project has one shape (the editor gutter has one
renderer)::

    {"line": 3, "column": 5, "severity": "error", "message": "..."}

with 1-based line and byte column in the user's source file, severity one of
``error``, ``warning``, ``note``, and a ``"file"`` key only when the place is
elsewhere: one of the playground's headers by the name the user includes
(``"bpf/bpf_helpers.h"``), or clang's ``<inline asm>``, ``<built-in>``,
``<command line>``. A problem with the whole request (a refused flag, a
source too large, a limit hit) is an error at line 1, column 1.

Problems of a request are results with ``ok=False``, never exceptions: the
caller renders them like compile errors. ``CompileError`` is raised only for
problems of the server itself (no clang, no include directory).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from ..errors import VmError

SEVERITIES = ("error", "warning", "note")


class CompileError(VmError):
    """The compile stage cannot run at all on this server (missing toolchain or headers)."""


class ToolchainError(CompileError):
    """The clang to compile with is missing or does not work."""


def diagnostic(line: int, column: int, severity: str, message: str, file: str | None = None) -> dict:
    """One diagnostic in the project's shape."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, not {severity!r}")
    entry = {"line": line, "column": column, "severity": severity, "message": message}
    if file is not None:
        entry["file"] = file
    return entry


@dataclass(frozen=True)
class CompileResult:
    """The outcome of one compile; plain data, JSON-ready through ``to_dict``.

    ``object`` is the ELF object when ``ok``; ``raw`` is clang's own text with
    server paths rewritten; ``toolchain`` names clang and its version;
    ``isolation`` is ``"bubblewrap"`` when clang ran in the sandbox, ``"none"``
    otherwise (the pre-scan and the resource limits still applied); ``cached``
    says the answer came from the cache; ``seconds`` is this call's wall time.
    """

    ok: bool
    object: bytes | None
    diagnostics: list[dict] = field(default_factory=list)
    raw: str = ""
    toolchain: str = ""
    isolation: str = "none"
    cached: bool = False
    seconds: float = 0.0

    def to_dict(self, *, with_object: bool = True) -> dict:
        """JSON-serialisable: the object as lowercase hex (omitted when absent or not asked for)."""
        data = asdict(self)
        data.pop("object")
        if with_object and self.object is not None:
            data["object"] = self.object.hex()
        return data

    def again(self, *, cached: bool, seconds: float) -> "CompileResult":
        """The same answer, served again (from the cache) in ``seconds``."""
        return replace(self, cached=cached, seconds=seconds)


def refused(message_or_diagnostics: str | list[dict], *, filename: str, toolchain: str, isolation: str,
            seconds: float) -> CompileResult:
    """A result for a request that never reached clang; ``raw`` says the same in clang's style."""
    if isinstance(message_or_diagnostics, str):
        diagnostics = [diagnostic(1, 1, "error", message_or_diagnostics)]
    else:
        diagnostics = message_or_diagnostics
    raw = "".join(f"{d.get('file', filename)}:{d['line']}:{d['column']}: {d['severity']}: {d['message']}\n"
                  for d in diagnostics)
    return CompileResult(False, None, diagnostics, raw, toolchain, isolation, False, seconds)
