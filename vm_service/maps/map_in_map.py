"""Maps of maps: BPF_MAP_TYPE_ARRAY_OF_MAPS and BPF_MAP_TYPE_HASH_OF_MAPS.

The outer map's values are other maps. ``MapSpec.inner`` is the template the
kernel takes from ``inner_map_fd`` at creation; every map stored later must
match it (same type, key_size, value_size, map_flags and spin lock; for an
array template without BPF_F_INNER_MAP, the same max_entries too), or the
update is -EINVAL. Templates cannot be maps of maps (EINVAL) or program arrays
(ENOTSUPP).

A program's lookup returns the inner ``BpfMap`` object itself (the kernel
returns the inner map's pointer, which the program passes to further map
helpers); programs cannot update or delete. From user space the value is the
inner map's id: ``user_update(key, inner_map)`` stores a ``BpfMap`` (bytes
would be an fd, which the playground has none of: -EBADF) and
``user_lookup`` answers the stored map's ``id`` as a u32.
"""

from __future__ import annotations

from .array import U32, array_next_key, check_array_spec, index_of
from .base import (BPF_ANY, BPF_EXIST, E2BIG, EBADF, EINVAL, ENOENT, ENOTSUPP, BpfMap, MapError,
                   MapFlag, MapSpec, MapType, MAP_IN_MAP_TYPES)
from .hash import HashMap, _check_flags, check_hash_spec


def check_map_in_map_spec(spec: MapSpec) -> None:
    """``fd_array_map_alloc_check`` / ``fd_htab_map_alloc_check``."""
    if spec.value_size != 4:
        raise MapError(EINVAL, f"a map of maps stores map fds: value_size must be 4, "
                               f"not {spec.value_size}")
    if spec.type is MapType.ARRAY_OF_MAPS:
        if spec.map_flags & (MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG):
            raise MapError(EINVAL, "BPF_F_RDONLY_PROG/WRONLY_PROG are not for maps of maps")
        check_array_spec(spec)
    else:
        check_hash_spec(spec)


def check_template(spec: MapSpec) -> None:
    """``bpf_map_meta_alloc``: what the inner template may be."""
    inner = spec.inner
    if inner is None:
        raise MapError(EBADF, "a map of maps needs an inner map template (MapSpec.inner)")
    if inner.type in MAP_IN_MAP_TYPES:
        raise MapError(EINVAL, "maps of maps cannot nest more than one level")
    if inner.type is MapType.PROG_ARRAY:
        raise MapError(ENOTSUPP, "program arrays cannot be inner maps")


def fits_template(template: MapSpec, inner: BpfMap) -> bool:
    """``map_meta_equal``: does ``inner`` match the outer map's template?"""
    spec = inner.spec
    same = (spec.type == template.type and spec.key_size == template.key_size
            and spec.value_size == template.value_size and spec.map_flags == template.map_flags
            and spec.spin_lock_off == template.spin_lock_off)
    if same and template.type is MapType.ARRAY and not template.map_flags & MapFlag.INNER_MAP:
        same = spec.max_entries == template.max_entries
    return same


def _inner_or_error(template: MapSpec, value) -> BpfMap | int:
    if not isinstance(value, BpfMap):
        return -EBADF
    if not fits_template(template, value):
        return -EINVAL
    return value


class ArrayOfMaps(BpfMap):
    def __init__(self, spec: MapSpec, ncpus: int = 2, id: int = 0):
        super().__init__(spec, ncpus, id)
        self.slots: dict[int, BpfMap] = {}

    def lookup(self, key: bytes, cpu: int = 0) -> BpfMap | None:
        """The inner map stored at this index (not a value: the map object itself)."""
        return self.slots.get(index_of(self._key(key)))

    def update(self, key: bytes, value, flags: int = 0, cpu: int = 0) -> int:
        return -EINVAL          # programs only look maps of maps up

    def _user_lookup(self, key: bytes) -> bytes | None:
        inner = self.slots.get(index_of(key))
        return None if inner is None else U32.pack(inner.id)

    def _user_update(self, key: bytes, value, flags: int) -> int:
        """``bpf_fd_array_map_update_elem``."""
        if flags != BPF_ANY:
            return -EINVAL
        index = index_of(key)
        if index >= self.max_entries:
            return -E2BIG
        inner = _inner_or_error(self.spec.inner, value)
        if isinstance(inner, int):
            return inner
        self.slots[index] = inner
        return 0

    def _user_delete(self, key: bytes) -> int:
        index = index_of(key)
        if index >= self.max_entries:
            return -E2BIG
        return 0 if self.slots.pop(index, None) is not None else -ENOENT

    def _get_next_key(self, key: bytes | None) -> bytes | None:
        return array_next_key(key, self.max_entries)

    def items(self) -> list[tuple[bytes, bytes]]:
        self._check_readable()
        return [(U32.pack(i), U32.pack(m.id)) for i, m in sorted(self.slots.items())]

    def relink_inner_maps(self, originals: dict) -> None:
        self.slots = {i: originals.get(id(m), m) for i, m in self.slots.items()}


class HashOfMaps(HashMap):
    """A hash table whose element values are inner maps, replaced in place."""

    def lookup(self, key: bytes, cpu: int = 0) -> BpfMap | None:
        elem = self.elems.get(self._key(key))
        return None if elem is None else elem.value

    def update(self, key: bytes, value, flags: int = 0, cpu: int = 0) -> int:
        return -EINVAL          # programs only look maps of maps up

    def delete(self, key: bytes, cpu: int = 0) -> int:
        return -EINVAL

    def _user_value(self, value) -> bytes:
        return U32.pack(value.id)

    def _user_update(self, key: bytes, value, flags: int) -> int:
        """``bpf_fd_htab_map_update_elem``: the map first, then the in-place update."""
        inner = _inner_or_error(self.spec.inner, value)
        if isinstance(inner, int):
            return inner
        if flags > BPF_EXIST:
            return -EINVAL
        old = self.elems.get(key)
        error = _check_flags(old, flags)
        if error:
            return error
        if old is not None:
            old.value = inner
            return 0
        if len(self.elems) >= self.max_entries:
            return -E2BIG
        self._link(key, inner)
        return 0

    def _user_lookup_and_delete(self, key: bytes) -> bytes | None:
        raise MapError(ENOTSUPP, "maps of maps have no lookup-and-delete")

    def relink_inner_maps(self, originals: dict) -> None:
        for elem in self.elems.values():
            elem.value = originals.get(id(elem.value), elem.value)

    def _delete(self, key: bytes, cpu: int) -> int:
        if self.elems.pop(key, None) is None:
            return -ENOENT
        self.order = None
        return 0
