"""Hash maps: HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH (``kernel/bpf/hashtab.c``).

Buckets and iteration order
    ``n_buckets`` is max_entries rounded up to a power of two; a key's bucket
    is ``jhash(key, seed) & (n_buckets - 1)``, and a new element goes to the
    head of its bucket. ``get_next_key`` walks buckets in order, each from its
    head, and restarts from the first element when the key is missing. The
    kernel seeds with a random number unless BPF_F_ZERO_SEED; the model always
    uses 0, so with ZERO_SEED its order is the kernel's exactly, and without it
    the order is one the kernel could have produced.

Replacing an element
    The kernel never rewrites a live element of a plain hash: an update builds
    a new element and unlinks the old one, whose memory stays readable until an
    RCU grace period (BPF_F_NO_PREALLOC), or becomes this CPU's spare
    ("extra") element and is overwritten by the next replacement made on this
    CPU (preallocated maps). So an update gives the key a new bytearray, and a
    program still holding the old pointer sees the old bytes, until the spare
    is reused. BPF_F_LOCK updates (a value with a bpf_spin_lock) and per-CPU
    maps update in place. LRU maps always take a node from the LRU lists, even
    to replace a key, which can evict another key (or the key itself).

Preallocated maps (the default) recycle deleted elements' memory through a
per-CPU free list, most recently freed first: a stale pointer to a deleted
value sees the next element allocated on that CPU.

Full maps: a new key in a full plain or per-CPU hash is -E2BIG; an LRU map
evicts instead (see ``lru.py``) and answers -ENOMEM only if nothing can go.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from .base import (ACCESS_MASK, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, E2BIG, EEXIST, EINVAL,
                   ENOENT, ENOMEM, ENOTSUPP, KMALLOC_MAX_SIZE, PCPU_MIN_UNIT_SIZE, BpfMap,
                   MapError, MapFlag, MapSpec, MapType, access_ok, require_memory, round8)
from .jhash import jhash
from .lru import Lru

HTAB_FLAGS = int(MapFlag.NO_PREALLOC | MapFlag.NO_COMMON_LRU | MapFlag.NUMA_NODE | ACCESS_MASK
                 | MapFlag.ZERO_SEED)
HTAB_ELEM_SIZE = 48          # sizeof(struct htab_elem) on 64-bit
BUCKET_SIZE = 16             # sizeof(struct bucket)
U32_MAX = 0xFFFF_FFFF
# Hashing a key costs more than the rest of an update: buckets are computed only to
# iterate, and remembered, since the same keys come back.
cached_jhash = lru_cache(maxsize=1 << 16)(jhash)
LRU_TYPES = frozenset({MapType.LRU_HASH, MapType.LRU_PERCPU_HASH})
PERCPU_HASH_TYPES = frozenset({MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH})


def check_hash_spec(spec: MapSpec) -> None:
    """``htab_map_alloc_check``."""
    flags = spec.map_flags
    lru = spec.type in LRU_TYPES
    percpu = spec.type in PERCPU_HASH_TYPES
    if flags & ~HTAB_FLAGS or not access_ok(flags):
        raise MapError(EINVAL, f"map_flags 0x{flags:x} are not valid for "
                               f"{spec.type.name.lower()} maps")
    if not lru and flags & MapFlag.NO_COMMON_LRU:
        raise MapError(EINVAL, "BPF_F_NO_COMMON_LRU is for LRU maps only")
    if lru and flags & MapFlag.NO_PREALLOC:
        raise MapError(ENOTSUPP, "LRU maps are always preallocated (BPF_F_NO_PREALLOC)")
    if flags & MapFlag.NUMA_NODE and (percpu or flags & MapFlag.NO_COMMON_LRU):
        raise MapError(EINVAL, "per-CPU maps cannot be bound to a NUMA node")
    if spec.max_entries == 0 or spec.key_size == 0 or spec.value_size == 0:
        raise MapError(EINVAL, "hash maps need key_size, value_size and max_entries of at "
                               "least 1")
    if spec.key_size + spec.value_size >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE:
        raise MapError(E2BIG, f"key_size + value_size must stay below "
                              f"{KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE}")
    if percpu and round8(spec.value_size) > PCPU_MIN_UNIT_SIZE:
        raise MapError(E2BIG, f"per-CPU values are at most {PCPU_MIN_UNIT_SIZE} bytes")


def hash_geometry(spec: MapSpec, ncpus: int) -> tuple[int, int]:
    """``htab_map_alloc``: the max_entries the map really gets, and its bucket count."""
    max_entries = spec.max_entries
    if spec.map_flags & MapFlag.NO_COMMON_LRU:
        # every CPU's list gets the same number of nodes, at least one
        rounded = -(-max_entries // ncpus) * ncpus
        max_entries = rounded if rounded <= U32_MAX else max_entries // ncpus * ncpus
    if max_entries > 1 << 31:
        raise MapError(E2BIG, f"max_entries {max_entries} is above 2^31")
    n_buckets = 1 << (max_entries - 1).bit_length()
    if n_buckets > U32_MAX // BUCKET_SIZE:
        raise MapError(E2BIG, f"{n_buckets} buckets would overflow the bucket array")
    return max_entries, n_buckets


class PerCpu:
    """One per-CPU value: a bytearray per CPU, plus the padding user space wrote."""

    def __init__(self, ncpus: int, size: int):
        self.values = [bytearray(size) for _ in range(ncpus)]
        self.pads = [bytes(round8(size) - size)] * ncpus


class Element:
    """An element in the table: when it was linked (``seq``: newer is nearer the head of
    its bucket) and its value. The bucket itself is hashed only to iterate.

    ``value`` is a bytearray, a ``PerCpu``, or (hash of maps) the inner map.
    ``node`` is the LRU node holding it, -1 outside LRU maps.
    """

    __slots__ = ("seq", "value", "node")

    def __init__(self, seq: int, value, node: int = -1):
        self.seq = seq
        self.value = value
        self.node = node


class HashMap(BpfMap):
    """The four hash flavours; the flags decide which of the kernel's paths apply."""

    def __init__(self, spec: MapSpec, ncpus: int = 2, id: int = 0):
        max_entries, n_buckets = hash_geometry(spec, ncpus)
        if max_entries != spec.max_entries:
            spec = replace(spec, max_entries=max_entries)
        super().__init__(spec, ncpus, id)
        self.n_buckets = n_buckets
        self.hash_seed = 0       # hashrnd; the kernel draws it at random unless BPF_F_ZERO_SEED
        self.lru_map = spec.type in LRU_TYPES
        self.prealloc = not spec.map_flags & MapFlag.NO_PREALLOC
        if self.prealloc:
            value_bytes = round8(spec.value_size) * (ncpus if self.percpu else 1)
            require_memory(spec, max_entries * (round8(spec.key_size) + value_bytes))
        self.elems: dict[bytes, Element] = {}
        self.clock = 0                      # bucket insertion counter
        self.free_values: list[list] = [[] for _ in range(ncpus)]  # recycled storage per CPU
        self.extra: list = [None] * ncpus   # each CPU's spare element (plain preallocated)
        self.order: list[bytes] | None = None  # iteration order, rebuilt after changes
        self.position: dict[bytes, int] = {}     # key -> index in ``order``
        if self.lru_map:
            self.lru = Lru(max_entries, ncpus, bool(spec.map_flags & MapFlag.NO_COMMON_LRU))
            self.node_values: list = [None] * max_entries
            self.node_keys: list[bytes | None] = [None] * max_entries

    # -- program side ---------------------------------------------------------------

    def lookup(self, key: bytes, cpu: int = 0):
        """The live value (per-CPU maps: ``cpu``'s copy); an LRU lookup marks the element used."""
        if type(key) is not bytes or len(key) != self.key_size:
            key = self._key(key)
        if self.percpu and not 0 <= cpu < self.ncpus:
            return None                     # bpf_map_lookup_percpu_elem: no such CPU
        elem = self.elems.get(key)
        if elem is None:
            return None
        if self.lru_map:
            self.lru.set_ref(elem.node)
        return elem.value.values[cpu] if self.percpu else elem.value

    def update(self, key: bytes, value: bytes, flags: int = 0, cpu: int = 0) -> int:
        if type(key) is not bytes or len(key) != self.key_size:  # checks only when needed:
            key = self._key(key)                                 # updates are a hot path
        if type(value) is not bytes or len(value) != self.value_size:
            value = self._value(value)
        if not 0 <= cpu < self.ncpus:
            cpu = self._cpu(cpu)
        return self._update(key, value, flags, cpu, False)

    def delete(self, key: bytes, cpu: int = 0) -> int:
        return self._delete(self._key(key), self._cpu(cpu))

    # -- syscall side ---------------------------------------------------------------

    def _user_lookup(self, key: bytes) -> bytes | None:
        elem = self.elems.get(key)
        if elem is None:
            return None
        return self._user_value(elem.value)

    def _user_value(self, value) -> bytes:
        if self.percpu:
            return b"".join(bytes(v) + pad for v, pad in zip(value.values, value.pads))
        return self._load(value)

    def _user_update(self, key: bytes, value, flags: int) -> int:
        value = self._value(value, self.user_value_size)
        return self._update(key, value, flags, self.syscall_cpu, True)

    def _user_delete(self, key: bytes) -> int:
        return self._delete(key, self.syscall_cpu)

    def _user_lookup_and_delete(self, key: bytes) -> bytes | None:
        value = self._user_lookup(key)
        if value is not None:
            self._delete(key, self.syscall_cpu)
        return value

    def _get_next_key(self, key: bytes | None) -> bytes | None:
        order = self._order()
        if key is None or key not in self.elems:
            return order[0] if order else None
        index = self.position[key] + 1
        return order[index] if index < len(order) else None

    def items(self) -> list[tuple[bytes, bytes]]:
        self._check_readable()
        return [(key, self._user_value(self.elems[key].value)) for key in self._order()]

    def bucket_of(self, key: bytes) -> int:
        return cached_jhash(key, self.hash_seed) & (self.n_buckets - 1)

    # -- the kernel's update paths ---------------------------------------------------------

    def _update(self, key: bytes, value: bytes, flags: int, cpu: int, from_user: bool) -> int:
        if self.lru_map and self.percpu:
            return self._lru_percpu_update(key, value, flags, cpu, from_user)
        if self.lru_map:
            return self._lru_update(key, value, flags, cpu)
        if self.percpu:
            return self._percpu_update(key, value, flags, cpu, from_user)
        return self._htab_update(key, value, flags, cpu)

    def _htab_update(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        """``htab_map_update_elem``: a new element replaces the old, except under BPF_F_LOCK."""
        if (flags & ~BPF_F_LOCK) > BPF_EXIST:
            return -EINVAL
        old = self.elems.get(key)
        if flags & BPF_F_LOCK:
            if self.spec.spin_lock_off is None:
                return -EINVAL
            if old is not None:             # under the element's lock, in place
                error = _check_flags(old, flags)
                if not error:
                    self._store(old.value, value)
                return error
        error = _check_flags(old, flags)
        if error:
            return error
        if old is None and len(self.elems) >= self.max_entries:
            return -E2BIG       # the free list is empty, or the element count is at the limit
        if not self.prealloc:
            storage = bytearray(self.value_size)
        elif old is not None:   # this CPU's spare takes the new value; the old one is the spare
            storage = self.extra[cpu] if self.extra[cpu] is not None else bytearray(self.value_size)
            self.extra[cpu] = old.value
        else:
            storage = self._recycled(cpu)
            if storage is None:
                storage = bytearray(self.value_size)
        if self.spec.spin_lock_off is None:
            storage[:] = value
        else:
            self._store(storage, value)
        self._link(key, storage)
        return 0

    def _percpu_update(self, key: bytes, value: bytes, flags: int, cpu: int,
                       all_cpus: bool) -> int:
        """``htab_map_update_elem_in_place`` for per-CPU values."""
        if flags > BPF_EXIST:
            return -EINVAL
        old = self.elems.get(key)
        error = _check_flags(old, flags)
        if error:
            return error
        if old is not None:
            self._copy_percpu(old.value, value, cpu, all_cpus)
            return 0
        if len(self.elems) >= self.max_entries:
            return -E2BIG
        storage = self._recycled(cpu) if self.prealloc else None
        if storage is None:
            storage = PerCpu(self.ncpus, self.value_size)
        self._init_percpu(storage, value, cpu, all_cpus)
        self._link(key, storage)
        return 0

    def _lru_update(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        """``htab_lru_map_update_elem``: always a fresh node, taken before looking at the key."""
        if flags > BPF_EXIST:
            return -EINVAL
        node = self.lru.pop_free(cpu, self)
        if node is None:
            return -ENOMEM
        storage = self._node_value(node)
        self._store(storage, value)
        old = self.elems.get(key)
        error = _check_flags(old, flags)
        if error:
            self.lru.push_free(node)
            return error
        self._link(key, storage, node)
        if old is not None:
            self.lru.set_ref(node)
            self.node_keys[old.node] = None
            self.lru.push_free(old.node)
        return 0

    def _lru_percpu_update(self, key: bytes, value: bytes, flags: int, cpu: int,
                           all_cpus: bool) -> int:
        """``htab_lru_percpu_map_update_elem``: a node unless BPF_EXIST; values in place."""
        if flags > BPF_EXIST:
            return -EINVAL
        node = None
        if flags != BPF_EXIST:
            node = self.lru.pop_free(cpu, self)
            if node is None:
                return -ENOMEM
        old = self.elems.get(key)
        error = _check_flags(old, flags)
        if not error and old is not None:
            self.lru.set_ref(old.node)
            self._copy_percpu(old.value, value, cpu, all_cpus)
        elif not error:
            storage = self._node_value(node)
            self._init_percpu(storage, value, cpu, all_cpus)
            self._link(key, storage, node)
            node = None
        if node is not None:
            self.lru.push_free(node)
        return error

    def _delete(self, key: bytes, cpu: int) -> int:
        elem = self.elems.pop(key, None)
        if elem is None:
            return -ENOENT
        self.order = None
        if self.lru_map:
            self.node_keys[elem.node] = None
            self.lru.push_free(elem.node)
        elif self.prealloc:
            self.free_values[cpu].insert(0, elem.value)
        return 0

    def _evict(self, node: int) -> bool:
        """``htab_lru_map_delete_node``: the LRU lists reclaim ``node`` if it holds an element."""
        key = self.node_keys[node]
        elem = self.elems.get(key) if key is not None else None
        if elem is None or elem.node != node:
            return False
        del self.elems[key]
        self.node_keys[node] = None
        self.order = None
        return True

    # -- helpers --------------------------------------------------------------------------

    def _link(self, key: bytes, storage, node: int = -1) -> None:
        """Put a new element at the head of its bucket (replacing the key's old element)."""
        self.clock += 1
        self.elems[key] = Element(self.clock, storage, node)
        if node >= 0:
            self.node_keys[node] = key
        self.order = None

    def _order(self) -> list[bytes]:
        if self.order is None:
            bucket_of = self.bucket_of
            ranked = sorted(self.elems.items(), key=lambda kv: (bucket_of(kv[0]), -kv[1].seq))
            self.order = [key for key, _ in ranked]
            self.position = {key: i for i, key in enumerate(self.order)}
        return self.order

    def _recycled(self, cpu: int):
        """Pop a freed element's storage: this CPU's list first, then the others in turn."""
        for i in range(self.ncpus):
            pool = self.free_values[(cpu + i) % self.ncpus]
            if pool:
                return pool.pop(0)
        return None

    def _node_value(self, node: int):
        storage = self.node_values[node]
        if storage is None:
            storage = (PerCpu(self.ncpus, self.value_size) if self.percpu
                       else bytearray(self.value_size))
            self.node_values[node] = storage
        return storage

    def _copy_percpu(self, storage: PerCpu, value: bytes, cpu: int, all_cpus: bool) -> None:
        """``pcpu_copy_value``: one CPU's value from a program, every CPU's (padding too) from user space."""
        if not all_cpus:
            storage.values[cpu][:] = value
            return
        size, stride = self.value_size, round8(self.value_size)
        for i in range(self.ncpus):
            storage.values[i][:] = value[i * stride:i * stride + size]
            storage.pads[i] = value[i * stride + size:(i + 1) * stride]

    def _init_percpu(self, storage: PerCpu, value: bytes, cpu: int, all_cpus: bool) -> None:
        """``pcpu_init_value``: from a program, this CPU's value and zeros on the others."""
        if all_cpus:
            self._copy_percpu(storage, value, cpu, True)
            return
        for i in range(self.ncpus):
            storage.values[i][:] = value if i == cpu else bytes(self.value_size)


def _check_flags(old: Element | None, flags: int) -> int:
    if old is not None and flags & ~BPF_F_LOCK == BPF_NOEXIST:
        return -EEXIST
    if old is None and flags & ~BPF_F_LOCK == BPF_EXIST:
        return -ENOENT
    return 0
