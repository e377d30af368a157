"""bpf_strncmp(s1, s1_sz, s2): the kernel's strncmp over s1's first s1_sz bytes.

s2 is a constant string (checked NUL-terminated before the call). The kernel's
generic strncmp compares unsigned bytes and returns -1, 0 or 1; it stops at the
first NUL or after s1_sz bytes, so s1 needs no NUL of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..machine import Machine


def strncmp(a: bytes, b: bytes, count: int) -> int:
    for i in range(count):
        x = a[i] if i < len(a) else 0
        y = b[i] if i < len(b) else 0
        if x != y:
            return -1 if x < y else 1
        if x == 0:
            return 0
    return 0


def bpf_strncmp(m: "Machine", s1: int, s1_sz: int, s2: int, *_args: int) -> int:
    first = m.memory.read_bytes(s1, s1_sz)
    region, offset = m.memory.find(s2, 1, "read")
    second = bytes(region.data[offset:region.data.index(0, offset) + 1])
    return strncmp(first, second, s1_sz)
