"""Arrays: BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY.

Every index below max_entries always exists and starts zeroed, so updates
overwrite in place (the same bytearray, for ever), delete is EINVAL, and
BPF_NOEXIST is always EEXIST. Keys are u32 indices, little-endian.

Per-CPU arrays keep one value per CPU. A program sees only its CPU's copy;
user space reads and writes all of them at once, each padded to 8 bytes. The
kernel stores those padding bytes too (it copies whole 8-byte words), so a
user-space write of padding is read back; programs never see it.

Storage is created on first use: an index never touched reads as zeros, which
is what the kernel's zeroed allocation holds.
"""

from __future__ import annotations

import struct

from .base import (ACCESS_MASK, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, E2BIG, EEXIST, EINVAL,
                   PCPU_MIN_UNIT_SIZE, BpfMap, MapError, MapFlag, MapSpec, MapType,
                   access_ok, require_memory, round8)

INT_MAX = (1 << 31) - 1
U32 = struct.Struct("<I")

ARRAY_FLAGS = int(MapFlag.NUMA_NODE | MapFlag.MMAPABLE | ACCESS_MASK | MapFlag.PRESERVE_ELEMS
                  | MapFlag.INNER_MAP)


def check_array_spec(spec: MapSpec) -> None:
    """``array_map_alloc_check``: shared by every array-backed type."""
    flags = spec.map_flags
    percpu = spec.type is MapType.PERCPU_ARRAY
    if spec.max_entries == 0:
        raise MapError(EINVAL, "max_entries must be at least 1")
    if spec.key_size != 4:
        raise MapError(EINVAL, f"{spec.type.name.lower()} keys are u32 indices: key_size must "
                               f"be 4, not {spec.key_size}")
    if spec.value_size == 0:
        raise MapError(EINVAL, "value_size must be at least 1")
    if flags & ~ARRAY_FLAGS or not access_ok(flags):
        raise MapError(EINVAL, f"map_flags 0x{flags:x} are not valid for "
                               f"{spec.type.name.lower()} maps")
    if percpu and flags & MapFlag.NUMA_NODE:
        raise MapError(EINVAL, "per-CPU arrays cannot be bound to a NUMA node")
    if spec.type is not MapType.ARRAY and flags & (MapFlag.MMAPABLE | MapFlag.INNER_MAP):
        raise MapError(EINVAL, "BPF_F_MMAPABLE and BPF_F_INNER_MAP are for plain arrays only")
    if spec.type is not MapType.PERF_EVENT_ARRAY and flags & MapFlag.PRESERVE_ELEMS:
        raise MapError(EINVAL, "BPF_F_PRESERVE_ELEMS is for perf event arrays only")
    if spec.value_size > INT_MAX:
        raise MapError(E2BIG, f"value_size {spec.value_size} is too big")
    if percpu and spec.value_size > PCPU_MIN_UNIT_SIZE:
        raise MapError(E2BIG, f"per-CPU values are at most {PCPU_MIN_UNIT_SIZE} bytes")


def index_of(key: bytes) -> int:
    return U32.unpack(key)[0]


def array_next_key(key: bytes | None, max_entries: int) -> bytes | None:
    """``array_map_get_next_key``: a missing or out-of-range key restarts at 0."""
    index = 0xFFFF_FFFF if key is None else index_of(key)
    if index >= max_entries:
        return U32.pack(0)
    if index == max_entries - 1:
        return None
    return U32.pack(index + 1)


class ArrayMap(BpfMap):
    """BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY."""

    def __init__(self, spec: MapSpec, ncpus: int = 2, id: int = 0):
        super().__init__(spec, ncpus, id)
        copies = ncpus if self.percpu else 1
        require_memory(spec, spec.max_entries * round8(spec.value_size) * copies)
        self.values: dict[int, bytearray] = {}          # plain arrays
        self.cpu_values: dict[int, list[bytearray]] = {}  # per-CPU arrays
        self.pads: dict[int, list[bytes]] = {}          # per-CPU padding written by user space

    # -- storage --------------------------------------------------------------------

    def _storage(self, index: int) -> bytearray:
        value = self.values.get(index)
        if value is None:
            value = self.values[index] = bytearray(self.value_size)
        return value

    def _cpu_storage(self, index: int) -> list[bytearray]:
        values = self.cpu_values.get(index)
        if values is None:
            values = self.cpu_values[index] = [bytearray(self.value_size)
                                               for _ in range(self.ncpus)]
        return values

    # -- program side ---------------------------------------------------------------

    # lookup and update are the hot path of map-heavy programs: they call as little as they can.

    def lookup(self, key: bytes, cpu: int = 0) -> bytearray | None:
        """The live value (a per-CPU array: ``cpu``'s copy; None for a CPU that does not exist)."""
        if type(key) is not bytes or len(key) != 4:
            key = self._key(key)
        index = U32.unpack(key)[0]
        if index >= self.max_entries:
            return None
        if self.percpu:
            if not 0 <= cpu < self.ncpus:
                return None
            return self._cpu_storage(index)[cpu]
        value = self.values.get(index)
        return value if value is not None else self._storage(index)

    def update(self, key: bytes, value: bytes, flags: int = 0, cpu: int = 0) -> int:
        """``array_map_update_elem``: in place; a per-CPU array sets only ``cpu``'s copy."""
        if type(key) is not bytes or len(key) != 4:
            key = self._key(key)
        index = U32.unpack(key)[0]
        if type(value) is not bytes or len(value) != self.value_size:
            value = self._value(value)
        if (flags & ~BPF_F_LOCK) > BPF_EXIST:
            return -EINVAL
        if index >= self.max_entries:
            return -E2BIG
        if flags & BPF_NOEXIST:
            return -EEXIST
        if flags & BPF_F_LOCK and self.spec.spin_lock_off is None:
            return -EINVAL
        if self.percpu:
            self._cpu_storage(index)[self._cpu(cpu)][:] = value
        elif self.spec.spin_lock_off is None:
            storage = self.values.get(index)
            if storage is None:
                storage = self._storage(index)
            storage[:] = value
        else:
            self._store(self._storage(index), value)
        return 0

    def delete(self, key: bytes, cpu: int = 0) -> int:
        return -EINVAL

    # -- syscall side ---------------------------------------------------------------

    def _user_lookup(self, key: bytes) -> bytes | None:
        index = index_of(key)
        if index >= self.max_entries:
            return None
        if not self.percpu:
            value = self.values.get(index)
            return bytes(self.value_size) if value is None else self._load(value)
        values = self.cpu_values.get(index)
        pads = self.pads.get(index)
        pad = bytes(round8(self.value_size) - self.value_size)
        return b"".join((bytes(values[cpu]) if values else bytes(self.value_size))
                        + (pads[cpu] if pads else pad) for cpu in range(self.ncpus))

    def _user_update(self, key: bytes, value, flags: int) -> int:
        if not self.percpu:
            return self.update(key, value, flags)
        value = self._value(value, self.user_value_size)
        index = index_of(key)
        if flags > BPF_EXIST:
            return -EINVAL
        if index >= self.max_entries:
            return -E2BIG
        if flags == BPF_NOEXIST:
            return -EEXIST
        size, stride = self.value_size, round8(self.value_size)
        values = self._cpu_storage(index)
        for cpu in range(self.ncpus):
            values[cpu][:] = value[cpu * stride:cpu * stride + size]
        if stride != size:
            self.pads[index] = [value[cpu * stride + size:(cpu + 1) * stride]
                                for cpu in range(self.ncpus)]
        return 0

    def _user_delete(self, key: bytes) -> int:
        return -EINVAL

    def _get_next_key(self, key: bytes | None) -> bytes | None:
        return array_next_key(key, self.max_entries)

    def items(self) -> list[tuple[bytes, bytes]]:
        return [(U32.pack(i), self._user_lookup(U32.pack(i))) for i in range(self.max_entries)]

