"""BTF types as JSON-able descriptions, and typed C values decoded from raw bytes.

``describe(btf, type_id)`` turns a BTF type into a plain dict the UI and the
spec can carry without the BTF blob::

    {"kind": "struct", "name": "struct event", "size": 24, "members": [
        {"name": "pid", "bit_offset": 0, "bit_size": 0,
         "type": {"kind": "typedef", "name": "pid_t", "size": 4, "type": {...int...}}},
        ...]}

Kinds: ``int`` (signed, char, bool, bits), ``float``, ``ptr`` (not followed:
its ``name`` says what it points to), ``array`` (count, element), ``struct``
and ``union`` (members with absolute bit offsets; ``bit_size`` > 0 for
bitfields), ``enum`` (values by name, signed), ``typedef`` (the named type),
``datasec`` (global variables: name, offset, size, type), and ``opaque``
kinds that hold no value (``void``, ``fwd``, ``func_proto``).
Modifiers (const, volatile, restrict, type tags) are looked through.

``format_value(description, data)`` decodes bytes as that type: ints as ints
(bools as bools), pointers as hex text, arrays as lists (char arrays as
strings when they hold text), structs and unions as dicts (anonymous members
merged into their parent), enums by enumerator name, bitfields extracted.
"""

from __future__ import annotations

import struct

from ..btf import MAX_CHAIN, Btf, BtfKind, BtfTypeError

OPAQUE = {BtfKind.FWD: "fwd", BtfKind.FUNC_PROTO: "func_proto", BtfKind.FUNC: "func"}
FLOAT_FORMATS = {2: "<e", 4: "<f", 8: "<d"}


def describe(btf: Btf, type_id: int, _depth: int = 0) -> dict:
    """A JSON-able description of a BTF type (see the module docstring)."""
    if _depth > MAX_CHAIN:
        raise BtfTypeError(type_id, f"types nest more than {MAX_CHAIN} levels deep")
    type_id = btf.skip_modifiers(type_id)
    t = btf.get(type_id)
    if t is None:
        return {"kind": "void", "name": "void", "size": 0}
    kind = t.kind
    name = btf.c_name(type_id)
    if kind is BtfKind.INT:
        info = btf.int_info(t)
        return {"kind": "int", "name": name, "size": t.size_or_type, "signed": info.signed,
                "char": info.char, "bool": info.bool, "bits": info.bits}
    if kind is BtfKind.FLOAT:
        return {"kind": "float", "name": name, "size": t.size_or_type}
    if kind is BtfKind.PTR:
        return {"kind": "ptr", "name": name, "size": 8}
    if kind is BtfKind.ARRAY:
        info = btf.array(t)
        element = describe(btf, info.type_id, _depth + 1)
        return {"kind": "array", "name": name, "size": info.nelems * element["size"],
                "count": info.nelems, "element": element}
    if kind in (BtfKind.STRUCT, BtfKind.UNION):
        members = [{"name": m.name, "bit_offset": m.bit_offset, "bit_size": m.bit_size,
                    "type": describe(btf, m.type_id, _depth + 1)} for m in btf.members(t)]
        return {"kind": kind.name.lower(), "name": name, "size": t.size_or_type,
                "members": members}
    if kind in (BtfKind.ENUM, BtfKind.ENUM64):
        return {"kind": "enum", "name": name, "size": t.size_or_type, "signed": t.kind_flag,
                "values": dict(btf.enum_values(t))}
    if kind is BtfKind.TYPEDEF:
        inner = describe(btf, t.size_or_type, _depth + 1)
        return {"kind": "typedef", "name": t.name, "size": inner["size"], "type": inner}
    if kind is BtfKind.VAR:
        return describe(btf, t.size_or_type, _depth + 1)
    if kind is BtfKind.DATASEC:
        variables = []
        for info in btf.var_secinfos(t):
            var = btf.get(info.type_id)
            variables.append({"name": var.name, "offset": info.offset, "size": info.size,
                              "type": describe(btf, info.type_id, _depth + 1)})
        return {"kind": "datasec", "name": t.name, "size": t.size_or_type, "vars": variables}
    return {"kind": OPAQUE.get(kind, kind.name.lower()), "name": name, "size": 0}


def format_value(description: dict, data: bytes):
    """Decode ``data`` as the described type into ints, strings, lists and dicts."""
    data = bytes(data)
    kind = description["kind"]
    if kind == "typedef":
        return format_value(description["type"], data)
    if kind == "int":
        return _int(description, data)
    if kind == "enum":
        value = int.from_bytes(data[:description["size"]], "little", signed=description["signed"])
        for name, number in description["values"].items():
            if number == value:
                return name
        return value
    if kind == "ptr":
        return f"0x{int.from_bytes(data[:8], 'little'):x}"
    if kind == "float":
        fmt = FLOAT_FORMATS.get(description["size"])
        if fmt is None or len(data) < description["size"]:
            return data[:description["size"]].hex()
        return struct.unpack(fmt, data[:description["size"]])[0]
    if kind == "array":
        return _array(description, data)
    if kind in ("struct", "union"):
        return _members(description, data)
    if kind == "datasec":
        return {v["name"]: format_value(v["type"], data[v["offset"]:v["offset"] + v["size"]])
                for v in description["vars"]}
    return data[:description.get("size", len(data))].hex()


def _int(description: dict, data: bytes):
    value = int.from_bytes(data[:description["size"]], "little", signed=description["signed"])
    if description.get("bool"):
        return bool(value)
    return value


def is_text_element(description: dict) -> bool:
    """Array elements that make a string: C ``char`` (or BTF's char encoding)."""
    if description["kind"] != "int" or description["size"] != 1:
        return False
    return description.get("char", False) or description["name"] in ("char", "signed char")


def _array(description: dict, data: bytes):
    element = description["element"]
    size = element["size"]
    count = description["count"]
    if is_text_element(element):
        raw = data[:count]
        text, _, rest = raw.partition(b"\0")
        if not rest.strip(b"\0"):
            try:
                decoded = text.decode("utf-8")
            except UnicodeDecodeError:
                decoded = None
            if decoded is not None and decoded.isprintable():
                return decoded
    if size == 0:
        return []
    return [format_value(element, data[i * size:(i + 1) * size]) for i in range(count)]


def _members(description: dict, data: bytes) -> dict:
    out: dict = {}
    for member in description["members"]:
        bit_offset, bit_size = member["bit_offset"], member["bit_size"]
        mtype = member["type"]
        if bit_size:
            value = _bitfield(mtype, data, bit_offset, bit_size)
        else:
            start = bit_offset // 8
            value = format_value(mtype, data[start:start + _size(mtype)])
        if not member["name"] and isinstance(value, dict):
            out.update(value)            # an anonymous struct/union: its members are ours
        else:
            out[member["name"]] = value
    return out


def _size(description: dict) -> int:
    return description.get("size", 0)


def _bitfield(description: dict, data: bytes, bit_offset: int, bit_size: int):
    first, last = bit_offset // 8, (bit_offset + bit_size + 7) // 8
    raw = int.from_bytes(data[first:last], "little") >> (bit_offset % 8)
    value = raw & ((1 << bit_size) - 1)
    underlying = description
    while underlying["kind"] == "typedef":
        underlying = underlying["type"]
    if underlying.get("signed") and value >> (bit_size - 1):
        value -= 1 << bit_size
    if underlying["kind"] == "enum":
        for name, number in underlying["values"].items():
            if number == value:
                return name
    if underlying.get("bool"):
        return bool(value)
    return value
