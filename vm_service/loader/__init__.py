"""The object loader: BPF ELF objects (clang ``-O2 -g``) in, plain JSON-able specs out.

    from vm_service.loader import load_object, instantiate_maps
    spec = load_object(elf_bytes, name="minimal.bpf.o")
    program = spec.program("handle_tp")
    machine = Machine(Program.from_bytes(program.code), maps=instantiate_maps(spec), ...)

One module per stage or concept: ``elf`` (sections, symbols, relocations),
``sections`` (section name -> program type), ``btf_ext`` (func/line info,
CO-RE records), ``maps`` (map definitions and global data), ``link``
(relocation and subprogram linking), ``core`` (CO-RE against the simulated
kernel's types, ``vm_service.kernel_types``), ``lineinfo`` (source map),
``dwarf`` (variable locations), ``types`` (BTF types as JSON, typed value
formatting), ``spec`` (the dataclasses), ``instantiate`` (engine maps) and
``kernel_load`` (the live kernel, for differential tests: ``kernel_load_object``
loads a whole object as libbpf does, ``kernel_load`` one program).
"""

from .errors import ElfLoadError, SpecError
from .instantiate import instantiate_maps, map_spec
from .load import load_object, load_object_file
from .spec import (CoreRelocation, FuncInfo, LineMark, MapDef, MapSlot, ObjectSpec, ProgramSpec,
                   SourceLine, Variable, VarLocation)
from .types import describe, format_value

__all__ = [
    "CoreRelocation", "ElfLoadError", "FuncInfo", "LineMark", "MapDef", "MapSlot", "ObjectSpec",
    "ProgramSpec", "SourceLine", "SpecError", "VarLocation", "Variable", "describe",
    "format_value", "instantiate_maps", "load_object", "load_object_file", "map_spec",
]
