"""Bob Jenkins' lookup3 hash (public domain), the hash the kernel's hash maps use.

Written from the published algorithm: three 32-bit lanes seeded with
``0xdeadbeef + length + seed``, twelve bytes mixed per round (little-endian
words), the tail zero-padded into the lanes, then a final avalanche; the
result is lane ``c``. A key of zero bytes hashes to the seeded start value.

Word-aligned keys (the kernel calls ``jhash2`` on u32 words then) give the
same result as the byte-wise form, so one function serves both. With
BPF_F_ZERO_SEED the kernel's seed is 0, which makes a hash map's bucket
order, and so its iteration order, reproducible here.
"""

from __future__ import annotations

MASK = 0xFFFF_FFFF
GOLDEN = 0xDEADBEEF


def _rol(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & MASK


def _mix(a: int, b: int, c: int) -> tuple[int, int, int]:
    a = ((a - c) & MASK) ^ _rol(c, 4)
    c = (c + b) & MASK
    b = ((b - a) & MASK) ^ _rol(a, 6)
    a = (a + c) & MASK
    c = ((c - b) & MASK) ^ _rol(b, 8)
    b = (b + a) & MASK
    a = ((a - c) & MASK) ^ _rol(c, 16)
    c = (c + b) & MASK
    b = ((b - a) & MASK) ^ _rol(a, 19)
    a = (a + c) & MASK
    c = ((c - b) & MASK) ^ _rol(b, 4)
    b = (b + a) & MASK
    return a, b, c


def _final(a: int, b: int, c: int) -> int:
    c = ((c ^ b) - _rol(b, 14)) & MASK
    a = ((a ^ c) - _rol(c, 11)) & MASK
    b = ((b ^ a) - _rol(a, 25)) & MASK
    c = ((c ^ b) - _rol(b, 16)) & MASK
    a = ((a ^ c) - _rol(c, 4)) & MASK
    b = ((b ^ a) - _rol(a, 14)) & MASK
    c = ((c ^ b) - _rol(b, 24)) & MASK
    return c


def jhash(key: bytes, seed: int = 0) -> int:
    """The 32-bit lookup3 hash of ``key``."""
    length = len(key)
    a = b = c = (GOLDEN + length + seed) & MASK
    pos = 0
    while length - pos > 12:
        a = (a + int.from_bytes(key[pos:pos + 4], "little")) & MASK
        b = (b + int.from_bytes(key[pos + 4:pos + 8], "little")) & MASK
        c = (c + int.from_bytes(key[pos + 8:pos + 12], "little")) & MASK
        a, b, c = _mix(a, b, c)
        pos += 12
    if pos == length:
        return c
    tail = key[pos:].ljust(12, b"\0")
    a = (a + int.from_bytes(tail[0:4], "little")) & MASK
    b = (b + int.from_bytes(tail[4:8], "little")) & MASK
    c = (c + int.from_bytes(tail[8:12], "little")) & MASK
    return _final(a, b, c)
