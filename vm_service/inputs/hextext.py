"""Bytes from hex text as people paste it.

Accepted: Wireshark's "Copy as Hex Stream" (``450000...``), ``xxd -p`` lines,
``aa bb cc``, ``aa:bb:cc``, ``aa-bb-cc``, C-style ``0xaa, 0xbb`` and one
``0x`` before a whole stream. The text is split into groups at whitespace,
``:``, ``-`` and ``,``; each group may start with ``0x`` and must then hold an
even number of hex digits. Dumps with offset or ASCII columns (``xxd``
without ``-p``, Wireshark's "Hex Dump") are not accepted: a column of offsets
would silently become packet bytes.
"""

from __future__ import annotations

import re

from .errors import InputError

MAX_PACKET_BYTES = 65536      # the largest packet any input gives a program (64 KiB)

SEPARATORS = " \t\r\n\f\v:-,"
GROUP = re.compile(rf"[^{re.escape(SEPARATORS)}]+")
HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def parse_hex(text: str, allow_empty: bool = False) -> bytes:
    """The bytes ``text`` spells; InputError naming the position of the first bad character."""
    out = bytearray()
    for group in GROUP.finditer(text):
        start, digits = group.start(), group.group()
        if digits[:2] in ("0x", "0X"):
            start, digits = start + 2, digits[2:]
            if not digits:
                raise InputError("", f"{_where(text, start - 2)}: '0x' without hex digits after it")
        for offset, char in enumerate(digits):
            if char not in HEX_DIGITS:
                raise InputError("", f"{_where(text, start + offset)}: {char!r} is not a hex digit")
        if len(digits) % 2:
            raise InputError("", f"{_where(text, start)}: {digits[:16]!r} has an odd number of hex "
                                 f"digits ({len(digits)}); every byte takes two")
        out += bytes.fromhex(digits)
    if not out and not allow_empty:
        raise InputError("", "no hex digits: expected bytes like '45 00 00 54' or '45000054'")
    return bytes(out)


def packet_from_hex(text: str) -> bytes:
    """A packet from pasted hex: at least one byte, at most MAX_PACKET_BYTES."""
    data = parse_hex(text)
    if len(data) > MAX_PACKET_BYTES:
        raise InputError("", f"the packet is {len(data)} bytes; the playground takes at most "
                             f"{MAX_PACKET_BYTES}")
    return data


def _where(text: str, index: int) -> str:
    """'character 7 (line 2, column 3)', all 1-based, as an editor shows positions."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"character {index + 1} (line {line}, column {column})"
