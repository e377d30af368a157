"""The "load programs" and "relocate" stages: functions, their relocations, and linking.

Functions are the ``STT_FUNC`` symbols of executable sections. Those in
``.text`` are subprograms; every function in another executable section is an
entry program (several may share a section). Each function's instructions are
relocated on their own copy, as libbpf does:

* ``ld_imm64`` of a map symbol (``.maps``/``maps``) becomes ``src_reg=1``
  (BPF_PSEUDO_MAP_FD) with ``imm`` = the map's index in ``ObjectSpec.maps``;
* ``ld_imm64`` of global data becomes ``src_reg=2`` (BPF_PSEUDO_MAP_VALUE),
  ``imm`` = the data map's index, the second slot's ``imm`` = the offset
  (the symbol's value plus the compiler's addend);
* ``ld_imm64`` of a function is a function pointer (``src_reg=4``,
  BPF_PSEUDO_FUNC: bpf_loop callbacks); ``call`` with ``src_reg=1`` is a
  bpf-to-bpf call. The compiler addresses targets as ``symbol + imm``: a call
  lands at ``value / 8 + imm + 1`` (``imm`` -1 for a global function), a
  function pointer at ``(value + imm) / 8``; an unrelocated call stays in its
  own section at ``pc + imm + 1``.

Linking then builds each entry program as libbpf does: the entry function,
then each subprogram the first time an instruction (in order) refers to it,
appended at the end and immediately scanned for its own callees; call and
function-pointer offsets are rewritten to the appended copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..isa import SLOT_SIZE, Insn
from .btf_ext import CoreRecord
from .elf import R_BPF_64_32, R_BPF_64_64, ElfObject, Section
from .errors import ElfLoadError
from .maps import MapTable

LD_IMM64 = 0x18
CALL = 0x85
PSEUDO_MAP_FD = 1
PSEUDO_MAP_VALUE = 2
PSEUDO_FUNC = 4
PSEUDO_CALL = 1


@dataclass
class Function:
    """One function symbol: where it sits in its section, and its relocated slots."""

    name: str
    section: int
    section_name: str
    start: int                      # first slot, counted in its section
    insns: list[Insn] = field(repr=False)
    is_global: bool = True
    # local slot -> (section, slot) of the function a call or function pointer names
    targets: dict[int, tuple[int, int]] = field(default_factory=dict)
    core: list[CoreRecord] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.start + len(self.insns)

    @property
    def key(self) -> tuple[int, int]:
        return (self.section, self.start)


@dataclass
class Placement:
    """A function's copy inside a linked program: it starts at slot ``offset``."""

    function: Function
    offset: int


@dataclass
class LinkedProgram:
    entry: Function
    insns: list[Insn]
    placements: list[Placement]     # the entry first, then subprograms in append order

    def code(self) -> bytes:
        return b"".join(insn.pack() for insn in self.insns)


def load_functions(obj: ElfObject) -> list[Function]:
    """Every function of every executable section, ordered by section then offset."""
    functions = []
    for section in obj.sections:
        if not section.executable or section.size == 0:
            continue
        if section.size % SLOT_SIZE:
            raise _fail("load programs", f"section {section.name!r} is {section.size} bytes, "
                                         f"not a whole number of instructions")
        symbols = sorted((s for s in obj.symbols_in(section.index) if s.type == "STT_FUNC"),
                         key=lambda s: s.value)
        previous_end = 0
        for symbol in symbols:
            if symbol.value % SLOT_SIZE or symbol.size % SLOT_SIZE or symbol.size == 0:
                raise _fail("load programs", f"function {symbol.name!r} in {section.name!r} is "
                                             f"not a whole number of instructions")
            if symbol.value < previous_end or symbol.value + symbol.size > section.size:
                raise _fail("load programs", f"function {symbol.name!r} overlaps another or runs "
                                             f"past section {section.name!r}")
            previous_end = symbol.value + symbol.size
            start = symbol.value // SLOT_SIZE
            insns = [Insn.unpack(section.data, symbol.value + i * SLOT_SIZE)
                     for i in range(symbol.size // SLOT_SIZE)]
            functions.append(Function(symbol.name, section.index, section.name, start, insns,
                                      symbol.bind != "STB_LOCAL"))
    return functions


def _fail(stage: str, message: str) -> ElfLoadError:
    return ElfLoadError(stage, message)


def function_at(functions: list[Function], section: int, slot: int) -> Function | None:
    for function in functions:
        if function.section == section and function.start <= slot < function.end:
            return function
    return None


def relocate(obj: ElfObject, functions: list[Function], maps: MapTable) -> None:
    """Apply the ELF relocations of every function, and record its call targets."""
    for section_index, relocations in obj.relocations.items():
        section = obj.sections[section_index]
        if not section.executable:
            continue
        for reloc in relocations:
            if reloc.offset % SLOT_SIZE:
                raise _fail("relocate", f"{section.name}: relocation at byte {reloc.offset} is "
                                        f"not on an instruction")
            slot = reloc.offset // SLOT_SIZE
            function = function_at(functions, section_index, slot)
            if function is None:
                raise _fail("relocate", f"{section.name}: relocation at insn {slot} is outside "
                                        f"every function")
            _apply(obj, function, slot - function.start, reloc, maps)
    for function in functions:
        _local_calls(function)


def _apply(obj: ElfObject, function: Function, index: int, reloc, maps: MapTable) -> None:
    insn = function.insns[index]
    symbol = reloc.symbol
    where = f"{function.name}+{index} (insn {function.start + index} of {function.section_name})"
    if symbol.section is None:
        kind = "function" if insn.opcode == CALL else "variable"
        raise _fail("relocate", f"{where}: extern {kind} {symbol.name!r} (__ksym/__kconfig) "
                                f"is not supported by the playground")
    target = obj.sections[symbol.section]
    if insn.opcode == CALL and insn.src == PSEUDO_CALL and reloc.type == R_BPF_64_32:
        if target.name != ".text":
            raise _fail("relocate", f"{where}: calls {symbol.name!r} in section "
                                    f"{target.name!r}; subprograms must be in .text")
        function.targets[index] = (symbol.section, symbol.value // SLOT_SIZE + insn.imm + 1)
        return
    if insn.opcode != LD_IMM64 or reloc.type != R_BPF_64_64:
        raise _fail("relocate", f"{where}: relocation type {reloc.type} against {symbol.name!r} "
                                f"on an instruction with opcode 0x{insn.opcode:02x}")
    if index + 1 >= len(function.insns):
        raise _fail("relocate", f"{where}: ld_imm64 is cut short by the end of the function")
    second = function.insns[index + 1]
    if target.executable:
        address = symbol.value + insn.imm
        if address % SLOT_SIZE:
            raise _fail("relocate", f"{where}: function pointer to {symbol.name!r} is not on "
                                    f"an instruction")
        function.targets[index] = (symbol.section, address // SLOT_SIZE)
        function.insns[index] = replace(insn, src=PSEUDO_FUNC, imm=0)
        return
    map_index = maps.by_symbol.get((symbol.section, symbol.value))
    if map_index is not None and target.name in ("maps", ".maps"):
        function.insns[index] = replace(insn, src=PSEUDO_MAP_FD, imm=map_index)
        function.insns[index + 1] = replace(second, imm=0)
        return
    if target.name in ("maps", ".maps"):
        raise _fail("relocate", f"{where}: {symbol.name!r} in {target.name} is not a map")
    data_index = maps.by_data_section.get(symbol.section)
    if data_index is None:
        raise _fail("relocate", f"{where}: {symbol.name!r} is in section {target.name!r}, "
                                f"which is neither a map, global data nor code")
    offset = symbol.value + insn.imm
    if not 0 <= offset < max(target.size, 1):
        raise _fail("relocate", f"{where}: offset {offset} is outside {target.name}")
    function.insns[index] = replace(insn, src=PSEUDO_MAP_VALUE, imm=data_index)
    function.insns[index + 1] = replace(second, imm=offset)


def _local_calls(function: Function) -> None:
    """Calls the compiler resolved itself (no relocation) stay inside their own section."""
    for index, insn in enumerate(function.insns):
        if insn.opcode == CALL and insn.src == PSEUDO_CALL and index not in function.targets:
            function.targets[index] = (function.section, function.start + index + insn.imm + 1)


def link(entry: Function, functions: list[Function]) -> LinkedProgram:
    """The entry function with every subprogram it reaches appended, offsets rewritten."""
    insns = list(entry.insns)
    placements = [Placement(entry, 0)]
    placed = {entry.key: 0}

    def visit(placement: Placement) -> None:
        function = placement.function
        for index in sorted(function.targets):
            section, slot = function.targets[index]
            callee = function_at(functions, section, slot)
            if callee is None or callee.start != slot:
                raise _fail("relocate", f"{function.name}+{index}: refers to insn {slot} of "
                                        f"section {section}, which is not the start of a function")
            if callee.key not in placed:
                child = Placement(callee, len(insns))
                placed[callee.key] = child.offset
                placements.append(child)
                insns.extend(callee.insns)
                visit(child)
            position = placement.offset + index
            insns[position] = replace(insns[position], imm=placed[callee.key] - position - 1)

    visit(placements[0])
    return LinkedProgram(entry, insns, placements)


def entry_functions(obj: ElfObject, functions: list[Function]) -> list[Function]:
    """Functions outside .text are programs, in section and offset order."""
    return [f for f in functions if obj.sections[f.section].name != ".text"]


def section_of(obj: ElfObject, function: Function) -> Section:
    return obj.sections[function.section]
