"""Program arrays: BPF_MAP_TYPE_PROG_ARRAY, the jump table of bpf_tail_call.

Slots hold program handles: any Python object the machine can run (a program
index, a Program). ``get(index)`` is what a tail call reads: None for an empty
slot or an index past the end, and the call falls through.

User space stores programs by fd; here ``set(index, handle)`` does that, and
``user_update`` takes either a handle object or a u32 (taken as an integer
handle). Only BPF_ANY is allowed. ``user_lookup`` answers the handle's id (an
int handle itself, or its ``id`` attribute), as the kernel answers a program
id. Programs cannot look a program array up, only tail-call through it.
"""

from __future__ import annotations

from .array import U32, array_next_key, index_of
from .base import BPF_ANY, E2BIG, EINVAL, ENOENT, BpfMap, MapSpec


def handle_id(handle) -> int:
    """The u32 user space sees for a stored program (or inner map)."""
    if isinstance(handle, int):
        return handle & 0xFFFF_FFFF
    return int(getattr(handle, "id", 0)) & 0xFFFF_FFFF


class ProgArray(BpfMap):
    def __init__(self, spec: MapSpec, ncpus: int = 2, id: int = 0):
        super().__init__(spec, ncpus, id)
        self.slots: dict[int, object] = {}

    def get(self, index: int):
        """The program a tail call through slot ``index`` would run, or None."""
        return self.slots.get(index)

    def set(self, index: int, handle) -> int:
        if index >= self.max_entries:
            return -E2BIG
        self.slots[index] = handle
        return 0

    def clear(self, index: int) -> int:
        if index >= self.max_entries:
            return -E2BIG
        return 0 if self.slots.pop(index, None) is not None else -ENOENT

    # -- syscall side ---------------------------------------------------------------

    def _user_lookup(self, key: bytes) -> bytes | None:
        handle = self.slots.get(index_of(key))
        return None if handle is None else U32.pack(handle_id(handle))

    def _user_update(self, key: bytes, value, flags: int) -> int:
        if flags != BPF_ANY:
            return -EINVAL
        handle = int.from_bytes(value, "little") if isinstance(value, (bytes, bytearray)) else value
        return self.set(index_of(key), handle)

    def _user_delete(self, key: bytes) -> int:
        return self.clear(index_of(key))

    def _get_next_key(self, key: bytes | None) -> bytes | None:
        return array_next_key(key, self.max_entries)

    def items(self) -> list[tuple[bytes, bytes]]:
        self._check_readable()
        return [(U32.pack(i), U32.pack(handle_id(h))) for i, h in sorted(self.slots.items())]
