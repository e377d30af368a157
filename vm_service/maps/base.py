"""What every map shares: its type numbers, its spec, errors, snapshots and diffs.

The model follows the kernel's ``struct bpf_map_ops`` split. A map has a
*program side* (what helpers call: ``lookup``/``update``/``delete`` and the
type's own operations) and a *syscall side* (``user_*``, ``get_next_key``),
which is what ``bpf(2)`` offers user space: per-CPU values laid out for all
CPUs, file-permission checks, freezing.

Return conventions, as in the kernel
    Element operations return ``0`` or a NEGATIVE errno (``-ENOENT``), exactly
    what the helper or syscall would return. Operations that return data
    (``lookup``, ``user_lookup``, ``get_next_key``) return ``None`` for
    "no such element" (the kernel's ENOENT); any other refusal raises
    ``MapError`` with the kernel's (positive) errno. Calls the kernel could
    never receive (a key of the wrong length, a CPU that does not exist) are
    caller bugs and raise ``ValueError``.

State is plain data
    Maps hold only lists, dicts, bytearrays, ints and small plain objects, so
    ``copy.deepcopy`` snapshots them. Each value's storage is one bytearray for
    as long as it belongs to the map: the machine wraps that very bytearray as
    a memory region, so a program's stores land in the map, and a deepcopy made
    together with the regions (one memo) keeps them aliased.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..errors import VmError

# Linux errno values (the kernel is the reference, whatever the host is).
EPERM = 1
ENOENT = 2
E2BIG = 7
EBADF = 9
EAGAIN = 11
ENOMEM = 12
EBUSY = 16
EEXIST = 17
EINVAL = 22
ENOSPC = 28
EOPNOTSUPP = 95
ENOTSUPP = 524   # kernel-internal, yet bpf(2) returns it (e.g. lookup on a ring buffer)

# Update flags (the anonymous enum holding BPF_ANY).
BPF_ANY = 0       # create or replace
BPF_NOEXIST = 1   # create only
BPF_EXIST = 2     # replace only
BPF_F_LOCK = 4    # copy under the value's bpf_spin_lock

# bpf_perf_event_output's flags: the low 32 bits pick the array slot.
BPF_F_INDEX_MASK = 0xFFFF_FFFF
BPF_F_CURRENT_CPU = BPF_F_INDEX_MASK

PAGE_SIZE = 4096
KMALLOC_MAX_SIZE = 1 << 22        # x86-64 SLUB: 1 << (PAGE_SHIFT + MAX_PAGE_ORDER)
PCPU_MIN_UNIT_SIZE = 32 << 10
# The playground's own ceiling on one map's value memory. The kernel's limit is
# whatever it can allocate; beyond this the model answers ENOMEM, as the kernel
# does when an allocation fails.
MODEL_MEMORY_LIMIT = 64 << 20


class MapType(enum.IntEnum):
    """``enum bpf_map_type``: the types modelled here, with the kernel's numbers."""

    HASH = 1
    ARRAY = 2
    PROG_ARRAY = 3
    PERF_EVENT_ARRAY = 4
    PERCPU_HASH = 5
    PERCPU_ARRAY = 6
    LRU_HASH = 9
    LRU_PERCPU_HASH = 10
    LPM_TRIE = 11
    ARRAY_OF_MAPS = 12
    HASH_OF_MAPS = 13
    QUEUE = 22
    STACK = 23
    RINGBUF = 27


class MapFlag(enum.IntFlag):
    """``map_flags`` of BPF_MAP_CREATE (the anonymous enum holding BPF_F_NO_PREALLOC)."""

    NO_PREALLOC = 1 << 0     # hash: allocate elements on demand; lpm_trie: required
    NO_COMMON_LRU = 1 << 1   # LRU hash: one LRU list per CPU instead of a shared one
    NUMA_NODE = 1 << 2       # honour numa_node (the model takes node 0)
    RDONLY = 1 << 3          # syscall side may only read
    WRONLY = 1 << 4          # syscall side may only write
    STACK_BUILD_ID = 1 << 5
    ZERO_SEED = 1 << 6       # hash: seed 0, so the iteration order is reproducible
    RDONLY_PROG = 1 << 7     # programs may only read (enforced by the verifier)
    WRONLY_PROG = 1 << 8     # programs may only write (enforced by the verifier)
    CLONE = 1 << 9
    MMAPABLE = 1 << 10       # array: user space may mmap the values
    PRESERVE_ELEMS = 1 << 11  # perf_event_array: keep events when the fd closes
    INNER_MAP = 1 << 12      # array as inner map: max_entries may differ per instance
    LINK = 1 << 13
    PATH_FD = 1 << 14
    VTYPE_BTF_OBJ_FD = 1 << 15
    TOKEN_FD = 1 << 16
    SEGV_ON_FAULT = 1 << 17
    NO_USER_CONV = 1 << 18


# Masks are plain ints: ``~`` of an IntFlag keeps only the bits the enum names.
ACCESS_MASK = int(MapFlag.RDONLY | MapFlag.WRONLY | MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG)
PERCPU_TYPES = frozenset({MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH})
MAP_IN_MAP_TYPES = frozenset({MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS})


class MapError(VmError):
    """The kernel refuses: ``errno`` is its (positive) error number."""

    def __init__(self, errno: int, message: str):
        super().__init__(message)
        self.errno = errno
        self.message = message


@dataclass(frozen=True)
class MapSpec:
    """What BPF_MAP_CREATE is given. ``inner`` is the template of a map-in-map's values.

    ``spin_lock_off`` stands in for the BTF a real map would carry: the offset
    of a ``struct bpf_spin_lock`` in the value (array and hash only), which
    enables BPF_F_LOCK and keeps those 4 bytes out of every copy.
    """

    type: MapType
    key_size: int
    value_size: int
    max_entries: int
    map_flags: int = 0
    name: str = ""
    inner: "MapSpec | None" = None
    spin_lock_off: int | None = None


@dataclass(frozen=True)
class Record:
    """One item of a stream-like map.

    ``seq`` orders and identifies it: a queue/stack element's push number, a
    ring-buffer record's producer position, a perf sample's number. ``state`` is
    "busy", "submitted" or "discarded" for ring-buffer records, "" otherwise;
    ``slot`` is the perf event array index a sample went to.
    """

    seq: int
    data: bytes
    state: str = ""
    slot: int = 0


@dataclass(frozen=True)
class MapSnapshot:
    """An immutable picture of a map: its elements (user-space layout) and stream contents."""

    type: MapType
    entries: tuple[tuple[bytes, bytes], ...] = ()
    records: tuple[Record, ...] = ()
    counters: tuple[tuple[str, int], ...] = ()   # e.g. ring-buffer positions


@dataclass(frozen=True)
class MapChange:
    """One difference between two snapshots; ``key`` is a record's ``seq`` for stream maps."""

    kind: str              # "added" | "removed" | "changed"
    key: bytes | int
    old: bytes | None
    new: bytes | None


def diff(before: MapSnapshot, after: MapSnapshot) -> list[MapChange]:
    """What changed: elements by key, then records by ``seq``; each in ``after``'s order,
    removals last. A record whose state changes but not its bytes counts as changed."""
    return (_changes(before.entries, after.entries)
            + _changes([(r.seq, r) for r in before.records], [(r.seq, r) for r in after.records]))


def _changes(old_pairs, new_pairs) -> list[MapChange]:
    def data(value):
        return value.data if isinstance(value, Record) else value

    old, new = dict(old_pairs), dict(new_pairs)
    changes = []
    for key, value in new_pairs:
        if key not in old:
            changes.append(MapChange("added", key, None, data(value)))
        elif old[key] != value:
            changes.append(MapChange("changed", key, data(old[key]), data(value)))
    changes += [MapChange("removed", key, data(value), None) for key, value in old_pairs
                if key not in new]
    return changes


def round8(n: int) -> int:
    return (n + 7) & ~7


def access_ok(flags: int) -> bool:
    """``bpf_map_flags_access_ok``: programs cannot be both read-only and write-only."""
    both = MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG
    return flags & both != both


def require_memory(spec: MapSpec, nbytes: int) -> None:
    """ENOMEM beyond the model's memory ceiling (the kernel's allocation failing)."""
    if nbytes > MODEL_MEMORY_LIMIT:
        raise MapError(ENOMEM, f"{spec.type.name.lower()} map would need {nbytes} bytes; "
                               f"the playground allows {MODEL_MEMORY_LIMIT}")


class BpfMap:
    """A live map. Subclasses implement the operations their type supports.

    The defaults here are the kernel's answers for an operation a type lacks.
    ``id`` plays the kernel's map id (what a map-in-map lookup from user space
    returns); ``create_map`` numbers maps from 1. ``syscall_cpu`` is the CPU the
    ``user_*`` calls run on, which matters where the kernel keeps per-CPU
    state (an LRU map's local lists, a hash map's free lists).
    """

    def __init__(self, spec: MapSpec, ncpus: int = 2, id: int = 0):
        self.spec = spec
        # The spec is frozen: its sizes are copied into plain attributes, read on every call.
        self.key_size: int = spec.key_size
        self.value_size: int = spec.value_size
        self.max_entries: int = spec.max_entries
        self.percpu: bool = spec.type in PERCPU_TYPES
        self.ncpus = ncpus
        self.id = id
        self.frozen = False
        self.syscall_cpu = 0

    def __repr__(self) -> str:
        name = f" {self.spec.name!r}" if self.spec.name else ""
        return (f"<{type(self).__name__}{name} {self.type.name} key={self.key_size} "
                f"value={self.value_size} max={self.max_entries} id={self.id}>")

    # -- properties -------------------------------------------------------------

    @property
    def type(self) -> MapType:
        return self.spec.type

    @property
    def flags(self) -> int:
        return self.spec.map_flags

    @property
    def user_value_size(self) -> int:
        """Bytes a syscall lookup returns: per-CPU maps give every CPU's value, 8-aligned."""
        if self.percpu:
            return round8(self.value_size) * self.ncpus
        return self.value_size

    # -- program side -------------------------------------------------------------

    def lookup(self, key: bytes, cpu: int = 0):
        """bpf_map_lookup_elem: the LIVE value storage (a bytearray), or None.

        Per-CPU maps answer ``cpu``'s copy (None for a CPU that does not exist,
        as bpf_map_lookup_percpu_elem does); maps of maps answer the inner
        ``BpfMap`` itself. Types programs cannot look up raise MapError.
        """
        raise MapError(EOPNOTSUPP, f"{self.type.name.lower()} maps have no lookup from programs")

    def update(self, key: bytes, value: bytes, flags: int = BPF_ANY, cpu: int = 0) -> int:
        """bpf_map_update_elem from a program running on ``cpu``: 0 or -errno."""
        return -EINVAL

    def delete(self, key: bytes, cpu: int = 0) -> int:
        """bpf_map_delete_elem from a program running on ``cpu``: 0 or -errno."""
        return -EINVAL

    # -- syscall side ---------------------------------------------------------------

    def user_lookup(self, key: bytes) -> bytes | None:
        """BPF_MAP_LOOKUP_ELEM: a copy of the value (per-CPU: every CPU's), or None."""
        self._check_readable()
        return self._user_lookup(self._key(key))

    def user_update(self, key: bytes, value, flags: int = BPF_ANY) -> int:
        """BPF_MAP_UPDATE_ELEM: 0 or -errno. Per-CPU values come for every CPU, 8-aligned."""
        error = self._check_writable(flags)
        if error:
            return error
        return self._user_update(self._key(key), value, flags)

    def user_delete(self, key: bytes) -> int:
        error = self._check_writable(0)
        if error:
            return error
        return self._user_delete(self._key(key))

    def user_lookup_and_delete(self, key: bytes) -> bytes | None:
        """BPF_MAP_LOOKUP_AND_DELETE_ELEM (a queue's or stack's pop: ``key=b""``)."""
        self._check_readable()
        if self._check_writable(0):
            raise MapError(EPERM, "the map is not writable from user space")
        return self._user_lookup_and_delete(self._key(key))

    def get_next_key(self, key: bytes | None) -> bytes | None:
        """The key after ``key`` in the kernel's iteration order; ``None`` starts, and ends."""
        self._check_readable()
        return self._get_next_key(None if key is None else self._key(key))

    def keys(self) -> list[bytes]:
        """Every key, walked with get_next_key as user space would."""
        out: list[bytes] = []
        key = self.get_next_key(None)
        while key is not None:
            out.append(key)
            key = self.get_next_key(key)
        return out

    def items(self) -> list[tuple[bytes, bytes]]:
        """Every (key, user-space value) pair, in iteration order."""
        return [(key, value) for key in self.keys()
                if (value := self._user_lookup(key)) is not None]

    def seed(self, entries) -> None:
        """Fill the map from user space (BPF_ANY); a refusal raises MapError."""
        for key, value in entries:
            error = self.user_update(key, value, BPF_ANY)
            if error:
                raise MapError(-error, f"seeding {self.type.name.lower()} map "
                                       f"{self.spec.name!r} with key {bytes(key).hex()} failed")

    def freeze(self) -> int:
        """BPF_MAP_FREEZE: user space may no longer write (programs still may)."""
        if self.spec.spin_lock_off is not None:
            return -ENOTSUPP      # maps with BTF-described fields cannot be frozen
        if self.frozen or self.flags & MapFlag.RDONLY:
            return -EPERM         # freezing needs write access, which a frozen map lacks
        self.frozen = True
        return 0

    def relink_inner_maps(self, originals: dict) -> None:
        """After a restore: point at the live map objects (``originals``: id(copy) -> live)
        instead of their copies. Only maps of maps hold other maps."""

    def snapshot(self) -> MapSnapshot:
        return MapSnapshot(self.type, tuple(self.items()))

    # -- for subclasses ---------------------------------------------------------------

    def _user_lookup(self, key: bytes) -> bytes | None:
        raise MapError(ENOTSUPP, f"{self.type.name.lower()} maps have no lookup")

    def _user_update(self, key: bytes, value, flags: int) -> int:
        return -ENOTSUPP

    def _user_delete(self, key: bytes) -> int:
        return -ENOTSUPP

    def _user_lookup_and_delete(self, key: bytes) -> bytes | None:
        raise MapError(ENOTSUPP, f"{self.type.name.lower()} maps have no lookup-and-delete")

    def _get_next_key(self, key: bytes | None) -> bytes | None:
        raise MapError(ENOTSUPP, f"{self.type.name.lower()} maps cannot be iterated")

    def _key(self, key) -> bytes:
        if type(key) is not bytes:
            key = bytes(key)
        if len(key) != self.key_size:
            raise ValueError(f"key is {len(key)} bytes; this map's keys are {self.key_size}")
        return key

    def _value(self, value, size: int | None = None) -> bytes:
        if type(value) is not bytes:
            value = bytes(value)
        want = self.value_size if size is None else size
        if len(value) != want:
            raise ValueError(f"value is {len(value)} bytes; this map needs {want}")
        return value

    def _cpu(self, cpu: int) -> int:
        if not 0 <= cpu < self.ncpus:
            raise ValueError(f"cpu {cpu} does not exist (the map was made for {self.ncpus})")
        return cpu

    def _check_readable(self) -> None:
        if self.flags & MapFlag.WRONLY:
            raise MapError(EPERM, "the map was created write-only for user space")

    def _check_writable(self, flags: int) -> int:
        if self.flags & MapFlag.RDONLY or self.frozen:
            return -EPERM
        if flags & BPF_F_LOCK and self.spec.spin_lock_off is None:
            return -EINVAL   # syscall: BPF_F_LOCK needs a bpf_spin_lock in the value
        return 0

    # Spin-lock-aware copies (copy_map_value skips the lock; user copies read it as 0).

    def _store(self, dst: bytearray, value: bytes) -> None:
        off = self.spec.spin_lock_off
        if off is None:
            dst[:] = value
        else:
            dst[:off] = value[:off]
            dst[off + 4:] = value[off + 4:]

    def _load(self, src: bytearray) -> bytes:
        off = self.spec.spin_lock_off
        if off is None:
            return bytes(src)
        return bytes(src[:off]) + bytes(4) + bytes(src[off + 4:])
