"""Queues and stacks: BPF_MAP_TYPE_QUEUE (FIFO) and BPF_MAP_TYPE_STACK (LIFO).

Keyless (key_size must be 0). Programs use ``push``/``pop``/``peek``
(bpf_map_push_elem and friends); user space uses update with a NULL key to
push, lookup to peek and lookup-and-delete to pop. Lookup, update and delete
from programs, delete from user space and get_next_key are all EINVAL.

Pushing onto a full map is -E2BIG, unless the flags are BPF_EXIST: then the
*oldest* element is dropped to make room, for a stack too (the kernel advances
the ring's tail, which is a stack's bottom). Any other flag is -EINVAL.

Popping an empty map is -ENOENT, and the kernel zero-fills the destination
buffer before it says so; the helper that calls ``pop``/``peek`` must do that
zeroing itself. Values are copied in and out, so no storage is shared.
"""

from __future__ import annotations

from .base import (ACCESS_MASK, BPF_EXIST, BPF_NOEXIST, E2BIG, EINVAL, ENOENT, KMALLOC_MAX_SIZE,
                   BpfMap, MapError, MapFlag, MapSnapshot, MapSpec, MapType, Record, access_ok,
                   require_memory)

QUEUE_FLAGS = int(MapFlag.NUMA_NODE | ACCESS_MASK)


def check_queue_spec(spec: MapSpec) -> None:
    """``queue_stack_map_alloc_check``."""
    flags = spec.map_flags
    if spec.max_entries == 0 or spec.value_size == 0:
        raise MapError(EINVAL, "queues and stacks need value_size and max_entries of at least 1")
    if spec.key_size != 0:
        raise MapError(EINVAL, f"queues and stacks have no keys: key_size must be 0, "
                               f"not {spec.key_size}")
    if flags & ~QUEUE_FLAGS or not access_ok(flags):
        raise MapError(EINVAL, f"map_flags 0x{flags:x} are not valid for "
                               f"{spec.type.name.lower()} maps")
    if spec.value_size > KMALLOC_MAX_SIZE:
        raise MapError(E2BIG, f"value_size is at most {KMALLOC_MAX_SIZE}")


class QueueMap(BpfMap):
    """Both types; ``lifo`` says which end ``pop`` takes from."""

    def __init__(self, spec: MapSpec, ncpus: int = 2, id: int = 0):
        super().__init__(spec, ncpus, id)
        require_memory(spec, (spec.max_entries + 1) * spec.value_size)
        self.lifo = spec.type is MapType.STACK
        self.values: list[bytes] = []    # oldest first
        self.serials: list[int] = []     # each element's push number, for snapshots
        self.pushed = 0

    # -- program side ---------------------------------------------------------------

    def push(self, value: bytes, flags: int = 0) -> int:
        value = self._value(value)
        if flags & BPF_NOEXIST or flags > BPF_EXIST:
            return -EINVAL
        if len(self.values) == self.max_entries:
            if not flags & BPF_EXIST:
                return -E2BIG
            del self.values[0], self.serials[0]
        self.pushed += 1
        self.values.append(value)
        self.serials.append(self.pushed)
        return 0

    def pop(self) -> bytes | int:
        """The next value (a queue's oldest, a stack's newest), or -ENOENT."""
        if not self.values:
            return -ENOENT
        index = -1 if self.lifo else 0
        del self.serials[index]
        return self.values.pop(index)

    def peek(self) -> bytes | int:
        if not self.values:
            return -ENOENT
        return self.values[-1 if self.lifo else 0]

    def lookup(self, key: bytes, cpu: int = 0) -> None:
        return None

    # -- syscall side ---------------------------------------------------------------

    def _user_lookup(self, key: bytes) -> bytes | None:
        value = self.peek()
        return None if isinstance(value, int) else value

    def _user_update(self, key: bytes, value, flags: int) -> int:
        return self.push(value, flags)

    def _user_delete(self, key: bytes) -> int:
        return -EINVAL

    def _user_lookup_and_delete(self, key: bytes) -> bytes | None:
        value = self.pop()
        return None if isinstance(value, int) else value

    def _get_next_key(self, key: bytes | None) -> bytes | None:
        raise MapError(EINVAL, f"{self.type.name.lower()} maps have no keys to iterate")

    def items(self) -> list[tuple[bytes, bytes]]:
        """``(b"", value)`` oldest first, so ``seed(items())`` rebuilds the same map."""
        self._check_readable()
        return [(b"", value) for value in self.values]

    def snapshot(self) -> MapSnapshot:
        return MapSnapshot(self.type, (), tuple(Record(seq, value)
                                                for seq, value in zip(self.serials, self.values)))
