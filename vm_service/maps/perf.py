"""Perf event arrays: BPF_MAP_TYPE_PERF_EVENT_ARRAY, the path of bpf_perf_event_output.

Each slot (u32 index, value_size 4) holds a perf event opened by user space,
usually one per CPU, each with its own ring of samples. In the kernel user
space opens the events and stores their fds; here ``attach(index, cpu)``
stands for that, and ``attach_all()`` does what libbpf's ``perf_buffer__new``
does: one event per CPU, in the slot of the same number. A new map has no
events, as in the kernel.

``output(index, data, cpu)`` is the helper's work once it has resolved its
flags (BPF_F_CURRENT_CPU means ``index = cpu``): -E2BIG for an index past the
end, -ENOENT for an empty slot, -EOPNOTSUPP when the slot's event belongs to
another CPU, -ENOSPC when that event's buffer is full (the sample is lost).
A sample is stored as a consumer receives it: perf pads raw data so that the
u32 size field plus the data fill whole 8-byte words.

From user space, lookup is ENOTSUPP (the kernel has no way to show a perf
event), update needs a perf event fd (-EBADF here: use ``attach``) and delete
empties a slot.
"""

from __future__ import annotations

from .array import U32, array_next_key, index_of
from .base import (BPF_ANY, E2BIG, EBADF, EINVAL, ENOENT, ENOSPC, EOPNOTSUPP, PAGE_SIZE, BpfMap, MapSnapshot,
                   MapSpec, Record, round8)

PERF_HEADER = 8          # struct perf_event_header
DEFAULT_BUFFER = 8 * PAGE_SIZE


def sample_size(size: int) -> int:
    """Bytes a raw sample takes in a perf buffer: header, u32 size, data, padded."""
    return PERF_HEADER + round8(4 + size)


class PerfEventArray(BpfMap):
    def __init__(self, spec: MapSpec, ncpus: int = 2, id: int = 0):
        super().__init__(spec, ncpus, id)
        self.events: dict[int, int] = {}        # slot -> the CPU its event counts on
        self.buffer_size = DEFAULT_BUFFER       # bytes of samples each event's buffer holds
        self.used: dict[int, int] = {}          # slot -> bytes of unconsumed samples
        self.lost: dict[int, int] = {}          # slot -> samples dropped on a full buffer
        self.samples: list[list] = []           # [serial, slot, data] oldest first
        self.serial = 0

    # -- user space opens events ------------------------------------------------------

    def attach(self, index: int, cpu: int | None = None) -> int:
        """Open an event for ``cpu`` (default: ``index``) in slot ``index``."""
        if index >= self.max_entries:
            return -E2BIG
        self.events[index] = index if cpu is None else cpu
        self.used.setdefault(index, 0)
        return 0

    def attach_all(self) -> None:
        for cpu in range(min(self.ncpus, self.max_entries)):
            self.attach(cpu, cpu)

    # -- program side ---------------------------------------------------------------

    def output(self, index: int, data: bytes, cpu: int | None = None) -> int:
        if index >= self.max_entries:
            return -E2BIG
        event_cpu = self.events.get(index)
        if event_cpu is None:
            return -ENOENT
        if cpu is not None and event_cpu != cpu:
            return -EOPNOTSUPP
        cost = sample_size(len(data))
        if self.used[index] + cost > self.buffer_size:
            self.lost[index] = self.lost.get(index, 0) + 1
            return -ENOSPC
        self.used[index] += cost
        self.serial += 1
        padded = bytes(data) + bytes(round8(4 + len(data)) - 4 - len(data))
        self.samples.append([self.serial, index, padded])
        return 0

    # -- consumer (user space) ------------------------------------------------------

    def consume(self) -> list[tuple[int, bytes]]:
        """Every sample as (slot, padded data), oldest first; the buffers empty."""
        out = [(slot, data) for _, slot, data in self.samples]
        self.samples = []
        self.used = dict.fromkeys(self.used, 0)
        return out

    def _user_update(self, key: bytes, value, flags: int) -> int:
        """``bpf_fd_array_map_update_elem``: BPF_ANY only, in range, then a perf event fd."""
        if flags != BPF_ANY:
            return -EINVAL
        if index_of(key) >= self.max_entries:
            return -E2BIG
        return -EBADF

    def _user_delete(self, key: bytes) -> int:
        index = index_of(key)
        if index >= self.max_entries:
            return -E2BIG
        if self.events.pop(index, None) is None:
            return -ENOENT
        return 0

    def _get_next_key(self, key: bytes | None) -> bytes | None:
        return array_next_key(key, self.max_entries)

    def items(self) -> list[tuple[bytes, bytes]]:
        return []

    def snapshot(self) -> MapSnapshot:
        entries = tuple((U32.pack(i), U32.pack(cpu)) for i, cpu in sorted(self.events.items()))
        records = tuple(Record(serial, data, slot=slot) for serial, slot, data in self.samples)
        counters = tuple((f"lost[{slot}]", n) for slot, n in sorted(self.lost.items()))
        return MapSnapshot(self.type, entries, records, counters)
