"""Map helpers: lookup, update, delete, and the queue/stack trio push, pop, peek.

Keys and values are read from simulated memory; the prototype check has already
made sure they are there (``calling.py``). The map objects do the rest and
answer with the kernel's return codes (``vm_service.maps``).

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


def map_lookup_elem(m: "Machine", map_ptr: int, key_ptr: int, *_args: int) -> int:
    bpf_map = m.map_at(map_ptr)
    key = m.memory.read_bytes(key_ptr, bpf_map.spec.key_size)
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


def map_update_elem(m: "Machine", map_ptr: int, key_ptr: int, value_ptr: int, flags: int,
                    *_args: int) -> int:
    bpf_map = m.map_at(map_ptr)
    key = m.memory.read_bytes(key_ptr, bpf_map.spec.key_size)
    value = m.memory.read_bytes(value_ptr, bpf_map.spec.value_size)
    return bpf_map.update(key, value, flags, cpu=m.env.cpu)


def map_delete_elem(m: "Machine", map_ptr: int, key_ptr: int, *_args: int) -> int:
    bpf_map = m.map_at(map_ptr)
    return bpf_map.delete(m.memory.read_bytes(key_ptr, bpf_map.spec.key_size))


def map_push_elem(m: "Machine", map_ptr: int, value_ptr: int, flags: int, *_args: int) -> int:
    bpf_map = m.map_at(map_ptr)
    return bpf_map.push(m.memory.read_bytes(value_ptr, bpf_map.spec.value_size), flags)


def _take(m: "Machine", map_ptr: int, value_ptr: int, operation: str) -> int:
    """pop/peek: copy the element to value_ptr; an empty map zeroes it and answers -ENOENT."""
    bpf_map = m.map_at(map_ptr)
    size = bpf_map.spec.value_size
    result = getattr(bpf_map, operation)()
    if isinstance(result, int):
        if result == -ENOENT:
            m.memory.write_bytes(value_ptr, bytes(size))
        return result
    m.memory.write_bytes(value_ptr, bytes(result))
    return 0


def map_pop_elem(m: "Machine", map_ptr: int, value_ptr: int, *_args: int) -> int:
    return _take(m, map_ptr, value_ptr, "pop")


def map_peek_elem(m: "Machine", map_ptr: int, value_ptr: int, *_args: int) -> int:
    return _take(m, map_ptr, value_ptr, "peek")
