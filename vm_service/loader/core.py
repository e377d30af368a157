"""The "CO-RE" stage: ``bpf_core_relo`` records resolved against the simulated kernel's BTF.

Follows libbpf's resolution (tools/lib/bpf/relo_core.c), in our own code:

1. **Local spec.** The access string (``"0:24:1"``) walks the local root type:
   the first number indexes the root as an array, the next ones pick struct
   members or array elements. Named members become *accessors* to match;
   anonymous struct/union members are only stepped through.
2. **Candidates.** Every target type of a compatible kind whose name equals
   the local name without its ``___flavour`` suffix (``task_struct___old`` ->
   ``task_struct``).
3. **Matching.** Each accessor is found in the candidate by name, looking
   through anonymous members; field types must be compatible (ints with ints
   of any size, pointers with pointers, arrays by element, composites with
   composites, enums by name). Type relocations compare whole types; enum
   value relocations look the enumerator up by name.
4. **Result.** Field offset (bitfields: the aligned window to load), size,
   signedness, the shifts that extract a bitfield, existence; type id, size,
   existence, match; enumerator existence and value. Every matching
   candidate must agree, or the relocation is ambiguous (an error, as libbpf).
5. **Patch.** ALU immediates, load/store offsets (resizing the access when
   the field's size differs and that is safe), ld_imm64 values. Where the
   target lacks what a non-existence relocation needs, the instruction is
   *poisoned*: it becomes ``call 0xbad2310``, a helper that does not exist, so
   the program loads and faults only if that code runs. Existence checks and
   type relocations without a target give 0 instead.

Errors (a relocation libbpf would refuse: a bad access string, an
instruction that does not carry the compiler's value, ambiguous candidates)
name the relocation: its number, type, access string and instruction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..btf import Btf, BtfKind, BtfTypeError
from ..isa import Insn
from .btf_ext import BtfExt, CoreRecord
from .errors import ElfLoadError
from .link import Function, LinkedProgram
from .spec import CoreRelocation

STAGE = "CO-RE"
POISON_HELPER = 0xBAD2310          # libbpf's invalid helper id: "call 195896080"
SPEC_MAX_LEN = 64
MASK64 = (1 << 64) - 1
SHRT_MAX = 0x7FFF

KIND_NAMES = ("field_byte_offset", "field_byte_size", "field_exists", "field_signed",
              "field_lshift_u64", "field_rshift_u64", "type_id_local", "type_id_target",
              "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches")
FIELD_KINDS = frozenset(range(0, 6))
TYPE_KINDS = frozenset({6, 7, 8, 9, 12})
ENUM_KINDS = frozenset({10, 11})
FIELD_BYTE_OFFSET, FIELD_BYTE_SIZE, FIELD_EXISTS, FIELD_SIGNED = 0, 1, 2, 3
FIELD_LSHIFT_U64, FIELD_RSHIFT_U64 = 4, 5
TYPE_ID_LOCAL, TYPE_ID_TARGET, TYPE_EXISTS, TYPE_SIZE = 6, 7, 8, 9
ENUMVAL_EXISTS, ENUMVAL_VALUE, TYPE_MATCHES = 10, 11, 12

COMPOSITE = (BtfKind.STRUCT, BtfKind.UNION)
ENUMS = (BtfKind.ENUM, BtfKind.ENUM64)

# Instruction classes (opcode & 7) and sizes (opcode & 0x18).
CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_STX, CLASS_ALU, CLASS_ALU64 = 0, 1, 2, 3, 4, 7
SIZE_BYTES = {0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8}
BYTES_SIZE = {size: code for code, size in SIZE_BYTES.items()}
LD_IMM64 = 0x18


class _Fail(Exception):
    """A relocation libbpf would refuse; turned into ElfLoadError with the relocation named."""


@dataclass
class Accessor:
    type_id: int          # named member: its struct/union; array access: the element type
    index: int
    name: str | None      # member or enumerator name; None for array accesses


@dataclass
class Spec:
    btf: Btf
    root_id: int
    accessors: list[Accessor] = field(default_factory=list)
    raw: list[int] = field(default_factory=list)
    bit_offset: int = 0


@dataclass
class Result:
    orig: int = 0
    new: int = 0
    orig_size: int = 0
    new_size: int = 0
    orig_type: int = 0
    new_type: int = 0
    validate: bool = True
    poison: bool = False
    bad_size: bool = False


# -- wiring into the loader --------------------------------------------------------------------

def assign_records(functions: list[Function], ext: BtfExt | None) -> None:
    """Give each function the CO-RE records of its instructions."""
    if ext is None:
        return
    for record in ext.core:
        slot = record.insn_off // 8
        owner = next((f for f in functions if f.section_name == record.section
                      and f.start <= slot < f.end), None)
        if owner is None or record.insn_off % 8:
            raise ElfLoadError("load programs", f"CO-RE relocation at byte {record.insn_off} of "
                                                f"{record.section!r} is not on a function's instruction")
        owner.core.append(record)


def apply(functions: list[Function], btf: Btf | None,
          target: Btf | None = None) -> dict[tuple[int, int], list[tuple[int, CoreRelocation]]]:
    """Resolve and patch every function's relocations; returns them by function."""
    out: dict[tuple[int, int], list[tuple[int, CoreRelocation]]] = {}
    if not any(f.core for f in functions):
        return out
    if btf is None:
        raise ElfLoadError(STAGE, "CO-RE relocations need the object's BTF")
    if target is None:
        from ..kernel_types import kernel_btf
        target = kernel_btf()
    for function in functions:
        done = []
        for number, record in enumerate(function.core):
            index = record.insn_off // 8 - function.start
            try:
                done.append((index, _relocate(function, index, record, btf, target)))
            except (_Fail, BtfTypeError) as error:
                raise ElfLoadError(STAGE, f"relo #{number} in {function.name}: "
                                          f"{_describe(btf, record)} at insn {index}: {error}") from None
        out[function.key] = done
    return out


def placed(relocations: dict[tuple[int, int], list[tuple[int, CoreRelocation]]],
           linked: LinkedProgram) -> list[CoreRelocation]:
    """The relocations of every function copy in a linked program, at their slots."""
    out = []
    for placement in linked.placements:
        for index, relo in relocations.get(placement.function.key, []):
            out.append(replace(relo, insn=placement.offset + index))
    return sorted(out, key=lambda r: r.insn)


def _describe(btf: Btf, record: CoreRecord) -> str:
    kind = KIND_NAMES[record.kind] if record.kind < len(KIND_NAMES) else f"kind {record.kind}"
    try:
        name = btf.c_name(record.type_id)
    except BtfTypeError:
        name = f"[{record.type_id}]"
    return f"{kind} of {name} (access {record.access!r})"


# -- one relocation --------------------------------------------------------------------------------

def _relocate(function: Function, index: int, record: CoreRecord, btf: Btf,
              target: Btf) -> CoreRelocation:
    if record.kind >= len(KIND_NAMES):
        raise _Fail(f"unknown relocation kind {record.kind}")
    local = parse_spec(btf, record.type_id, record.access, record.kind)
    result = resolve(local, record.kind, target)
    before = list(function.insns)
    poisoned = _patch(function, index, result)
    if poisoned:
        outcome = "poisoned"
    else:
        outcome = "patched" if function.insns != before else "unchanged"
    return CoreRelocation(
        insn=index, kind=KIND_NAMES[record.kind], type_name=btf.c_name(record.type_id),
        access=record.access, spec=spec_text(local, record.kind),
        local=result.orig, target=None if poisoned else result.new, outcome=outcome)


def resolve(local: Spec, kind: int, target: Btf) -> Result:
    """The relocation's local and target values, checked across every candidate."""
    if kind == TYPE_ID_LOCAL:
        return Result(local.root_id, local.root_id, validate=False)
    root = local.btf.get(local.root_id)
    if root is None or not root.name:
        raise _Fail("relocations against anonymous types are not supported")
    chosen: tuple[Result, Spec] | None = None
    for candidate in candidates(local.btf, local.root_id, target):
        spec = match(local, kind, target, candidate)
        if spec is None:
            continue
        result = calculate(kind, local, spec)
        if chosen is None:
            chosen = (result, spec)
        elif spec.bit_offset != chosen[1].bit_offset:
            raise _Fail(f"field offset ambiguity: {spec.bit_offset} != {chosen[1].bit_offset} "
                        f"between candidates")
        elif result.poison != chosen[0].poison or result.new != chosen[0].new:
            raise _Fail(f"relocation decision ambiguity: {chosen[0].new} != {result.new} "
                        f"between candidates")
    if chosen is None:
        return calculate(kind, local, None)
    return chosen[0]


# -- the local spec -----------------------------------------------------------------------------------

def parse_spec(btf: Btf, type_id: int, access: str, kind: int) -> Spec:
    try:
        raw = [int(part) for part in access.split(":")]
    except ValueError:
        raise _Fail(f"malformed access string {access!r}") from None
    if not raw or any(i < 0 for i in raw) or len(raw) > SPEC_MAX_LEN:
        raise _Fail(f"malformed access string {access!r}")
    spec = Spec(btf, type_id, raw=raw)
    if kind in TYPE_KINDS:
        if raw != [0]:
            raise _Fail(f"type relocations take access \"0\", not {access!r}")
        return spec
    if kind in ENUM_KINDS:
        t = btf.get(btf.resolve(type_id))
        if t is None or t.kind not in ENUMS or len(raw) != 1 or raw[0] >= t.vlen:
            raise _Fail("enum value relocation does not name an enumerator")
        name, _ = btf.enum_values(t)[raw[0]]
        spec.accessors.append(Accessor(t.id, raw[0], name))
        return spec
    current = btf.resolve(type_id)
    if btf.get(current) is None:
        raise _Fail("field relocation against void")
    spec.accessors.append(Accessor(current, raw[0], None))
    spec.bit_offset = raw[0] * btf.size_of(current) * 8
    for index in raw[1:]:
        t = btf.get(current)
        if t is not None and t.kind in COMPOSITE:
            members = btf.members(t)
            if index >= len(members):
                raise _Fail(f"member {index} of {btf.c_name(current)}, which has {len(members)}")
            member = members[index]
            spec.bit_offset += member.bit_offset
            if member.name:
                spec.accessors.append(Accessor(current, index, member.name))
            current = btf.resolve(member.type_id)
        elif t is not None and t.kind is BtfKind.ARRAY:
            info = btf.array(t)
            element = btf.resolve(info.type_id)
            if index >= info.nelems and not _flexible(btf, spec, info.nelems):
                raise _Fail(f"index {index} of an array of {info.nelems}")
            spec.accessors.append(Accessor(element, index, None))
            spec.bit_offset += index * btf.size_of(element) * 8
            current = element
        else:
            raise _Fail(f"access {index} into {btf.c_name(current) if t else 'void'}, "
                        f"which is neither a struct, a union nor an array")
    return spec


def _flexible(btf: Btf, spec: Spec, nelems: int) -> bool:
    """A zero-length array as a struct's last member (``char __data[0]``) may be indexed."""
    if nelems or not spec.accessors or spec.accessors[-1].name is None:
        return False
    parent = btf.get(spec.accessors[-1].type_id)
    return parent.kind is BtfKind.STRUCT and spec.accessors[-1].index == parent.vlen - 1


def spec_text(spec: Spec, kind: int) -> str:
    """Readable: ``task_struct.real_parent``, ``enum e::B``, ``struct s``."""
    btf = spec.btf
    if kind in TYPE_KINDS:
        return btf.c_name(spec.root_id)
    if kind in ENUM_KINDS:
        return f"{btf.c_name(spec.root_id)}::{spec.accessors[0].name}"
    root = btf.get(spec.root_id)
    text = root.name if root is not None and root.name else btf.c_name(spec.root_id)
    if spec.accessors and spec.accessors[0].index:
        text += f"[{spec.accessors[0].index}]"
    for accessor in spec.accessors[1:]:
        text += f".{accessor.name}" if accessor.name else f"[{accessor.index}]"
    return text


# -- candidates and matching ---------------------------------------------------------------------------

def essential_name(name: str) -> str:
    """The name without a ``___flavour`` suffix, as libbpf compares names."""
    for i in range(len(name) - 4, 0, -1):
        if (name[i:i + 3] == "___" and name[i - 1] != "_" and i + 3 < len(name)
                and name[i + 3] != "_"):
            return name[:i]
    return name


def _kinds_compatible(a, b) -> bool:
    return a.kind == b.kind or (a.kind in ENUMS and b.kind in ENUMS)


def candidates(btf: Btf, type_id: int, target: Btf) -> list[int]:
    local = btf.get(type_id)
    wanted = essential_name(local.name)
    return [t.id for t in target.types
            if t.name and _kinds_compatible(t, local) and essential_name(t.name) == wanted]


def match(local: Spec, kind: int, target: Btf, candidate: int) -> Spec | None:
    spec = Spec(target, candidate)
    if kind in TYPE_KINDS:
        if kind == TYPE_MATCHES:
            return spec if types_match(local.btf, local.root_id, target, candidate, 0) else None
        return spec if types_compatible(local.btf, local.root_id, target, candidate, 0) else None
    if kind in ENUM_KINDS:
        t = target.get(target.resolve(candidate))
        if t is None or t.kind not in ENUMS:
            return None
        wanted = essential_name(local.accessors[0].name)
        for index, (name, _) in enumerate(target.enum_values(t)):
            if essential_name(name) == wanted:
                spec.accessors.append(Accessor(t.id, index, name))
                return spec
        return None
    current = candidate
    for position, accessor in enumerate(local.accessors):
        if accessor.name is not None:
            found = _match_member(local, accessor, target, current, spec, 0)
            if found is None:
                return None
            current = found
            continue
        if position > 0:
            t = target.get(target.resolve(current))
            if t is None or t.kind is not BtfKind.ARRAY:
                return None
            info = target.array(t)
            if accessor.index >= info.nelems and not _flexible(target, spec, info.nelems):
                return None
            current = target.resolve(info.type_id)
        spec.accessors.append(Accessor(current, accessor.index, None))
        spec.bit_offset += accessor.index * target.size_of(current) * 8
    return spec


def _match_member(local: Spec, accessor: Accessor, target: Btf, type_id: int, spec: Spec,
                  depth: int) -> int | None:
    """Find the named member in ``type_id`` (through anonymous members); its type id."""
    if depth > SPEC_MAX_LEN:
        return None
    local_member = local.btf.members(local.btf.get(accessor.type_id))[accessor.index]
    resolved = target.resolve(type_id)
    t = target.get(resolved)
    if t is None or t.kind not in COMPOSITE:
        return None
    for index, member in enumerate(target.members(t)):
        if not member.name:
            spec.bit_offset += member.bit_offset
            found = _match_member(local, accessor, target, member.type_id, spec, depth + 1)
            if found is not None:
                return found
            spec.bit_offset -= member.bit_offset
        elif member.name == local_member.name:
            if not fields_compatible(local.btf, local_member.type_id, target, member.type_id):
                return None
            spec.bit_offset += member.bit_offset
            spec.accessors.append(Accessor(resolved, index, member.name))
            return member.type_id
    return None


def fields_compatible(local_btf: Btf, local_id: int, target: Btf, target_id: int) -> bool:
    for _ in range(SPEC_MAX_LEN):
        a = local_btf.get(local_btf.resolve(local_id))
        b = target.get(target.resolve(target_id))
        if a is None or b is None:
            return a is None and b is None
        if a.kind in COMPOSITE and b.kind in COMPOSITE:
            return True
        if not _kinds_compatible(a, b):
            return False
        if a.kind in (BtfKind.PTR, BtfKind.FLOAT):
            return True
        if a.kind in (BtfKind.FWD, *ENUMS):
            return _names_agree(a.name, b.name)
        if a.kind is BtfKind.INT:
            return local_btf.int_info(a).bit_offset == 0 and target.int_info(b).bit_offset == 0
        if a.kind is BtfKind.ARRAY:
            local_id, target_id = local_btf.array(a).type_id, target.array(b).type_id
            continue
        return False
    return False


def _names_agree(a: str, b: str) -> bool:
    return not a or not b or essential_name(a) == essential_name(b)


def types_compatible(local_btf: Btf, local_id: int, target: Btf, target_id: int, depth: int) -> bool:
    """libbpf's ``bpf_core_types_are_compat``: same shape, names already matched."""
    if depth > SPEC_MAX_LEN:
        return False
    a, b = local_btf.get(local_id), target.get(target_id)
    if a is None or b is None:
        return a is None and b is None
    if not _kinds_compatible(a, b):
        return False
    a = local_btf.get(local_btf.resolve(local_id))
    b = target.get(target.resolve(target_id))
    if a is None or b is None:
        return a is None and b is None
    if not _kinds_compatible(a, b):
        return False
    if a.kind in (*COMPOSITE, *ENUMS, BtfKind.FWD, BtfKind.FLOAT):
        return True
    if a.kind is BtfKind.INT:
        return local_btf.int_info(a).bit_offset == 0 and target.int_info(b).bit_offset == 0
    if a.kind is BtfKind.PTR:
        return types_compatible(local_btf, a.size_or_type, target, b.size_or_type, depth + 1)
    if a.kind is BtfKind.ARRAY:
        return types_compatible(local_btf, local_btf.array(a).type_id, target,
                                target.array(b).type_id, depth + 1)
    if a.kind is BtfKind.FUNC_PROTO:
        pa, pb = local_btf.params(a), target.params(b)
        return (len(pa) == len(pb)
                and all(types_compatible(local_btf, x.type_id, target, y.type_id, depth + 1)
                        for x, y in zip(pa, pb))
                and types_compatible(local_btf, a.size_or_type, target, b.size_or_type, depth + 1))
    return False


def types_match(local_btf: Btf, local_id: int, target: Btf, target_id: int, depth: int) -> bool:
    """``bpf_core_type_matches``: stricter than compatible, member by member.

    Structs/unions: every local member exists in the target by name with a
    matching type; ints: same size and signedness; enums: every local
    enumerator exists; pointers and arrays: their targets match (arrays also
    in length); names of composites and enums must agree.
    """
    if depth > SPEC_MAX_LEN:
        return False
    a = local_btf.get(local_btf.resolve(local_id))
    b = target.get(target.resolve(target_id))
    if a is None or b is None:
        return a is None and b is None
    if not _kinds_compatible(a, b):
        return False
    if a.kind in (*COMPOSITE, *ENUMS, BtfKind.FWD) and not _names_agree(a.name, b.name):
        return False
    if a.kind in COMPOSITE:
        target_members = {m.name: m for m in target.members(b)}
        for member in local_btf.members(a):
            other = target_members.get(member.name)
            if other is None or other.bit_size != member.bit_size:
                return False
            if not types_match(local_btf, member.type_id, target, other.type_id, depth + 1):
                return False
        return True
    if a.kind in ENUMS:
        names = {essential_name(n) for n, _ in target.enum_values(b)}
        return all(essential_name(n) in names for n, _ in local_btf.enum_values(a))
    if a.kind is BtfKind.INT:
        ia, ib = local_btf.int_info(a), target.int_info(b)
        return a.size_or_type == b.size_or_type and ia.signed == ib.signed
    if a.kind is BtfKind.PTR:
        return types_match(local_btf, a.size_or_type, target, b.size_or_type, depth + 1)
    if a.kind is BtfKind.ARRAY:
        return (local_btf.array(a).nelems == target.array(b).nelems
                and types_match(local_btf, local_btf.array(a).type_id, target,
                                target.array(b).type_id, depth + 1))
    return types_compatible(local_btf, a.id, target, b.id, depth + 1)


# -- values -----------------------------------------------------------------------------------------

class _Poison(Exception):
    """The target lacks what this relocation needs: poison the instruction."""


def calculate(kind: int, local: Spec, target: Spec | None) -> Result:
    result = Result()
    try:
        if kind in FIELD_KINDS:
            result.orig, result.orig_size, result.orig_type, result.validate = _field_value(kind, local)
            result.new, result.new_size, result.new_type, _ = _field_value(kind, target)
            if result.orig_size != result.new_size:
                result.bad_size = not _resizable(local.btf, result.orig_type,
                                                 target.btf, result.new_type)
        elif kind in TYPE_KINDS:
            result.orig, result.validate = _type_value(kind, local)
            result.new, _ = _type_value(kind, target)
        else:
            result.orig = _enum_value(kind, local)
            result.new = _enum_value(kind, target)
    except _Poison:
        result.poison = True
    return result


def _resizable(local_btf: Btf, local_id: int, target: Btf, target_id: int) -> bool:
    """A load may change size for pointers and unsigned ints only (zero-extension keeps them)."""
    a, b = local_btf.get(local_id), target.get(target_id)
    if a is None or b is None:
        return False
    if a.kind is BtfKind.PTR and b.kind is BtfKind.PTR:
        return True
    return (a.kind is BtfKind.INT and b.kind is BtfKind.INT
            and not local_btf.int_info(a).signed and not target.int_info(b).signed)


def _field_value(kind: int, spec: Spec | None) -> tuple[int, int, int, bool]:
    """(value, field size, field type id, validate) of a field relocation."""
    if kind == FIELD_EXISTS:
        return (1 if spec is not None else 0), 0, 0, True
    if spec is None:
        raise _Poison()
    btf = spec.btf
    last = spec.accessors[-1]
    if last.name is None:
        if kind == FIELD_BYTE_OFFSET:
            return spec.bit_offset // 8, btf.size_of(last.type_id), last.type_id, True
        if kind == FIELD_BYTE_SIZE:
            return btf.size_of(last.type_id), 0, 0, True
        raise _Fail(f"{KIND_NAMES[kind]} cannot be applied to an array access")
    member = btf.members(btf.get(last.type_id))[last.index]
    field_type = btf.resolve(member.type_id)
    mt = btf.get(field_type)
    bit_offset, bit_size = spec.bit_offset, member.bit_size
    bitfield = bit_size > 0
    if bitfield:
        byte_size = mt.size_or_type
        byte_offset = bit_offset // 8 // byte_size * byte_size
        while bit_offset + bit_size - byte_offset * 8 > byte_size * 8:
            if byte_size >= 8:
                raise _Fail("the bitfield cannot be read with one 64-bit load")
            byte_size *= 2
            byte_offset = bit_offset // 8 // byte_size * byte_size
    else:
        byte_size = btf.size_of(field_type)
        byte_offset = bit_offset // 8
        bit_size = byte_size * 8
    validate = not bitfield
    if kind == FIELD_BYTE_OFFSET:
        return byte_offset, (0 if bitfield else byte_size), (0 if bitfield else field_type), validate
    if kind == FIELD_BYTE_SIZE:
        return byte_size, 0, 0, validate
    if kind == FIELD_SIGNED:
        signed = ((mt.kind in ENUMS and mt.kind_flag)
                  or (mt.kind is BtfKind.INT and btf.int_info(mt).signed))
        return int(signed), 0, 0, True
    if kind == FIELD_LSHIFT_U64:
        return 64 - (bit_offset + bit_size - byte_offset * 8), 0, 0, validate
    return 64 - bit_size, 0, 0, True          # FIELD_RSHIFT_U64


def _type_value(kind: int, spec: Spec | None) -> tuple[int, bool]:
    if spec is None:
        return 0, True
    if kind == TYPE_ID_TARGET:
        return spec.root_id, False
    if kind in (TYPE_EXISTS, TYPE_MATCHES):
        return 1, True
    return spec.btf.size_of(spec.root_id), True     # TYPE_SIZE


def _enum_value(kind: int, spec: Spec | None) -> int:
    if kind == ENUMVAL_EXISTS:
        return 1 if spec is not None else 0
    if spec is None:
        raise _Poison()
    accessor = spec.accessors[0]
    _, value = spec.btf.enum_values(spec.btf.get(accessor.type_id))[accessor.index]
    return value & MASK64


# -- patching ----------------------------------------------------------------------------------------

def _patch(function: Function, index: int, result: Result) -> bool:
    """Patch the instruction; True if it was poisoned instead."""
    insns = function.insns
    insn = insns[index]
    if result.poison:
        _poison(insns, index)
        return True
    klass = insn.opcode & 7
    if klass in (CLASS_ALU, CLASS_ALU64):
        if insn.opcode & 0x08:
            raise _Fail(f"cannot relocate a register-source ALU instruction "
                        f"(opcode 0x{insn.opcode:02x})")
        if result.validate and insn.imm & MASK64 != result.orig & MASK64:
            raise _Fail(f"unexpected ALU immediate: got {insn.imm}, expected {result.orig}")
        insns[index] = replace(insn, imm=_s32(result.new))
    elif klass in (CLASS_LDX, CLASS_ST, CLASS_STX):
        if result.validate and insn.off & MASK64 != result.orig & MASK64:
            raise _Fail(f"unexpected load/store offset: got {insn.off}, expected {result.orig}")
        if result.new > SHRT_MAX:
            raise _Fail(f"offset {result.new} is too big for a load/store")
        if result.bad_size:
            _poison(insns, index)          # libbpf: "accesses field incorrectly"
            return True
        opcode = insn.opcode
        if result.new_size != result.orig_size:
            if SIZE_BYTES[opcode & 0x18] != result.orig_size:
                raise _Fail(f"unexpected memory access size {SIZE_BYTES[opcode & 0x18]} for a "
                            f"{result.orig_size}-byte field")
            if result.new_size not in BYTES_SIZE:
                raise _Fail(f"a {result.new_size}-byte field cannot be loaded in one instruction")
            opcode = (opcode & ~0x18) | BYTES_SIZE[result.new_size]
        insns[index] = replace(insn, opcode=opcode, off=result.new)
    elif insn.opcode == LD_IMM64 and index + 1 < len(insns):
        second = insns[index + 1]
        if insn.src or insn.off or second.opcode or second.dst or second.src or second.off:
            raise _Fail("ld_imm64 has an unexpected form")
        value = (insn.imm & 0xFFFFFFFF) | ((second.imm & 0xFFFFFFFF) << 32)
        if result.validate and value != result.orig & MASK64 and value != result.orig & 0xFFFFFFFF:
            raise _Fail(f"unexpected ld_imm64 value: got {value}, expected {result.orig}")
        new = result.new & MASK64
        insns[index] = replace(insn, imm=_s32(new & 0xFFFFFFFF))
        insns[index + 1] = replace(second, imm=_s32(new >> 32))
    else:
        raise _Fail(f"cannot relocate an instruction with opcode 0x{insn.opcode:02x}")
    return False


def _poison(insns: list[Insn], index: int) -> None:
    """``call 0xbad2310`` in place (both slots of an ld_imm64), as libbpf poisons."""
    call = Insn(0x85, 0, 0, 0, POISON_HELPER)
    if insns[index].opcode == LD_IMM64 and index + 1 < len(insns):
        insns[index + 1] = call
    insns[index] = call


def _s32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >> 31 else value
