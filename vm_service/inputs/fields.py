"""Checks for values decoded from JSON: each returns the value it promises or raises InputError.

The JSON formats and the packet builder spec share these, so every field of
every input is validated, and named, the same way. ``path`` is the JSON path
of the value being checked (``events[2].task``); ``child``/``item`` extend it.

Integers may be given as JSON numbers or as strings, decimal or ``0x`` hex
(JavaScript loses precision above 2**53, so 64-bit values are often written
``"0xffff888100000000"``). Booleans and floats are never integers.
"""

from __future__ import annotations

import re
from typing import Any, Callable, TypeVar

from .errors import InputError
from .hextext import parse_hex

T = TypeVar("T")

U8_MAX = (1 << 8) - 1
U16_MAX = (1 << 16) - 1
U32_MAX = (1 << 32) - 1
U64_MAX = (1 << 64) - 1
S64_MIN = -(1 << 63)


def child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def item(path: str, index: int) -> str:
    return f"{path}[{index}]"


# Python type of a decoded JSON value -> its JSON name; bool before int, which it subclasses.
JSON_TYPES = ((type(None), "null"), (bool, "a boolean"), ((int, float), "a number"),
              (str, "a string"), (list, "an array"), (dict, "an object"))


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    return next((name for types, name in JSON_TYPES if isinstance(value, types)),
                type(value).__name__)


def require_object(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise InputError(path, f"expected an object, got {json_type(value)}")
    return value


def require_list(value: Any, path: str, limit: int | None = None) -> list:
    if not isinstance(value, list):
        raise InputError(path, f"expected an array, got {json_type(value)}")
    if limit is not None and len(value) > limit:
        raise InputError(path, f"{len(value)} items; at most {limit} are allowed")
    return value


def string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise InputError(path, f"expected a string, got {json_type(value)}")
    return value


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(path, f"expected true or false, got {json_type(value)}")
    return value


def integer(value: Any, path: str, low: int = 0, high: int = U64_MAX) -> int:
    """An integer in [low, high]: a JSON number, or a decimal or 0x-hex string."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InputError(path, f"expected an integer, got {json_type(value)}")
    number = value if isinstance(value, int) else _integer_text(value, path)
    if not low <= number <= high:
        raise InputError(path, f"{number} is out of range: expected {_range(low, high)}")
    return number


def u64(value: Any, path: str) -> int:
    """A 64-bit value; negative numbers are taken as two's complement (-1 is 0xffff...ffff)."""
    return integer(value, path, S64_MIN, U64_MAX) & U64_MAX


def hex_bytes(value: Any, path: str, allow_empty: bool = False) -> bytes:
    """Bytes written as hex text (see ``hextext.parse_hex`` for what is accepted)."""
    text = string(value, path)
    try:
        return parse_hex(text, allow_empty=allow_empty)
    except InputError as error:
        raise InputError(path, error.problem) from None


def optional(obj: dict, key: str, path: str, check: Callable[[Any, str], T], default: T) -> T:
    """``check(obj[key])`` if the key is present (and not null), else ``default``."""
    value = obj.get(key)
    if value is None:
        return default
    return check(value, child(path, key))


INTEGER_TEXT = re.compile(r"-?(?:0[xX](?P<hex>[0-9a-fA-F]+)|(?P<dec>[0-9]+))")


MAX_INTEGER_TEXT = 80      # far more than any 64-bit value takes, leading zeros included


def _integer_text(text: str, path: str) -> int:
    if len(text) > MAX_INTEGER_TEXT:
        raise InputError(path, f"expected an integer, got a string of {len(text)} characters, "
                               f"far longer than any 64-bit value")
    match = INTEGER_TEXT.fullmatch(text)
    if match is None:
        raise InputError(path, f"expected an integer, got the string {text[:40]!r} "
                               f"(write decimal digits, or 0x and hex digits)")
    number = int(match["hex"], 16) if match["hex"] else int(match["dec"], 10)
    return -number if text.startswith("-") else number


def _range(low: int, high: int) -> str:
    def show(n: int) -> str:
        return f"-0x{-n:x}" if n < -0xFFFF else f"0x{n:x}" if n > 0xFFFF else str(n)
    return f"an integer from {show(low)} to {show(high)}"
