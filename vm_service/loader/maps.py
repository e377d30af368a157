"""The "load maps" stage: every map an object declares, in libbpf's order.

Three sources, as libbpf collects them:

1. the legacy ``maps`` section: one ``struct bpf_map_def`` (type, key_size,
   value_size, max_entries, map_flags: five u32) per symbol;
2. BTF-defined maps in ``.maps``: each variable's struct type says what the
   map is, one member per attribute. ``__uint(name, N)`` is a pointer to an
   array of N elements; ``__type(key, T)`` a pointer to T; ``__ulong(name, N)``
   an enum whose one value is N; ``__array(values, struct {...})`` an array of
   pointers to the inner map's own definition (maps of maps) or to a function
   prototype (program arrays), whose initial slots come from ``.rel.maps``;
3. global data: ``.data``, ``.rodata``, ``.bss`` and their ``.data.*``-style
   custom sections become single-element array maps holding the section,
   named as libbpf names them; ``.rodata*`` ones are read-only for programs
   and frozen.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ..btf import Btf, BtfKind
from .elf import R_BPF_64_ABS64, ElfObject, Section, Symbol
from .errors import ElfLoadError
from .kernel_enums import MAP_IN_MAP, map_type_name
from .spec import MapDef, MapSlot
from .types import describe

STAGE = "load maps"
OBJ_NAME_LEN = 16                 # BPF_OBJ_NAME_LEN
BPF_F_RDONLY_PROG = 1 << 7
BPF_F_MMAPABLE = 1 << 10
LEGACY_DEF = struct.Struct("<5I")  # struct bpf_map_def
VAR_STATIC = 0

# BTF map definition members that are plain numbers (``__uint``/``__ulong``).
NUMBER_FIELDS = ("type", "max_entries", "map_flags", "numa_node", "key_size", "value_size",
                 "pinning", "map_extra")


@dataclass
class MapTable:
    """The object's maps, and how relocations find them."""

    maps: list[MapDef] = field(default_factory=list)
    by_symbol: dict[tuple[int, int], int] = field(default_factory=dict)  # (section, offset) -> index
    by_data_section: dict[int, int] = field(default_factory=dict)        # section -> index

    def add(self, map_def: MapDef) -> int:
        self.maps.append(map_def)
        return len(self.maps) - 1


def fail(message: str) -> ElfLoadError:
    return ElfLoadError(STAGE, message)


def object_name(name: str) -> str:
    """libbpf's object name: the file's base name up to its first dot ("minimal.bpf.o" -> "minimal")."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.split(".", 1)[0] or "object"


def internal_map_name(obj_name: str, section: str) -> str:
    """libbpf's name for a global-data map: a prefix of the object name plus the section.

    The section part takes at least 7 characters of room (so ``.bss`` maps get
    the same 8-character prefix as ``.rodata`` ones); a custom section with a
    second dot (``.data.counters``) goes without prefix; 15 characters at most,
    anything but letters, digits, '_' and '.' becomes '_'.
    """
    suffix_len = min(max(7, len(section)), OBJ_NAME_LEN - 1)
    prefix_len = 0 if "." in section[1:] else min(OBJ_NAME_LEN - suffix_len - 1, len(obj_name))
    name = (obj_name[:prefix_len] + section[:suffix_len])[:OBJ_NAME_LEN - 1]
    return "".join(c if c.isascii() and (c.isalnum() or c in "_.") else "_" for c in name)


def data_section_kind(section: Section) -> str | None:
    """"data", "rodata" or "bss" for a global-data section, else None."""
    name = section.name
    if section.type == "SHT_NOBITS" and (name == ".bss" or name.startswith(".bss.")):
        return "bss"
    if section.type != "SHT_PROGBITS" or section.executable:
        return None
    if name == ".data" or name.startswith(".data."):
        return "data"
    if name == ".rodata" or name.startswith(".rodata."):
        return "rodata"
    return None


def load_maps(obj: ElfObject, btf: Btf | None, name: str) -> MapTable:
    table = MapTable()
    legacy = obj.section_named("maps")
    if legacy is not None:
        _legacy_maps(obj, legacy, btf, table)
    btf_maps = obj.section_named(".maps")
    if btf_maps is not None:
        if btf is None:
            raise fail("the .maps section needs BTF to say what its maps are (compile with -g)")
        _btf_maps(obj, btf_maps, btf, table)
    for section in obj.sections:
        kind = data_section_kind(section)
        if kind is not None and section.size > 0:
            _data_map(obj, section, kind, btf, object_name(name), table)
    _check_unique_names(table.maps)
    return table


def _check_unique_names(maps: list[MapDef]) -> None:
    seen = set()
    for map_def in maps:
        if map_def.name in seen:
            raise fail(f"two maps are called {map_def.name!r}")
        seen.add(map_def.name)


# -- legacy "maps" section ----------------------------------------------------------

def _legacy_maps(obj: ElfObject, section: Section, btf: Btf | None, table: MapTable) -> None:
    symbols = [s for s in obj.symbols_in(section.index) if s.type != "STT_SECTION" and s.name]
    if not symbols:
        return
    if section.type == "SHT_NOBITS":
        raise fail("the maps section has no data (map definitions must be initialised)")
    def_size = section.size // len(symbols)
    if def_size == 0 or section.size % len(symbols):
        raise fail(f"the maps section ({section.size} bytes) does not divide into "
                   f"{len(symbols)} map definitions")
    for symbol in sorted(symbols, key=lambda s: s.value):
        if symbol.value + def_size > section.size:
            raise fail(f"map {symbol.name!r} at offset {symbol.value} runs past the maps section")
        raw = section.data[symbol.value:symbol.value + def_size].ljust(LEGACY_DEF.size, b"\0")
        map_type, key_size, value_size, max_entries, flags = LEGACY_DEF.unpack_from(raw)
        if any(raw[LEGACY_DEF.size:def_size]):
            raise fail(f"map {symbol.name!r}: fields past struct bpf_map_def are not supported")
        key_type = value_type = None
        if btf is not None:
            key_type, value_type = _annotated_kv(btf, symbol.name)
        index = table.add(MapDef(symbol.name, map_type_name(map_type), key_size, value_size,
                                 max_entries, flags, key_type=key_type, value_type=value_type,
                                 section="maps"))
        table.by_symbol[(section.index, symbol.value)] = index


def _annotated_kv(btf: Btf, name: str) -> tuple[dict | None, dict | None]:
    """BPF_ANNOTATE_KV_PAIR's ``struct ____btf_map_<name> { key; value; }``, if present."""
    for type_id in btf.find(f"____btf_map_{name}", BtfKind.STRUCT):
        members = {m.name: m.type_id for m in btf.members(btf.get(type_id))}
        if "key" in members and "value" in members:
            return describe(btf, members["key"]), describe(btf, members["value"])
    return None, None


# -- BTF-defined maps (.maps) -------------------------------------------------------------

def _btf_maps(obj: ElfObject, section: Section, btf: Btf, table: MapTable) -> None:
    datasecs = btf.find(".maps", BtfKind.DATASEC)
    if not datasecs:
        raise fail("BTF has no DATASEC for the .maps section")
    symbols = {s.name: s for s in obj.symbols_in(section.index) if s.type != "STT_SECTION"}
    placed: list[tuple[int, int, int, dict]] = []   # (offset, size, index, member offsets)
    for info in btf.var_secinfos(btf.get(datasecs[0])):
        var = btf.get(info.type_id)
        if var is None or var.kind is not BtfKind.VAR:
            raise fail(f".maps DATASEC entry [{info.type_id}] is not a variable")
        symbol = symbols.get(var.name)
        offset = symbol.value if symbol is not None else info.offset
        def_type = btf.resolve(var.size_or_type)
        map_def, member_offsets = _parse_btf_def(btf, def_type, var.name, inner_allowed=True)
        # Initialised ``values`` slots extend the variable past its struct's size.
        size = max(btf.size_of(def_type), info.size, symbol.size if symbol is not None else 0)
        if offset + size > section.size:
            raise fail(f"map {var.name!r} at offset {offset} runs past the .maps section")
        index = table.add(map_def)
        table.by_symbol[(section.index, offset)] = index
        placed.append((offset, size, index, member_offsets))
    _initial_slots(obj, section, table, placed)


def _parse_btf_def(btf: Btf, type_id: int, name: str, inner_allowed: bool) -> tuple[MapDef, dict]:
    t = btf.get(type_id)
    if t is None or t.kind is not BtfKind.STRUCT:
        raise fail(f"map {name!r}: its definition is not a struct")
    numbers: dict[str, int] = {}
    key_id = value_id = None
    inner: MapDef | None = None
    values_target: int | None = None
    member_offsets = {}
    for member in btf.members(t):
        member_offsets[member.name] = member.bit_offset // 8
        if member.name in NUMBER_FIELDS:
            numbers[member.name] = _number(btf, member.type_id, name, member.name)
        elif member.name in ("key", "value"):
            pointer = btf.get(btf.resolve(member.type_id))
            if pointer is None or pointer.kind is not BtfKind.PTR:
                raise fail(f"map {name!r}: {member.name} must be __type({member.name}, T)")
            if member.name == "key":
                key_id = pointer.size_or_type
            else:
                value_id = pointer.size_or_type
        elif member.name == "values":
            values_target = _values_target(btf, member.type_id, name)
        else:
            raise fail(f"map {name!r}: unknown attribute {member.name!r}")
    if "type" not in numbers:
        raise fail(f"map {name!r}: no __uint(type, ...)")
    map_type = map_type_name(numbers["type"])
    key_size = _sized(btf, name, "key", key_id, numbers.get("key_size"))
    value_size = _sized(btf, name, "value", value_id, numbers.get("value_size"))
    if values_target is not None:
        if map_type not in MAP_IN_MAP and map_type != "prog_array":
            raise fail(f"map {name!r}: __array(values, ...) is only for maps of maps and "
                       f"program arrays, not {map_type}")
        if value_size not in (0, 4):
            raise fail(f"map {name!r}: a {map_type} holds 4-byte ids, not {value_size}-byte values")
        value_size = 4
        target = btf.get(btf.resolve(values_target))
        if map_type in MAP_IN_MAP:
            if not inner_allowed:
                raise fail(f"map {name!r}: an inner map cannot itself hold maps")
            if target is None or target.kind is not BtfKind.STRUCT:
                raise fail(f"map {name!r}: __array(values, ...) must name the inner map's struct")
            inner, _ = _parse_btf_def(btf, target.id, f"{name}.inner", inner_allowed=False)
        elif target is None or target.kind is not BtfKind.FUNC_PROTO:
            raise fail(f"map {name!r}: a program array's values are functions: "
                       f"__array(values, int (void *))")
    map_def = MapDef(
        name=name, type=map_type, key_size=key_size, value_size=value_size,
        max_entries=numbers.get("max_entries", 0), map_flags=numbers.get("map_flags", 0),
        inner=inner,
        key_type=describe(btf, key_id) if key_id is not None else None,
        value_type=describe(btf, value_id) if value_id is not None and inner is None else None,
        pinning=numbers.get("pinning", 0), numa_node=numbers.get("numa_node"),
        map_extra=numbers.get("map_extra"))
    return map_def, member_offsets


def _number(btf: Btf, type_id: int, name: str, attribute: str) -> int:
    """``__uint(attr, N)``: pointer to an array of N; ``__ulong(attr, N)``: an enum valued N."""
    t = btf.get(btf.resolve(type_id))
    if t is not None and t.kind is BtfKind.PTR:
        array = btf.get(btf.resolve(t.size_or_type))
        if array is not None and array.kind is BtfKind.ARRAY:
            return btf.array(array).nelems
    if t is not None and t.kind in (BtfKind.ENUM, BtfKind.ENUM64) and t.vlen == 1:
        return btf.enum_values(t)[0][1]
    raise fail(f"map {name!r}: {attribute} must be __uint({attribute}, N)")


def _sized(btf: Btf, name: str, what: str, type_id: int | None, size: int | None) -> int:
    if type_id is None:
        return size or 0
    actual = btf.size_of(type_id)
    if size is not None and size != actual:
        raise fail(f"map {name!r}: {what}_size {size} disagrees with sizeof({what}) = {actual}")
    return actual


def _values_target(btf: Btf, type_id: int, name: str) -> int:
    """``__array(values, T)``: an array of pointers to T; returns T."""
    array = btf.get(btf.resolve(type_id))
    if array is None or array.kind is not BtfKind.ARRAY:
        raise fail(f"map {name!r}: values must be __array(values, ...)")
    pointer = btf.get(btf.resolve(btf.array(array).type_id))
    if pointer is None or pointer.kind is not BtfKind.PTR:
        raise fail(f"map {name!r}: values must be an array of pointers")
    return pointer.size_or_type


def _initial_slots(obj: ElfObject, section: Section, table: MapTable,
                   placed: list[tuple[int, int, int, dict]]) -> None:
    """``.rel.maps``: ``values = { [i] = &target }`` initialisers of the maps in ``.maps``."""
    for reloc in obj.relocations.get(section.index, []):
        owner = next((p for p in placed if p[0] <= reloc.offset < p[0] + p[1]), None)
        if owner is None:
            raise fail(f".maps relocation at {reloc.offset} is not inside any map")
        offset, _size, index, member_offsets = owner
        map_def = table.maps[index]
        values_at = member_offsets.get("values")
        if values_at is None or reloc.offset - offset < values_at:
            raise fail(f"map {map_def.name!r}: only its values can point to other objects")
        if reloc.type != R_BPF_64_ABS64:
            raise fail(f"map {map_def.name!r}: unexpected relocation type {reloc.type}")
        slot, rest = divmod(reloc.offset - offset - values_at, 8)
        if rest:
            raise fail(f"map {map_def.name!r}: a values entry at a misaligned offset")
        if slot >= map_def.max_entries:
            raise fail(f"map {map_def.name!r}: values[{slot}] is past max_entries "
                       f"{map_def.max_entries}")
        map_def.slots.append(_slot_target(obj, table, map_def, slot, reloc.symbol))
    for map_def in table.maps:
        map_def.slots.sort(key=lambda s: s.index)


def _slot_target(obj: ElfObject, table: MapTable, map_def: MapDef, slot: int,
                 symbol: Symbol) -> MapSlot:
    if map_def.type == "prog_array":
        target = obj.sections[symbol.section] if symbol.section is not None else None
        if symbol.type != "STT_FUNC" or target is None or not target.executable:
            raise fail(f"map {map_def.name!r}: values[{slot}] must be a program, not {symbol.name!r}")
        return MapSlot(slot, "program", symbol.name)
    target_index = table.by_symbol.get((symbol.section, symbol.value))
    if target_index is None:
        raise fail(f"map {map_def.name!r}: values[{slot}] = &{symbol.name}, which is not a map")
    return MapSlot(slot, "map", table.maps[target_index].name)


# -- global data ------------------------------------------------------------------------

def _data_map(obj: ElfObject, section: Section, kind: str, btf: Btf | None, obj_name: str,
              table: MapTable) -> None:
    value_type = None
    mmapable = False
    if btf is not None:
        datasecs = btf.find(section.name, BtfKind.DATASEC)
        if datasecs:
            value_type, mmapable = _datasec(obj, section, btf, datasecs[0])
    flags = (BPF_F_RDONLY_PROG if kind == "rodata" else 0) | (BPF_F_MMAPABLE if mmapable else 0)
    init = bytes(section.size) if kind == "bss" else section.data
    index = table.add(MapDef(
        name=internal_map_name(obj_name, section.name), type="array", key_size=4,
        value_size=section.size, max_entries=1, map_flags=flags,
        key_type={"kind": "int", "name": "int", "size": 4, "signed": True, "char": False,
                  "bool": False, "bits": 32},
        value_type=value_type, init=init, frozen=kind == "rodata", section=section.name))
    table.by_data_section[section.index] = index


def _datasec(obj: ElfObject, section: Section, btf: Btf, type_id: int) -> tuple[dict, bool]:
    """The section's variables at their offsets (from the symbols, as libbpf fixes them up)."""
    symbols = {s.name: s.value for s in obj.symbols_in(section.index) if s.type == "STT_OBJECT"}
    variables = []
    mmapable = False
    for info in btf.var_secinfos(btf.get(type_id)):
        var = btf.get(info.type_id)
        if var is None or var.kind is not BtfKind.VAR:
            continue
        mmapable |= btf.var_linkage(var) != VAR_STATIC
        offset = symbols.get(var.name, info.offset)
        size = btf.size_of(var.size_or_type)
        if offset + size > section.size:
            raise fail(f"variable {var.name!r} at offset {offset} runs past {section.name}")
        variables.append({"name": var.name, "offset": offset, "size": size,
                          "type": describe(btf, var.size_or_type)})
    return ({"kind": "datasec", "name": section.name, "size": section.size, "vars": variables},
            mmapable)
