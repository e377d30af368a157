"""Reading one of the playground's JSON files, with errors that name the file, line and path."""

from __future__ import annotations

import json
from typing import Any, Callable, TypeVar

from ..inputs.errors import InputError

T = TypeVar("T")


class FormatError(InputError):
    """A JSON input file the playground cannot use.

    ``kind`` is the file kind ("MAPS.json"); ``path`` the JSON path of the bad
    value (``maps[1].key_size``), or "line L, column C" for a syntax error,
    whose ``line`` and ``column`` (1-based) are then set too.
    """

    def __init__(self, kind: str, path: str, problem: str, line: int | None = None,
                 column: int | None = None):
        super().__init__(path, problem)
        self.kind = kind
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"{self.kind}: {super().__str__()}"


def load_json(text: str | bytes, kind: str) -> Any:
    """The decoded JSON value; FormatError for text that is not JSON (with its line and column)."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise FormatError(kind, "", f"not UTF-8 text: byte {error.start} is "
                                        f"0x{text[error.start]:02x}") from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise FormatError(kind, f"line {error.lineno}, column {error.colno}",
                          f"invalid JSON: {error.msg}", error.lineno, error.colno) from None
    except ValueError as error:   # a number too long for int(), or NaN/Infinity
        raise FormatError(kind, "", f"invalid JSON: {error}") from None
    except RecursionError:
        raise FormatError(kind, "", "invalid JSON: nested too deeply") from None


def parse_file(text: str | bytes, kind: str, from_json: Callable[[Any], T]) -> T:
    """``from_json(load_json(text))``, its InputErrors re-raised as this file kind's FormatError."""
    value = load_json(text, kind)
    try:
        return from_json(value)
    except FormatError:
        raise
    except InputError as error:
        raise FormatError(kind, error.path, error.problem) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
