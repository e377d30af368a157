"""BPF maps with the kernel's semantics (Linux 6.18 is the reference).

    from vm_service.maps import MapSpec, MapType, create_map, BPF_NOEXIST
    counts = create_map(MapSpec(MapType.HASH, key_size=4, value_size=8, max_entries=64))
    counts.update(key, value, BPF_NOEXIST)      # a program's update: 0 or -errno
    value = counts.lookup(key)                  # the live bytearray, or None
    counts.user_lookup(key)                     # what bpf(2) would copy out

One module per family: ``array`` (array, per-CPU array), ``hash`` (hash,
per-CPU, LRU and per-CPU LRU, with ``lru`` for the LRU lists), ``lpm``,
``queue`` (queue and stack), ``ringbuf``, ``perf``, ``prog_array``,
``map_in_map``; ``base`` holds what they share (see its docstring for the
return conventions) and ``create`` the creation checks.
"""

from .array import ArrayMap
from .base import (BPF_ANY, BPF_EXIST, BPF_F_CURRENT_CPU, BPF_F_INDEX_MASK, BPF_F_LOCK,
                   BPF_NOEXIST, E2BIG, EAGAIN, EBADF, EBUSY, EEXIST, EINVAL, ENOENT, ENOMEM,
                   ENOSPC, ENOTSUPP, EOPNOTSUPP, EPERM, PERCPU_TYPES, BpfMap, MapChange, MapError,
                   MapFlag, MapSnapshot, MapSpec, MapType, Record, diff)
from .create import create_map
from .hash import HashMap
from .lpm import LpmTrieMap, lpm_key
from .map_in_map import ArrayOfMaps, HashOfMaps
from .perf import PerfEventArray
from .prog_array import ProgArray
from .queue import QueueMap
from .ringbuf import (BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP,
                      BPF_RB_PROD_POS, BPF_RB_RING_SIZE, RingBufMap)

__all__ = [
    "BPF_ANY", "BPF_EXIST", "BPF_F_CURRENT_CPU", "BPF_F_INDEX_MASK", "BPF_F_LOCK", "BPF_NOEXIST",
    "BPF_RB_AVAIL_DATA", "BPF_RB_CONS_POS", "BPF_RB_FORCE_WAKEUP", "BPF_RB_NO_WAKEUP",
    "BPF_RB_PROD_POS", "BPF_RB_RING_SIZE",
    "E2BIG", "EAGAIN", "EBADF", "EBUSY", "EEXIST", "EINVAL", "ENOENT", "ENOMEM", "ENOSPC",
    "ENOTSUPP", "EOPNOTSUPP", "EPERM",
    "PERCPU_TYPES", "ArrayMap", "ArrayOfMaps", "BpfMap", "HashMap", "HashOfMaps", "LpmTrieMap",
    "MapChange", "MapError", "MapFlag", "MapSnapshot", "MapSpec", "MapType", "PerfEventArray",
    "ProgArray", "QueueMap", "Record", "RingBufMap", "create_map", "diff", "lpm_key",
]
