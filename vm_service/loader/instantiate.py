"""Engine maps from a spec: ``instantiate_maps(spec)`` creates what libbpf would create.

Each ``MapDef`` becomes a ``BpfMap`` through ``vm_service.maps.create_map``
(names cut to the kernel's 15 characters, as libbpf passes them; a perf
event array without max_entries gets one slot per CPU); global data
is written at key 0 from user space and ``.rodata`` maps are then frozen;
``values = { [i] = &inner }`` slots of maps of maps are filled with the other
maps. Program arrays hold programs, which the engine builds elsewhere: pass
``program(name) -> handle`` to fill their slots (the handle is what the
Machine's tail call runs, e.g. a ``Program``); without it they stay empty.
"""

from __future__ import annotations

from typing import Callable

from ..maps import MapError, MapSpec, create_map
from ..maps.base import BpfMap
from .kernel_enums import map_type_number
from .spec import MapDef, ObjectSpec

OBJ_NAME_LEN = 16


def created_max_entries(map_def: MapDef, ncpus: int) -> int:
    """libbpf gives a perf event array declared without max_entries one slot per CPU."""
    if map_def.type == "perf_event_array" and map_def.max_entries == 0:
        return ncpus
    return map_def.max_entries


def map_spec(map_def: MapDef, ncpus: int = 2) -> MapSpec:
    """The ``MapSpec`` (BPF_MAP_CREATE's attributes) of a map definition."""
    inner = map_spec(map_def.inner, ncpus) if map_def.inner is not None else None
    return MapSpec(map_type_number(map_def.type), map_def.key_size, map_def.value_size,
                   created_max_entries(map_def, ncpus), map_def.map_flags,
                   map_def.name[:OBJ_NAME_LEN - 1], inner=inner)


def instantiate_maps(spec: ObjectSpec, program: Callable[[str], object] | None = None,
                     ncpus: int = 2) -> list[BpfMap]:
    """One live map per ``spec.maps`` entry, in the same order (the ld_imm64 indices).

    Raises ``MapError`` (a VmError) with the kernel's errno when a map cannot
    exist, e.g. a type the playground does not model.
    """
    maps = [create_map(map_spec(map_def, ncpus), ncpus) for map_def in spec.maps]
    for map_def, bpf_map in zip(spec.maps, maps):
        if map_def.init is not None:
            _check(bpf_map.user_update(bytes(map_def.key_size), map_def.init),
                   f"initialising {map_def.name!r}")
        if map_def.frozen:
            _check(bpf_map.freeze(), f"freezing {map_def.name!r}")
    for map_def, bpf_map in zip(spec.maps, maps):
        for slot in map_def.slots:
            key = slot.index.to_bytes(map_def.key_size, "little")
            if slot.kind == "map":
                target = maps[spec.map_index(slot.name)]
                _check(bpf_map.user_update(key, target),
                       f"{map_def.name!r} values[{slot.index}] = &{slot.name}")
            elif program is not None:
                _check(bpf_map.set(slot.index, program(slot.name)),
                       f"{map_def.name!r} values[{slot.index}] = {slot.name}")
    return maps


def _check(result: int, what: str) -> None:
    if result:
        raise MapError(-result, f"{what} failed with errno {-result}")
