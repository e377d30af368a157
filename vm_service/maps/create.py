"""``create_map``: BPF_MAP_CREATE's checks, in the kernel's order, then the map.

The order matters because the first failing check decides the errno:

1. generic: BPF_F_RDONLY with BPF_F_WRONLY is EINVAL; an unknown type is EINVAL;
2. the type's ``map_alloc_check`` (sizes, flags);
3. a BPF token (BPF_F_TOKEN_FD): the playground has none, so EINVAL, as the
   kernel answers for an fd that is not a token;
4. the type's ``map_alloc``: geometry limits (E2BIG), memory (ENOMEM), the
   checks of types that only check here (LPM trie, ring buffer), map-in-map
   templates;
5. the name: at most 15 characters of ``[A-Za-z0-9_.]``, else EINVAL;
6. a spin lock (``MapSpec.spin_lock_off``, the BTF stand-in): arrays and
   hashes only (EOPNOTSUPP), 4-aligned inside the value (EINVAL).
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from .array import ArrayMap, check_array_spec
from .base import (EINVAL, EOPNOTSUPP, BpfMap, MapError, MapFlag, MapSpec, MapType)
from .hash import HashMap, check_hash_spec
from .lpm import LpmTrieMap, check_lpm_spec
from .map_in_map import ArrayOfMaps, HashOfMaps, check_map_in_map_spec, check_template
from .perf import PerfEventArray
from .prog_array import ProgArray
from .queue import QueueMap, check_queue_spec
from .ringbuf import RingBufMap, check_ringbuf_spec

NAME_LEN = 16   # BPF_OBJ_NAME_LEN, with the terminating NUL

_ids = itertools.count(1)


def _no_check(spec: MapSpec) -> None:
    """Types whose checks all happen at allocation."""


def _fd_array_check(spec: MapSpec) -> None:
    """``fd_array_map_alloc_check``: values are u32 fds; no program access flags."""
    if spec.value_size != 4:
        raise MapError(EINVAL, f"{spec.type.name.lower()} values are u32 fds: value_size must "
                               f"be 4, not {spec.value_size}")
    if spec.map_flags & (MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG):
        raise MapError(EINVAL, "BPF_F_RDONLY_PROG/WRONLY_PROG are not for fd arrays")
    check_array_spec(spec)


def _lpm_alloc(spec: MapSpec, ncpus: int, id: int) -> BpfMap:
    check_lpm_spec(spec)
    return LpmTrieMap(spec, ncpus, id)


def _ringbuf_alloc(spec: MapSpec, ncpus: int, id: int) -> BpfMap:
    check_ringbuf_spec(spec)
    return RingBufMap(spec, ncpus, id)


def _map_in_map_alloc(spec: MapSpec, ncpus: int, id: int) -> BpfMap:
    check_template(spec)
    create_map(spec.inner, ncpus)      # the template must itself be a map that could exist
    cls = ArrayOfMaps if spec.type is MapType.ARRAY_OF_MAPS else HashOfMaps
    return cls(spec, ncpus, id)


# type -> (map_alloc_check, map_alloc)
FAMILIES = {
    MapType.ARRAY: (check_array_spec, ArrayMap),
    MapType.PERCPU_ARRAY: (check_array_spec, ArrayMap),
    MapType.HASH: (check_hash_spec, HashMap),
    MapType.PERCPU_HASH: (check_hash_spec, HashMap),
    MapType.LRU_HASH: (check_hash_spec, HashMap),
    MapType.LRU_PERCPU_HASH: (check_hash_spec, HashMap),
    MapType.LPM_TRIE: (_no_check, _lpm_alloc),
    MapType.PROG_ARRAY: (_fd_array_check, ProgArray),
    MapType.PERF_EVENT_ARRAY: (_fd_array_check, PerfEventArray),
    MapType.ARRAY_OF_MAPS: (check_map_in_map_spec, _map_in_map_alloc),
    MapType.HASH_OF_MAPS: (check_map_in_map_spec, _map_in_map_alloc),
    MapType.QUEUE: (check_queue_spec, QueueMap),
    MapType.STACK: (check_queue_spec, QueueMap),
    MapType.RINGBUF: (_no_check, _ringbuf_alloc),
}

SPIN_LOCK_TYPES = frozenset({MapType.ARRAY, MapType.HASH})


def check_name(name: str) -> None:
    """``bpf_obj_name_cpy``: up to 15 characters, letters, digits, '_' and '.' only."""
    raw = name.encode()
    if len(raw) >= NAME_LEN:
        raise MapError(EINVAL, f"map name {name!r} is longer than {NAME_LEN - 1} characters")
    if any(not (chr(c).isalnum() and c < 128) and chr(c) not in "_." for c in raw):
        raise MapError(EINVAL, f"map name {name!r} may only hold letters, digits, '_' and '.'")


def create_map(spec: MapSpec, ncpus: int = 2) -> BpfMap:
    """A new, empty map for ``spec``, or MapError with the errno BPF_MAP_CREATE would give.

    ``ncpus`` is the number of possible CPUs: per-CPU maps keep that many values.
    """
    if ncpus < 1:
        raise ValueError("a machine has at least one CPU")
    flags = spec.map_flags
    if flags & MapFlag.RDONLY and flags & MapFlag.WRONLY:
        raise MapError(EINVAL, "BPF_F_RDONLY and BPF_F_WRONLY exclude each other")
    try:
        map_type = MapType(spec.type)
    except ValueError:
        raise MapError(EINVAL, f"map type {spec.type} is not modelled") from None
    check, alloc = FAMILIES[map_type]
    token = flags & MapFlag.TOKEN_FD
    spec = replace(spec, type=map_type, map_flags=flags & ~int(MapFlag.TOKEN_FD))
    check(spec)
    if token:
        raise MapError(EINVAL, "BPF_F_TOKEN_FD needs a BPF token; the playground has none")
    bpf_map = alloc(spec, ncpus, next(_ids))
    check_name(spec.name)
    _check_spin_lock(spec)
    return bpf_map


def _check_spin_lock(spec: MapSpec) -> None:
    off = spec.spin_lock_off
    if off is None:
        return
    if spec.type not in SPIN_LOCK_TYPES:
        raise MapError(EOPNOTSUPP, f"{spec.type.name.lower()} values cannot hold a "
                                   f"bpf_spin_lock")
    if off < 0 or off % 4 or off + 4 > spec.value_size:
        raise MapError(EINVAL, f"a bpf_spin_lock at offset {off} does not fit a 4-aligned slot "
                               f"of the {spec.value_size}-byte value")
