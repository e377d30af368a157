"""Ring buffers: BPF_MAP_TYPE_RINGBUF (``kernel/bpf/ringbuf.c``, modelled).

max_entries is the data area's size in bytes: a power of two and a multiple
of the page size; key_size and value_size must be 0.

Positions count bytes for ever (they are not taken modulo the size). Every
record costs an 8-byte header (u32 length with BUSY and DISCARD bits, u32 page
offset) plus its data, rounded up to 8 bytes. ``reserve`` fails (returns None)
when the record would put the producer more than ``size - 1`` bytes ahead of
the consumer, or is bigger than the ring. A reserved record is *busy* until
``submit`` or ``discard``; the consumer stops at the first busy record and
skips discarded ones, advancing its position past each.

A record's data is one bytearray from reserve to consumption (the machine
wraps it as a memory region). It starts zeroed; the kernel hands out whatever
bytes the ring held there, which are zeros until the ring has wrapped.
Wake-up flags are accepted and only counted (``wakeups``).
"""

from __future__ import annotations

from .base import (EAGAIN, EINVAL, ENOTSUPP, PAGE_SIZE, BpfMap, MapError, MapFlag, MapSnapshot,
                   MapSpec, Record, require_memory)

BPF_RB_NO_WAKEUP = 1
BPF_RB_FORCE_WAKEUP = 2
BPF_RB_AVAIL_DATA = 0
BPF_RB_RING_SIZE = 1
BPF_RB_CONS_POS = 2
BPF_RB_PROD_POS = 3
BPF_RINGBUF_BUSY_BIT = 1 << 31
BPF_RINGBUF_DISCARD_BIT = 1 << 30
BPF_RINGBUF_HDR_SZ = 8
MAX_RECORD_SIZE = 0xFFFF_FFFF // 4


def check_ringbuf_spec(spec: MapSpec) -> None:
    """``ringbuf_map_alloc``'s checks."""
    if spec.map_flags & ~int(MapFlag.NUMA_NODE):
        raise MapError(EINVAL, f"map_flags 0x{spec.map_flags:x} are not valid for ringbuf maps")
    size = spec.max_entries
    if spec.key_size or spec.value_size:
        raise MapError(EINVAL, "ring buffers have no keys or values: key_size and value_size "
                               "must be 0")
    if size == 0 or size & (size - 1) or size % PAGE_SIZE:
        raise MapError(EINVAL, f"a ring buffer's max_entries is its size in bytes: a power of 2 "
                               f"and a multiple of {PAGE_SIZE}, not {size}")


def record_cost(size: int) -> int:
    """Bytes a record of ``size`` takes in the ring: header + data, 8-aligned."""
    return (size + BPF_RINGBUF_HDR_SZ + 7) & ~7


class RingBufMap(BpfMap):
    def __init__(self, spec: MapSpec, ncpus: int = 2, id: int = 0):
        super().__init__(spec, ncpus, id)
        require_memory(spec, spec.max_entries)
        self.size = spec.max_entries
        self.producer_pos = 0
        self.consumer_pos = 0
        # unconsumed records, oldest first: [position, state, data], state being
        # "busy", "submitted" or "discarded"
        self.records: list[list] = []
        self.wakeups = 0

    # -- program side ---------------------------------------------------------------

    def reserve(self, size: int) -> bytearray | None:
        """``bpf_ringbuf_reserve`` (flags must be 0: the helper checks that)."""
        if size > MAX_RECORD_SIZE:
            return None
        cost = record_cost(size)
        if cost > self.size or self.producer_pos + cost - self.consumer_pos > self.size - 1:
            return None
        data = bytearray(size)
        self.records.append([self.producer_pos, "busy", data])
        self.producer_pos += cost
        return data

    def holds(self, record: bytearray) -> bool:
        """Is ``record`` (by identity) a busy record of this ring, one that may be committed?"""
        return any(entry[2] is record and entry[1] == "busy" for entry in self.records)

    def submit(self, record: bytearray, flags: int = 0) -> None:
        self._commit(record, flags, "submitted")

    def discard(self, record: bytearray, flags: int = 0) -> None:
        self._commit(record, flags, "discarded")

    def output(self, data: bytes, flags: int = 0) -> int:
        """``bpf_ringbuf_output``: reserve, copy, submit; -EAGAIN when the ring is full."""
        if flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP):
            return -EINVAL
        record = self.reserve(len(data))
        if record is None:
            return -EAGAIN
        record[:] = data
        self._commit(record, flags, "submitted")
        return 0

    def query(self, flag: int) -> int:
        """``bpf_ringbuf_query``; an unknown flag answers 0."""
        if flag == BPF_RB_AVAIL_DATA:
            return self.producer_pos - self.consumer_pos
        if flag == BPF_RB_RING_SIZE:
            return self.size
        if flag == BPF_RB_CONS_POS:
            return self.consumer_pos
        if flag == BPF_RB_PROD_POS:
            return self.producer_pos
        return 0

    # -- consumer (user space) ------------------------------------------------------

    def consume(self) -> list[bytes]:
        """Submitted records in order, skipping discarded ones, up to the first busy record."""
        out: list[bytes] = []
        while self.records and self.records[0][1] != "busy":
            pos, state, data = self.records.pop(0)
            if state == "submitted":
                out.append(bytes(data))
            self.consumer_pos = pos + record_cost(len(data))
        return out

    def _user_update(self, key: bytes, value, flags: int) -> int:
        return -ENOTSUPP

    def _user_delete(self, key: bytes) -> int:
        return -ENOTSUPP

    def items(self) -> list[tuple[bytes, bytes]]:
        return []

    def snapshot(self) -> MapSnapshot:
        records = tuple(Record(pos, bytes(data), state) for pos, state, data in self.records)
        counters = (("producer_pos", self.producer_pos), ("consumer_pos", self.consumer_pos))
        return MapSnapshot(self.type, (), records, counters)

    # -- helpers --------------------------------------------------------------------

    def _commit(self, record: bytearray, flags: int, state: str) -> None:
        for entry in self.records:
            if entry[2] is record:
                if entry[1] != "busy":
                    raise ValueError("this ring-buffer record was already submitted or discarded")
                entry[1] = state
                at_consumer = entry[0] == self.consumer_pos
                if flags & BPF_RB_FORCE_WAKEUP or (at_consumer and not flags & BPF_RB_NO_WAKEUP):
                    self.wakeups += 1
                return
        raise ValueError("not a record reserved from this ring buffer")
