"""Where named C variables live, from DWARF: stack slots and registers over pc ranges.

Read with pyelftools, with relocations applied to the ``.debug_*`` sections
(they name section symbols, whose value is 0, so every address stays a byte
offset into the function's own section; a slot is address / 8). For each
function (a ``DW_TAG_subprogram`` with code, matched to its symbol by name)
the parameters and locals, including those of lexical blocks and inlined
calls, with their C type and locations:

* a single expression holds over the enclosing scope's range; a location
  list gives its own ranges;
* ``DW_OP_fbreg N``: a stack slot. LLVM's BPF backend says the frame base is
  r10 but counts N from the bottom of the function's frame (r10 minus the
  frame size): ``k`` at r10-4 in an 8-byte frame is ``fbreg +4``. DWARF does
  not record the frame size, so it is recovered from the function's own code
  (``frame_size``: the lowest r10-relative byte it touches, rounded to 8), and
  the slot is reported as r10 + N - size. ``DW_OP_breg10 N`` is r10 + N.
* ``DW_OP_regN`` is register N; a constant followed by ``DW_OP_stack_value``
  is that constant. Anything else DWARF can say (pieces, computed values) is
  left out: absent, as a variable optimised away is.

Locations are recorded relative to their function's first slot, then moved to
each copy of the function in a linked program (``placed``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from elftools.dwarf.dwarf_expr import DWARFExprParser
from elftools.dwarf.locationlists import BaseAddressEntry, LocationEntry, LocationExpr, LocationParser

from ..isa import SLOT_SIZE, Insn
from .elf import ElfObject
from .errors import MALFORMED
from .link import Function, LinkedProgram
from .spec import Variable, VarLocation

MAX_DEPTH = 32
FRAME_POINTER = 10
CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_STX, CLASS_ALU, CLASS_ALU64 = 0, 1, 2, 3, 4, 7
MOV64_REG = 0xBF
ADD64_IMM = 0x07
CALL = 0x85


@dataclass
class FunctionVariables:
    """One function's variables; locations count slots from the function's start."""

    name: str
    variables: list[Variable] = field(default_factory=list)


def read_variables(obj: ElfObject, functions: list[Function],
                   warnings: list[str]) -> dict[str, FunctionVariables]:
    """Variables by function name; a DWARF problem becomes a warning, not a failure."""
    elffile = obj.elffile
    frames = {f.name: frame_size(f.insns) for f in functions}
    try:
        if elffile is None or not elffile.has_dwarf_info():
            return {}
        # pyelftools asks the ELF header for the machine once per relocation it applies
        # to the debug sections (thousands): answer from the first reading.
        arch = elffile.get_machine_arch()
        elffile.get_machine_arch = lambda: arch
        return _Reader(elffile.get_dwarf_info(relocate_dwarf_sections=True), frames).functions()
    except (*MALFORMED, TypeError, AttributeError, RecursionError) as error:
        warnings.append(f"DWARF: variables unavailable ({type(error).__name__}: {error})")
        return {}


def placed(functions: dict[str, FunctionVariables], linked: LinkedProgram) -> list[Variable]:
    """The variables of every function copy in a linked program, at its slots."""
    out = []
    for placement in linked.placements:
        found = functions.get(placement.function.name)
        if found is None:
            continue
        count = len(placement.function.insns)
        for variable in found.variables:
            locations = [replace(loc, start=placement.offset + loc.start,
                                 end=placement.offset + min(loc.end, count))
                         for loc in variable.locations if loc.start < count]
            if locations:
                out.append(replace(variable, locations=locations))
    return out


def frame_size(insns: list[Insn]) -> int:
    """The stack frame a function uses: its lowest r10-relative byte, rounded up to 8.

    Follows r10 through copies and constant additions (``r1 = r10; r1 += -16``)
    in program order, which is how compilers take stack addresses.
    """
    lowest = 0
    at_fp: dict[int, int] = {FRAME_POINTER: 0}      # register -> its offset from r10
    for insn in insns:
        klass = insn.opcode & 7
        if klass == CLASS_LDX and insn.src in at_fp:
            lowest = min(lowest, at_fp[insn.src] + insn.off)
        elif klass in (CLASS_ST, CLASS_STX) and insn.dst in at_fp:
            lowest = min(lowest, at_fp[insn.dst] + insn.off)
        if insn.opcode == MOV64_REG and insn.src in at_fp:
            at_fp[insn.dst] = at_fp[insn.src]
        elif insn.opcode == ADD64_IMM and insn.dst in at_fp and insn.dst != FRAME_POINTER:
            at_fp[insn.dst] += insn.imm
            lowest = min(lowest, at_fp[insn.dst])
        elif insn.opcode == CALL:
            for reg in range(6):
                at_fp.pop(reg, None)
        elif klass in (CLASS_ALU, CLASS_ALU64, CLASS_LDX, CLASS_LD) and insn.dst != FRAME_POINTER:
            at_fp.pop(insn.dst, None)
    return -(lowest // 8) * 8 if lowest < 0 else 0


class _Reader:
    def __init__(self, dwarfinfo, frames: dict[str, int]):
        self.dwarfinfo = dwarfinfo
        self.frames = frames
        self.frame = 0
        self.locations = LocationParser(dwarfinfo.location_lists())
        self.range_lists = None

    def functions(self) -> dict[str, FunctionVariables]:
        out: dict[str, FunctionVariables] = {}
        for cu in self.dwarfinfo.iter_CUs():
            top = cu.get_top_DIE()
            low_pc = top.attributes.get("DW_AT_low_pc")
            self.cu_base = low_pc.value if low_pc is not None else 0
            self.expr_parser = DWARFExprParser(cu.structs)
            for die in top.iter_children():
                if die.tag != "DW_TAG_subprogram" or "DW_AT_low_pc" not in die.attributes:
                    continue
                name = self._name(die)
                if not name:
                    continue
                low, high = self._range(die)
                self.frame = self.frames.get(name, 0)
                entry = out.setdefault(name, FunctionVariables(name))
                self._scope(die, name, low, [(low, high)], entry.variables, 0)
        return out

    # -- scopes --------------------------------------------------------------------------

    def _scope(self, die, function: str, base: int, ranges: list[tuple[int, int]],
               out: list[Variable], depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        for child in die.iter_children():
            tag = child.tag
            if tag in ("DW_TAG_formal_parameter", "DW_TAG_variable"):
                variable = self._variable(child, function, base, ranges)
                if variable is not None:
                    out.append(variable)
            elif tag == "DW_TAG_lexical_block":
                self._scope(child, function, base, self._ranges(child) or ranges, out, depth + 1)
            elif tag == "DW_TAG_inlined_subroutine":
                inlined = self._name(child) or function
                self._scope(child, inlined, base, self._ranges(child) or ranges, out, depth + 1)

    def _ranges(self, die) -> list[tuple[int, int]]:
        attrs = die.attributes
        if "DW_AT_low_pc" in attrs and "DW_AT_high_pc" in attrs:
            return [self._range(die)]
        if "DW_AT_ranges" in attrs:
            if self.range_lists is None:
                self.range_lists = self.dwarfinfo.range_lists()
            if self.range_lists is None:
                return []
            entries = self.range_lists.get_range_list_at_offset(attrs["DW_AT_ranges"].value, cu=die.cu)
            return [(e.begin_offset + self.cu_base, e.end_offset + self.cu_base)
                    for e in entries if hasattr(e, "begin_offset")]
        return []

    @staticmethod
    def _range(die) -> tuple[int, int]:
        attrs = die.attributes
        low = attrs["DW_AT_low_pc"].value
        high_attr = attrs.get("DW_AT_high_pc")
        if high_attr is None:
            return low, low
        high = high_attr.value
        if high_attr.form != "DW_FORM_addr":
            high += low          # DWARF 4+: high_pc is a length
        return low, high

    # -- one variable ----------------------------------------------------------------------

    def _variable(self, die, function: str, base: int,
                  ranges: list[tuple[int, int]]) -> Variable | None:
        name = self._name(die)
        attr = die.attributes.get("DW_AT_location")
        if not name or attr is None:
            return None
        kind = "param" if die.tag == "DW_TAG_formal_parameter" else "local"
        located = self.locations.parse_from_attribute(attr, die.cu["version"], die)
        pieces: list[tuple[int, int, list[int]]] = []
        if isinstance(located, LocationExpr):
            pieces = [(low, high, located.loc_expr) for low, high in ranges]
        else:
            list_base = self.cu_base
            for entry in located:
                if isinstance(entry, BaseAddressEntry):
                    list_base = entry.base_address
                elif isinstance(entry, LocationEntry):
                    offset = 0 if entry.is_absolute else list_base
                    pieces.append((entry.begin_offset + offset, entry.end_offset + offset,
                                   entry.loc_expr))
        locations = []
        for low, high, expr in pieces:
            where = self._where(expr)
            if where is None or high <= low:
                continue
            start = (low - base) // SLOT_SIZE
            end = -(-(high - base) // SLOT_SIZE)
            if end > 0:
                locations.append(VarLocation(max(start, 0), end, *where))
        return Variable(name, self._type_name(die, 0), kind, function, locations)

    def _where(self, expr: list[int]) -> tuple[str, int] | None:
        ops = self.expr_parser.parse_expr(expr)
        if len(ops) == 1:
            op = ops[0]
            if op.op_name == "DW_OP_fbreg":
                return "stack", op.args[0] - self.frame
            if op.op_name == f"DW_OP_breg{FRAME_POINTER}":
                return "stack", op.args[0]
            if op.op_name.startswith("DW_OP_reg") and op.op_name[9:].isdigit():
                return "reg", int(op.op_name[9:])
            if op.op_name == "DW_OP_regx":
                return "reg", op.args[0]
        if len(ops) == 2 and ops[1].op_name == "DW_OP_stack_value":
            op = ops[0]
            if op.op_name.startswith("DW_OP_lit") and op.op_name[9:].isdigit():
                return "const", int(op.op_name[9:])
            if op.op_name in ("DW_OP_constu", "DW_OP_consts") or op.op_name.startswith("DW_OP_const"):
                return "const", op.args[0]
        return None

    # -- names and types ----------------------------------------------------------------------

    def _origin(self, die):
        for attr in ("DW_AT_abstract_origin", "DW_AT_specification"):
            if attr in die.attributes:
                return die.get_DIE_from_attribute(attr)
        return None

    def _name(self, die, depth: int = 0) -> str:
        if "DW_AT_name" in die.attributes:
            return die.attributes["DW_AT_name"].value.decode("utf-8", "replace")
        origin = self._origin(die)
        if origin is not None and depth < MAX_DEPTH:
            return self._name(origin, depth + 1)
        return ""

    def _type_name(self, die, depth: int) -> str:
        if "DW_AT_type" not in die.attributes:
            origin = self._origin(die)
            if origin is not None and depth < MAX_DEPTH:
                return self._type_name(origin, depth + 1)
            return "void"
        return self._spell(die.get_DIE_from_attribute("DW_AT_type"), depth + 1)

    def _spell(self, die, depth: int) -> str:
        if depth > MAX_DEPTH:
            return "?"
        tag = die.tag
        name = self._name(die)
        inner = (self._spell(die.get_DIE_from_attribute("DW_AT_type"), depth + 1)
                 if "DW_AT_type" in die.attributes else "void")
        if tag in ("DW_TAG_base_type", "DW_TAG_typedef"):
            return name
        if tag in ("DW_TAG_structure_type", "DW_TAG_union_type", "DW_TAG_enumeration_type"):
            word = {"DW_TAG_structure_type": "struct", "DW_TAG_union_type": "union",
                    "DW_TAG_enumeration_type": "enum"}[tag]
            return f"{word} {name or '{...}'}"
        if tag == "DW_TAG_pointer_type":
            return f"{inner} *" if not inner.endswith("*") else f"{inner}*"
        if tag in ("DW_TAG_const_type", "DW_TAG_volatile_type", "DW_TAG_restrict_type"):
            word = tag[7:-5]
            return f"{inner} {word}" if inner.endswith("*") else f"{word} {inner}"
        if tag == "DW_TAG_array_type":
            dims = "".join(f"[{self._count(sub)}]" for sub in die.iter_children()
                           if sub.tag == "DW_TAG_subrange_type")
            return f"{inner}{dims}"
        if tag == "DW_TAG_subroutine_type":
            return f"{inner} (*)()"
        return name or tag

    @staticmethod
    def _count(subrange) -> str:
        attrs = subrange.attributes
        if "DW_AT_count" in attrs and isinstance(attrs["DW_AT_count"].value, int):
            return str(attrs["DW_AT_count"].value)
        if "DW_AT_upper_bound" in attrs and isinstance(attrs["DW_AT_upper_bound"].value, int):
            return str(attrs["DW_AT_upper_bound"].value + 1)
        return ""
