"""``load_object``: a BPF ELF object in, an ``ObjectSpec`` out, one named stage at a time.

Stages, in order (each failure is an ``ElfLoadError`` naming its stage):
``read ELF`` and ``check header`` (elf.py), ``classify sections`` (license,
version), ``load symbols``, ``load BTF`` (.BTF and .BTF.ext), ``load maps``
(maps.py), ``load programs`` and ``relocate`` (link.py), ``CO-RE``
(core.py), ``line info`` (lineinfo.py). DWARF variables (dwarf.py) are
best-effort: when the debug sections cannot be read the spec says so in
``warnings`` and the variables are absent, as they are without ``-g``.
"""

from __future__ import annotations

import struct
from pathlib import Path

from .. import btf as btf_module
from ..btf import Btf
from ..errors import VmError
from ..program import Program
from . import core, dwarf
from .btf_ext import BtfExt, parse_btf_ext
from .btf_fixup import fixup_btf
from .elf import ElfObject, load_symbols, read_elf
from .errors import ElfLoadError, stage
from .lineinfo import func_info, line_marks, source_map
from .link import entry_functions, link, load_functions, relocate
from .maps import load_maps
from .sections import classify
from .spec import ObjectSpec, ProgramSpec

LICENSE_MAX = 64     # libbpf keeps at most 63 characters of the license


def load_object_file(path: str | Path, *, source_root: str | None = None,
                     kernel_btf: Btf | None = None) -> ObjectSpec:
    """Load an object file; its name (for global-data map names) is the file's."""
    path = Path(path)
    return load_object(path.read_bytes(), name=path.name, source_root=source_root,
                       kernel_btf=kernel_btf)


def load_object(data: bytes, *, name: str = "object", source_root: str | None = None,
                kernel_btf: Btf | None = None) -> ObjectSpec:
    """Load a BPF object as clang emits it (``-target bpf -O2 -g -c``).

    ``kernel_btf`` is the CO-RE target (default: the simulated kernel's types,
    ``kernel_types.kernel_btf()``); ``source_root`` is the directory the
    sources were compiled in, so line info names files relative to it.
    """
    obj = read_elf(data)
    load_symbols(obj)
    with stage("classify sections"):
        license, kernel_version = _license_and_version(obj)
    with stage("load BTF"):
        btf, ext, fixed_btf = _load_btf(obj)
    with stage("load maps"):
        maps = load_maps(obj, btf, name)
    with stage("load programs"):
        functions = load_functions(obj)
        core.assign_records(functions, ext)
    with stage("relocate"):
        relocate(obj, functions, maps)
    with stage("CO-RE"):
        relocations = core.apply(functions, btf, kernel_btf)
    warnings: list[str] = []
    variables = dwarf.read_variables(obj, functions, warnings)
    programs = []
    for entry in entry_functions(obj, functions):
        with stage("relocate"):
            linked = link(entry, functions)
        with stage("line info"):
            marks = line_marks(linked, ext, source_root)
            program = _program(entry.name, entry.section_name, linked.code(),
                               func_info(linked, ext), marks, source_map(linked, marks))
        program.core_relocations = core.placed(relocations, linked)
        program.variables = dwarf.placed(variables, linked)
        _check_decodes(program)
        programs.append(program)
    if not programs:
        warnings.append("no programs: functions in .text are subprograms; an entry program needs "
                        "its own section, e.g. SEC(\"xdp\")")
    return ObjectSpec(programs, maps.maps, license, kernel_version, name=name, warnings=warnings,
                      btf=fixed_btf)


def _license_and_version(obj: ElfObject) -> tuple[str, int | None]:
    license = ""
    section = obj.section_named("license")
    if section is not None:
        license = section.data[:LICENSE_MAX - 1].split(b"\0", 1)[0].decode("utf-8", "replace")
    version = None
    section = obj.section_named("version")
    if section is not None:
        if section.size != 4:
            raise ElfLoadError("classify sections", f"the version section is {section.size} "
                                                    f"bytes, not a 4-byte kernel version")
        (version,) = struct.unpack("<I", section.data)
    return license, version


def _load_btf(obj: ElfObject) -> tuple[Btf | None, BtfExt | None, bytes | None]:
    section = obj.section_named(".BTF")
    if section is None or section.size == 0:
        return None, None, None
    btf = btf_module.parse(section.data)
    btf.check()
    ext_section = obj.section_named(".BTF.ext")
    ext = None
    if ext_section is not None and ext_section.size:
        ext = parse_btf_ext(ext_section.data, btf, stage="load BTF")
    return btf, ext, fixup_btf(section.data, btf, obj)


def _program(name: str, section: str, code: bytes, funcs, marks, sources) -> ProgramSpec:
    match = classify(section)
    if match is None:
        return ProgramSpec(name, section, None, None, code, source_map=sources, func_info=funcs,
                           line_info=marks)
    return ProgramSpec(name, section, match.prog_type, match.attach, code, source_map=sources,
                       func_info=funcs, line_info=marks, retprobe=match.retprobe,
                       expected_attach_type=match.expected_attach_type,
                       sleepable=match.sleepable, xdp_frags=match.xdp_frags)


def _check_decodes(program: ProgramSpec) -> None:
    """The engine must be able to run what the loader produced."""
    try:
        Program.from_bytes(program.code)
    except VmError as error:
        raise ElfLoadError("load programs", f"program {program.name!r}: {error}") from None
