"""MAPS.json: the maps a program runs with, their initial contents, and its license.

Raw bytecode names maps by index (``ld_imm64`` with src_reg 1 or 2 takes the
map at index ``imm``), so for it MAPS.json defines the maps and
``create_maps`` makes them. An ELF object defines its own maps, so for it
MAPS.json only seeds them, matched by name, with ``seed_maps``. Either way
the order follows libbpf: create, write the initial value at key 0
(``init_hex``, as libbpf fills .data/.rodata), add the ``entries``, then
freeze. ``freeze`` also creates the map with BPF_F_RDONLY_PROG, as libbpf
creates .rodata, so programs cannot write it either. ``tail_call_self``
puts the program itself in program-array slots (``install_tail_call_self``).

The map classes decide sizes and limits; their MapError (with the kernel's
errno) comes back as an InputError naming the map (``maps[2]``).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from ..inputs.errors import InputError
from ..inputs.fields import (U32_MAX, boolean, child, hex_bytes, integer, item, optional,
                             require_list, require_object, string)
from ..maps import BPF_ANY, BpfMap, MapError, MapFlag, MapSpec, MapType, create_map
from ..maps.base import E2BIG, EINVAL, ENOTSUPP, MAP_IN_MAP_TYPES, round8
from .jsontext import parse_file

TYPE_PREFIX = "BPF_MAP_TYPE_"
GEOMETRY = ("type", "key_size", "value_size", "max_entries")

# Map types whose values are not bytes user space can write, and what to do instead.
NOT_SEEDABLE = {
    MapType.PROG_ARRAY: "program array slots hold programs: fill them with tail_call_self",
    MapType.PERF_EVENT_ARRAY: "perf event array slots hold perf events, which the runner opens",
    MapType.RINGBUF: "ring buffers have no elements to seed",
}


@dataclass(frozen=True)
class EntryConfig:
    """One element to add: ``value`` bytes, or for a map of maps the map ``inner_map``
    (an index into MAPS.json's maps, or a map name)."""

    key: bytes
    value: bytes | None = None
    inner_map: int | str | None = None


@dataclass(frozen=True)
class MapConfig:
    """One map of MAPS.json. Geometry fields are None when not given (ELF input needs none)."""

    name: str = ""
    type: MapType | None = None
    key_size: int | None = None
    value_size: int | None = None
    max_entries: int | None = None
    map_flags: int | None = None
    inner: MapSpec | None = None
    init: bytes | None = None
    freeze: bool = False
    entries: tuple[EntryConfig, ...] = ()


@dataclass(frozen=True)
class TailCallSelf:
    """Put the running program in slot ``key`` of a program array, named by index or name."""

    key: int
    map_index: int | None = None
    map_name: str | None = None


@dataclass(frozen=True)
class MapsConfig:
    maps: tuple[MapConfig, ...] = ()
    license: str = "GPL"
    tail_call_self: tuple[TailCallSelf, ...] = ()


# -- parsing ---------------------------------------------------------------------------------


def parse_maps(text: str | bytes) -> MapsConfig:
    """The configuration in a MAPS.json file; FormatError if it is not one."""
    return parse_file(text, "MAPS.json", maps_from_json)


def maps_from_json(value: Any) -> MapsConfig:
    """MapsConfig from decoded JSON; InputError naming the bad value's JSON path."""
    obj = require_object(value, "")
    maps = optional(obj, "maps", "", require_list, [])
    return MapsConfig(
        maps=tuple(_map_config(m, item("maps", i)) for i, m in enumerate(maps)),
        license=optional(obj, "license", "", _license, "GPL"),
        tail_call_self=tuple(_tail_call(t, item("tail_call_self", i)) for i, t in
                             enumerate(optional(obj, "tail_call_self", "", require_list, []))))


def _map_config(value: Any, path: str) -> MapConfig:
    obj = require_object(value, path)
    map_type = optional(obj, "type", path, _map_type, None)
    inner = optional(obj, "inner", path, _inner, None)
    if inner is not None and map_type is not None and map_type not in MAP_IN_MAP_TYPES:
        raise InputError(child(path, "inner"), f"only maps of maps (array_of_maps, hash_of_maps) "
                                               f"have an inner map template, not "
                                               f"{map_type.name.lower()}")
    return MapConfig(
        name=optional(obj, "name", path, string, ""),
        type=map_type,
        key_size=optional(obj, "key_size", path, _u32, None),
        value_size=optional(obj, "value_size", path, _u32, None),
        max_entries=optional(obj, "max_entries", path, _u32, None),
        map_flags=optional(obj, "map_flags", path, _u32, None),
        inner=inner,
        init=optional(obj, "init_hex", path, hex_bytes, None),
        freeze=optional(obj, "freeze", path, boolean, False),
        entries=tuple(_entry(e, item(child(path, "entries"), i)) for i, e in
                      enumerate(optional(obj, "entries", path, require_list, []))))


def _inner(value: Any, path: str) -> MapSpec:
    """The template of a map of maps' inner maps: a map's geometry and flags."""
    obj = require_object(value, path)
    for key in GEOMETRY:
        if obj.get(key) is None:
            raise InputError(child(path, key), "missing: an inner map template needs type, "
                                               "key_size, value_size and max_entries")
    return MapSpec(_map_type(obj["type"], child(path, "type")),
                   _u32(obj["key_size"], child(path, "key_size")),
                   _u32(obj["value_size"], child(path, "value_size")),
                   _u32(obj["max_entries"], child(path, "max_entries")),
                   optional(obj, "map_flags", path, _u32, 0))


def _entry(value: Any, path: str) -> EntryConfig:
    obj = require_object(value, path)
    has_value, has_inner = obj.get("value_hex") is not None, obj.get("inner_map") is not None
    if has_value == has_inner:
        raise InputError(path, "give value_hex (the value's bytes) or, for a map of maps, "
                               "inner_map (a map's index or name), and not both")
    return EntryConfig(
        key=optional(obj, "key_hex", path, lambda v, p: hex_bytes(v, p, allow_empty=True), b""),
        value=optional(obj, "value_hex", path, hex_bytes, None),
        inner_map=optional(obj, "inner_map", path, _map_reference, None))


def _tail_call(value: Any, path: str) -> TailCallSelf:
    obj = require_object(value, path)
    if (obj.get("map_index") is None) == (obj.get("map") is None):
        raise InputError(path, "give map_index (the program array's index in maps) or map (its "
                               "name), and not both")
    if obj.get("key") is None:
        raise InputError(child(path, "key"), "missing: the slot to put the program in")
    return TailCallSelf(key=_u32(obj["key"], child(path, "key")),
                        map_index=optional(obj, "map_index", path, _u32, None),
                        map_name=optional(obj, "map", path, string, None))


def _map_type(value: Any, path: str) -> MapType:
    """A kernel map type number, or its name without BPF_MAP_TYPE_, in any case."""
    if isinstance(value, str) and not value[:1].isdigit():
        name = value.upper()
        name = name[len(TYPE_PREFIX):] if name.startswith(TYPE_PREFIX) else name
        if name in MapType.__members__:
            return MapType[name]
        raise InputError(path, f"{value[:40]!r} is not a map type the playground models; it "
                               f"models {_modelled()}")
    number = integer(value, path, 0, U32_MAX)
    if number not in MapType._value2member_map_:
        raise InputError(path, f"map type {number} is not one the playground models; it models "
                               f"{_modelled()}")
    return MapType(number)


def _map_reference(value: Any, path: str) -> int | str:
    return value if isinstance(value, str) else integer(value, path, 0, U32_MAX)


def _license(value: Any, path: str) -> str:
    text = string(value, path)
    if "\0" in text:
        raise InputError(path, "a license string cannot hold a NUL character")
    return text


def _u32(value: Any, path: str) -> int:
    return integer(value, path, 0, U32_MAX)


def _modelled() -> str:
    return ", ".join(f"{t.name.lower()} ({t.value})" for t in MapType)


# -- raw bytecode: create the maps --------------------------------------------------------------


def create_maps(config: MapsConfig, ncpus: int = 2) -> list[BpfMap]:
    """The maps for raw bytecode, by ld_imm64 index, created and seeded in the config's order.

    ``ncpus`` is the machine's CPU count (per-CPU maps keep that many values).
    """
    maps = [_create(map_config, item("maps", i), ncpus) for i, map_config in
            enumerate(config.maps)]
    by_name = _names(maps)

    def resolve(reference: int | str, path: str) -> BpfMap:
        if isinstance(reference, int):
            if reference >= len(maps):
                raise InputError(path, f"map {reference} does not exist: there are {len(maps)}")
            return maps[reference]
        return _by_name(by_name, reference, path)

    for i, (map_config, bpf_map) in enumerate(zip(config.maps, maps)):
        _seed(map_config, bpf_map, item("maps", i), resolve)
    _tail_call_slots(config, maps)
    return maps


def _create(config: MapConfig, path: str, ncpus: int) -> BpfMap:
    for key in GEOMETRY:
        if getattr(config, key) is None:
            raise InputError(child(path, key), "missing: raw bytecode has no map definitions, so "
                                               "each map needs type, key_size, value_size and "
                                               "max_entries")
    flags = config.map_flags or 0
    if config.freeze:
        flags |= MapFlag.RDONLY_PROG
    spec = MapSpec(config.type, config.key_size, config.value_size, config.max_entries,
                   int(flags), name=config.name, inner=config.inner)
    try:
        return create_map(spec, ncpus)
    except MapError as error:
        extra = (" (freeze creates the map with BPF_F_RDONLY_PROG, as libbpf creates .rodata)"
                 if config.freeze else "")
        raise InputError(path, f"{_named(config)}the kernel would refuse to create it: "
                               f"{errno_name(error.errno)}: {error.message}{extra}") from None


# -- ELF input: seed the object's maps ---------------------------------------------------------


def seed_maps(config: MapsConfig, maps_by_name: Mapping[str, BpfMap]) -> None:
    """Apply init_hex, entries and freeze to an object's maps, matched by name.

    Geometry given in MAPS.json must match the object's map; ``inner_map``
    references are names (or indexes into MAPS.json's maps, taken by their name).
    """
    def resolve(reference: int | str, path: str) -> BpfMap:
        if isinstance(reference, int):
            if reference >= len(config.maps):
                raise InputError(path, f"maps[{reference}] does not exist: MAPS.json has "
                                       f"{len(config.maps)} map(s)")
            reference = config.maps[reference].name
        return _by_name(maps_by_name, reference, path)

    for i, map_config in enumerate(config.maps):
        path = item("maps", i)
        if not map_config.name:
            raise InputError(child(path, "name"), "missing: an object's maps are matched by name")
        bpf_map = _by_name(maps_by_name, map_config.name, child(path, "name"))
        _check_matches(map_config, bpf_map, path)
        _seed(map_config, bpf_map, path, resolve)


def _check_matches(config: MapConfig, bpf_map: BpfMap, path: str) -> None:
    spec = bpf_map.spec
    for key in GEOMETRY + ("map_flags",):
        given, actual = getattr(config, key), getattr(spec, key)
        if given is not None and given != actual:
            show = (lambda v: v.name.lower()) if key == "type" else str
            raise InputError(child(path, key), f"{show(given)}, but the object's map "
                                               f"{spec.name!r} has {show(actual)}")


def _by_name(maps: Mapping[str, BpfMap | None], name: str, path: str) -> BpfMap:
    if name not in maps:
        known = ", ".join(repr(n) for n in maps) or "none"
        raise InputError(path, f"no map is named {name!r}; the maps are: {known}")
    found = maps[name]
    if found is None:
        raise InputError(path, f"several maps are named {name!r}: name it by its index instead")
    return found


def _names(maps: Sequence[BpfMap]) -> dict[str, BpfMap | None]:
    """Maps by name; None for a name several maps share (the kernel allows that)."""
    names: dict[str, BpfMap | None] = {}
    for bpf_map in maps:
        if bpf_map.spec.name:
            names[bpf_map.spec.name] = None if bpf_map.spec.name in names else bpf_map
    return names


# -- seeding, shared -------------------------------------------------------------------------


def _seed(config: MapConfig, bpf_map: BpfMap, path: str,
          resolve: Callable[[int | str, str], BpfMap]) -> None:
    """init_hex at key 0, then the entries, then freeze: libbpf's order."""
    map_type = bpf_map.type
    if (config.init is not None or config.entries) and map_type in NOT_SEEDABLE:
        what = "init_hex" if config.init is not None else "entries"
        raise InputError(child(path, what), NOT_SEEDABLE[map_type])
    if config.init is not None:
        init_path = child(path, "init_hex")
        if map_type in MAP_IN_MAP_TYPES:
            raise InputError(init_path, "maps of maps hold maps: seed them with "
                                        "entries[].inner_map")
        if len(config.init) > bpf_map.value_size:
            raise InputError(init_path, f"{len(config.init)} bytes, but value_size is "
                                        f"{bpf_map.value_size}")
        value = config.init + bytes(bpf_map.value_size - len(config.init))
        _update(bpf_map, bytes(bpf_map.key_size), _user_value(bpf_map, value, init_path), init_path)
    for i, entry in enumerate(config.entries):
        entry_path = item(child(path, "entries"), i)
        if len(entry.key) != bpf_map.key_size:
            raise InputError(child(entry_path, "key_hex"), f"{len(entry.key)} bytes, but key_size "
                                                           f"is {bpf_map.key_size}")
        if map_type in MAP_IN_MAP_TYPES:
            if entry.inner_map is None:
                raise InputError(entry_path, "a map of maps stores maps: give inner_map")
            value = resolve(entry.inner_map, child(entry_path, "inner_map"))
        elif entry.value is None:
            raise InputError(entry_path, "inner_map is only for maps of maps: give value_hex")
        else:
            value = _user_value(bpf_map, entry.value, child(entry_path, "value_hex"))
        _update(bpf_map, entry.key, value, entry_path)
    if config.freeze:
        result = bpf_map.freeze()
        if result:
            raise InputError(child(path, "freeze"), f"{_named(config)}the kernel refuses to "
                                                    f"freeze it: {errno_name(-result)}")


def _user_value(bpf_map: BpfMap, value: bytes, path: str) -> bytes:
    """What BPF_MAP_UPDATE_ELEM takes: for per-CPU maps, one value is copied to every CPU."""
    if len(value) == bpf_map.user_value_size:
        return value
    if bpf_map.percpu and len(value) == bpf_map.value_size:
        slot = value + bytes(round8(len(value)) - len(value))
        return slot * bpf_map.ncpus
    sizes = (f"{bpf_map.value_size} (one value for every CPU) or {bpf_map.user_value_size} "
             f"(each CPU's, 8-byte aligned)" if bpf_map.percpu else str(bpf_map.value_size))
    raise InputError(path, f"{len(value)} bytes, but the value takes {sizes}")


def _update(bpf_map: BpfMap, key: bytes, value, path: str) -> None:
    try:
        result = bpf_map.user_update(key, value, BPF_ANY)
    except MapError as error:
        result = -error.errno
    if result:
        raise InputError(path, f"the kernel refuses the update: {errno_name(-result)}"
                               f"{UPDATE_HINTS.get(-result, '')}")


UPDATE_HINTS = {E2BIG: " (the map is full, or the index is past max_entries)",
                EINVAL: " (the value does not suit this map)"}


# -- program arrays ---------------------------------------------------------------------------


def install_tail_call_self(config: MapsConfig, maps: Sequence[BpfMap], program: Any) -> None:
    """Store ``program`` in every slot ``tail_call_self`` names.

    ``maps`` are the program's maps by index (ld_imm64 order for raw bytecode,
    the object's order for ELF); ``program`` is whatever the machine runs on a
    tail call (a ``Program``).
    """
    for prog_array, index in _tail_call_slots(config, maps):
        prog_array.set(index, program)


def _tail_call_slots(config: MapsConfig, maps: Sequence[BpfMap]) -> list[tuple[BpfMap, int]]:
    """Each tail_call_self's program array and slot, checked."""
    slots = []
    for i, target in enumerate(config.tail_call_self):
        path = item("tail_call_self", i)
        if target.map_index is not None:
            if target.map_index >= len(maps):
                raise InputError(child(path, "map_index"), f"map {target.map_index} does not "
                                                           f"exist: there are {len(maps)}")
            prog_array = maps[target.map_index]
        else:
            prog_array = _by_name(_names(maps), target.map_name, child(path, "map"))
        if prog_array.type is not MapType.PROG_ARRAY:
            raise InputError(path, f"the map's type is {prog_array.type.name.lower()}, "
                                   f"not prog_array")
        if target.key >= prog_array.max_entries:
            raise InputError(child(path, "key"), f"slot {target.key} is past the end of the "
                                                 f"program array ({prog_array.max_entries} slots)")
        slots.append((prog_array, target.key))
    return slots


def errno_name(number: int) -> str:
    """The kernel's name for an errno ("E2BIG"), as bpftool prints it."""
    if number == ENOTSUPP:
        return "ENOTSUPP"
    return errno.errorcode.get(number, f"errno {number}")


def _named(config: MapConfig) -> str:
    return f"map {config.name!r}: " if config.name else ""
