"""Map helpers: lookup, update, delete, and the queue/stack trio push, pop, peek.

The calling layer (``calling.py``) has checked the arguments and hands over the
map object and the key and value bytes; the map objects do the rest and answer
with the kernel's return codes (``vm_service.maps``).

A lookup returns a pointer onto the map's live storage, mapped on first use as
a region named after the map and key, so the program's stores land in the map
(and a map created with BPF_F_RDONLY_PROG hands out read-only values). Looking
up an array/hash of maps returns the inner map's handle, usable as the map
argument of further helpers, as in the kernel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .linux import ENOENT

if TYPE_CHECKING:
    from ..machine import Machine

BPF_F_RDONLY_PROG = 1 << 7


def map_label(m: "Machine", bpf_map) -> str:
    """The map's name, or ``map<N>`` after its ld_imm64 index."""
    if bpf_map.spec.name:
        return bpf_map.spec.name
    for index, other in enumerate(m.maps):
        if other is bpf_map:
            return f"map{index}"
    return "map"


def key_label(key: bytes) -> str:
    """A key as the UI shows it: small keys as a little-endian number, others in hex."""
    if 0 < len(key) <= 8:
        return str(int.from_bytes(key, "little"))
    return key.hex()


def map_handle(m: "Machine", bpf_map) -> int:
    """The handle (a map pointer) of ``bpf_map``, registering it if the program never named it."""
    for index, other in enumerate(m.maps):
        if other is bpf_map:
            return m.map_address(index)
    m.maps.append(bpf_map)
    return m.map_address(len(m.maps) - 1)


def map_lookup_elem(m: "Machine", bpf_map, key: bytes, *_args: int) -> int:
    found = bpf_map.lookup(key, cpu=m.env.cpu)
    if found is None:
        return 0
    if not isinstance(found, bytearray):  # map-in-map: the inner map
        return map_handle(m, found)
    mapped = m.memory.region_of(found)
    if mapped is not None:  # the hot path: a value looked up before
        return mapped.base
    writable = not bpf_map.spec.map_flags & BPF_F_RDONLY_PROG
    return m.value_pointer(found, f"{map_label(m, bpf_map)}[{key_label(key)}]", writable=writable)


def map_update_elem(m: "Machine", bpf_map, key: bytes, value: bytes, flags: int,
                    *_args: int) -> int:
    return bpf_map.update(key, value, flags, cpu=m.env.cpu)


def map_delete_elem(m: "Machine", bpf_map, key: bytes, *_args: int) -> int:
    return bpf_map.delete(key)


def map_push_elem(m: "Machine", bpf_map, value: bytes, flags: int, *_args: int) -> int:
    return bpf_map.push(value, flags)


def _take(m: "Machine", bpf_map, value_ptr: int, operation: str) -> int:
    """pop/peek: copy the element to value_ptr; an empty map zeroes it and answers -ENOENT."""
    size = bpf_map.spec.value_size
    result = getattr(bpf_map, operation)()
    if isinstance(result, int):
        if result == -ENOENT:
            m.memory.write_bytes(value_ptr, bytes(size))
        return result
    m.memory.write_bytes(value_ptr, bytes(result))
    return 0


def map_pop_elem(m: "Machine", bpf_map, value_ptr: int, *_args: int) -> int:
    return _take(m, bpf_map, value_ptr, "pop")


def map_peek_elem(m: "Machine", bpf_map, value_ptr: int, *_args: int) -> int:
    return _take(m, bpf_map, value_ptr, "peek")
