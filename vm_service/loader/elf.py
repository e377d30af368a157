"""The ELF layer: sections, symbols and relocations of a BPF object, read with pyelftools.

Two functions for four stages: ``read_elf`` ("read ELF"; "check header": 64-bit,
little-endian, relocatable, ``e_machine`` 247 = EM_BPF; "classify sections":
every section header and its bytes) and ``load_symbols`` ("load symbols": the
one symbol table; then the REL sections of code and ``.maps``, grouped by the
section they patch; libbpf ignores the others). Everything is copied into
plain dataclasses so later stages never touch pyelftools' lazy parsing; only
``ElfObject.elffile`` stays, for the DWARF stage.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from elftools.elf.elffile import ELFFile

from .errors import ElfLoadError, stage

EM_BPF = 247
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
MAX_NOBITS = 1 << 26      # a .bss bigger than this is refused (the map model's own ceiling)
RELOCATED_DATA = (".maps",)  # data sections whose relocations the loader applies (map slots)

# Relocation types of the BPF backend (llvm/BinaryFormat/ELFRelocs/BPF.def).
R_BPF_NONE = 0
R_BPF_64_64 = 1          # ld_imm64: map, global data, function address
R_BPF_64_ABS64 = 2       # data: 64-bit address (DWARF, .maps slots)
R_BPF_64_ABS32 = 3
R_BPF_64_NODYLD32 = 4    # .BTF/.BTF.ext: section-relative offsets
R_BPF_64_32 = 10         # call: bpf-to-bpf call target


@dataclass
class Section:
    index: int
    name: str
    type: str                    # "SHT_PROGBITS", "SHT_NOBITS", "SHT_REL"...
    flags: int
    size: int
    data: bytes = field(repr=False)  # empty for SHT_NOBITS (its bytes are zeros)
    link: int = 0
    info: int = 0

    @property
    def executable(self) -> bool:
        return self.type == "SHT_PROGBITS" and bool(self.flags & SHF_EXECINSTR)


@dataclass
class Symbol:
    index: int
    name: str
    value: int
    size: int
    type: str                    # "STT_FUNC", "STT_OBJECT", "STT_SECTION", "STT_NOTYPE"...
    bind: str                    # "STB_GLOBAL", "STB_LOCAL", "STB_WEAK"
    section: int | None          # the section index; None for undefined/absolute/common


@dataclass
class Relocation:
    offset: int                  # byte offset in the patched section
    type: int
    symbol: Symbol


@dataclass
class ElfObject:
    sections: list[Section]
    symbols: list[Symbol] = field(default_factory=list)
    relocations: dict[int, list[Relocation]] = field(default_factory=dict)  # by patched section
    elffile: ELFFile | None = field(default=None, repr=False)

    def section_named(self, name: str) -> Section | None:
        for section in self.sections:
            if section.name == name:
                return section
        return None

    def section_name(self, index: int | None) -> str:
        if index is None or not 0 <= index < len(self.sections):
            return f"<section {index}>"
        return self.sections[index].name

    def symbols_in(self, section_index: int) -> list[Symbol]:
        return [s for s in self.symbols if s.section == section_index]


def read_elf(data: bytes) -> ElfObject:
    """Parse and check the ELF header, then read every section header and its bytes."""
    with stage("read ELF"):
        if len(data) < 16 or data[:4] != b"\x7fELF":
            raise ElfLoadError("read ELF", "not an ELF file (no \\x7fELF magic)")
        elffile = ELFFile(io.BytesIO(bytes(data)))
        header = elffile.header
    with stage("check header"):
        ident = header["e_ident"]
        if ident["EI_CLASS"] != "ELFCLASS64":
            raise ElfLoadError("check header", f"{ident['EI_CLASS']} object: BPF objects are 64-bit")
        if ident["EI_DATA"] != "ELFDATA2LSB":
            raise ElfLoadError("check header", "big-endian object: the playground runs "
                                               "little-endian BPF (compile with -target bpfel)")
        machine = header["e_machine"]
        if machine not in ("EM_BPF", EM_BPF):
            raise ElfLoadError("check header", f"e_machine is {machine}, not EM_BPF (247): "
                                               f"not a BPF object")
        if header["e_type"] != "ET_REL":
            raise ElfLoadError("check header", f"{header['e_type']} file: expected a relocatable "
                                               f"object (ET_REL), as clang -c produces")
    with stage("classify sections"):
        sections = [_section(index, elffile) for index in range(elffile.num_sections())]
    return ElfObject(sections, elffile=elffile)


def _section(index: int, elffile: ELFFile) -> Section:
    raw = elffile.get_section(index)
    header = raw.header
    size = header["sh_size"]
    if header["sh_type"] == "SHT_NOBITS" or size == 0:
        data = b""
        if size > MAX_NOBITS:
            raise ElfLoadError("classify sections", f"section {raw.name!r} is {size} bytes; "
                                                    f"the playground allows {MAX_NOBITS}")
    else:
        data = raw.data()
        if len(data) != size:
            raise ElfLoadError("classify sections", f"section {raw.name!r} runs past the end "
                                                    f"of the file")
    sh_type = header["sh_type"]
    return Section(index, raw.name, sh_type if isinstance(sh_type, str) else f"SHT_{sh_type}",
                   header["sh_flags"], size, data, header["sh_link"], header["sh_info"])


def load_symbols(obj: ElfObject) -> None:
    """The symbol table (exactly one, as libbpf requires) and every REL section's entries."""
    with stage("load symbols"):
        tables = [s for s in obj.sections if s.type == "SHT_SYMTAB"]
        if not tables:
            raise ElfLoadError("load symbols", "no symbol table (a stripped object?)")
        if len(tables) > 1:
            raise ElfLoadError("load symbols", "more than one symbol table")
        symtab = obj.elffile.get_section(tables[0].index)
        for index, raw in enumerate(symtab.iter_symbols()):
            shndx = raw["st_shndx"]
            section = shndx if isinstance(shndx, int) and 0 < shndx < len(obj.sections) else None
            info = raw["st_info"]
            obj.symbols.append(Symbol(index, raw.name, raw["st_value"], raw["st_size"],
                                      str(info["type"]), str(info["bind"]), section))
    with stage("relocate"):
        for section in obj.sections:
            if section.type == "SHT_RELA":
                raise ElfLoadError("relocate", f"{section.name}: RELA relocations are not used "
                                               f"by BPF objects")
            if section.type != "SHT_REL":
                continue
            if not 0 < section.info < len(obj.sections):
                raise ElfLoadError("relocate", f"{section.name} patches section {section.info}, "
                                               f"which does not exist")
            patched = obj.sections[section.info]
            if not (patched.executable or patched.name in RELOCATED_DATA):
                continue   # .BTF, .eh_frame, debug info: not libbpf's business (DWARF applies its own)
            if section.link != tables[0].index:
                raise ElfLoadError("relocate", f"{section.name} uses a symbol table other "
                                               f"than the object's")
            rows = obj.elffile.get_section(section.index).iter_relocations()
            entries = []
            for rel in rows:
                symbol_index = rel["r_info_sym"]
                if not 0 <= symbol_index < len(obj.symbols):
                    raise ElfLoadError("relocate", f"{section.name}: relocation at "
                                                   f"{rel['r_offset']} names symbol "
                                                   f"{symbol_index}, which does not exist")
                entries.append(Relocation(rel["r_offset"], rel["r_info_type"],
                                          obj.symbols[symbol_index]))
            obj.relocations.setdefault(section.info, []).extend(entries)
