"""The loaded object as plain data: what the engine runs, the verifier checks and the UI shows.

``load_object`` (in ``load.py``) turns an ELF object into an ``ObjectSpec``;
everything here is plain dataclasses of ints, strings, bytes and lists, and
``to_dict()``/``from_dict()`` round-trip through JSON (bytes travel as hex).
Nothing here refers to live objects: ``instantiate_maps`` and ``kernel_load``
turn a spec into engine maps or kernel file descriptors.

Instruction numbers (``insn``, ``start``/``end``) are slot indices into the
program's ``code``, after subprograms were appended: what the Machine's ``pc``
and the verifier's log count.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass, field

from .errors import SpecError


@dataclass
class SourceLine:
    """Where an instruction comes from: file (as the user named it), line, column, its text."""

    file: str
    line: int
    column: int
    text: str


@dataclass
class LineMark:
    """One line-info record: the code of a source line starts at instruction ``insn``."""

    insn: int
    file: str
    line: int
    column: int
    text: str

    def source(self) -> SourceLine:
        return SourceLine(self.file, self.line, self.column, self.text)


@dataclass
class FuncInfo:
    """A bpf function starts at ``insn``; ``type_id`` is its BTF FUNC (0 without BTF)."""

    insn: int
    name: str
    type_id: int = 0


@dataclass
class VarLocation:
    """Where a variable lives for instructions ``start`` to ``end`` (exclusive).

    ``kind`` is ``"stack"`` (``value`` = offset from r10, negative), ``"reg"``
    (``value`` = register number) or ``"const"`` (``value`` = the constant).
    """

    start: int
    end: int
    kind: str
    value: int


@dataclass
class Variable:
    """A named C variable of one function, from DWARF: what it is and where it lives."""

    name: str
    type: str            # its C type, e.g. "struct event *"
    kind: str            # "param" or "local"
    function: str        # the function it belongs to (an inlined one's own name)
    locations: list[VarLocation] = field(default_factory=list)


@dataclass
class CoreRelocation:
    """One CO-RE relocation and what became of it against the simulated kernel.

    ``outcome``: ``"patched"`` (the instruction holds ``target``), ``"poisoned"``
    (the target lacks it: the instruction became the poisoned helper call) or
    ``"unchanged"`` (local relocations, and values that already agree).
    """

    insn: int
    kind: str            # "field_byte_offset", "field_exists", "type_size", "enumval_value"...
    type_name: str       # the local root type, e.g. "struct task_struct"
    access: str          # the raw access string, e.g. "0:24:1"
    spec: str            # readable: "task_struct.real_parent", "enum e::B"
    local: int | None
    target: int | None
    outcome: str


@dataclass
class MapSlot:
    """An initial element of a prog_array or map of maps: ``values[index] = &name``."""

    index: int
    kind: str            # "map" or "program"
    name: str


@dataclass
class MapDef:
    """A map the object declares, as BPF_MAP_CREATE would be given it.

    ``type`` is the kernel's name without ``BPF_MAP_TYPE_`` in lower case
    ("hash", "array_of_maps"). ``key_type``/``value_type`` describe the BTF
    types (see ``types.describe``) for pretty-printing. Global data sections
    are array maps with ``init`` (their initial bytes; zeros for ``.bss``);
    ``.rodata`` ones are ``frozen``, as libbpf freezes them after filling.
    """

    name: str
    type: str
    key_size: int
    value_size: int
    max_entries: int
    map_flags: int = 0
    inner: MapDef | None = None
    key_type: dict | None = None
    value_type: dict | None = None
    init: bytes | None = None
    frozen: bool = False
    slots: list[MapSlot] = field(default_factory=list)
    pinning: int = 0                 # 0 none, 1 LIBBPF_PIN_BY_NAME
    numa_node: int | None = None
    map_extra: int | None = None
    section: str = ".maps"           # where it was declared: ".maps", "maps", ".data"...


@dataclass
class ProgramSpec:
    """One entry program: its bytecode with subprograms appended, and what explains it.

    ``source_map[pc]`` is the C source of slot ``pc`` (None before the first
    line-info mark); ``line_info`` are the marks themselves, as objdump -S
    shows them. ``attach`` is what the section names after the type
    (``kprobe/do_sys_openat2`` -> ``"do_sys_openat2"``).
    """

    name: str
    section: str
    prog_type: str | None
    attach: str | None
    code: bytes
    source_map: list[SourceLine | None] = field(default_factory=list)
    func_info: list[FuncInfo] = field(default_factory=list)
    variables: list[Variable] = field(default_factory=list)
    core_relocations: list[CoreRelocation] = field(default_factory=list)
    line_info: list[LineMark] = field(default_factory=list)
    retprobe: bool = False
    expected_attach_type: str | None = None
    sleepable: bool = False
    xdp_frags: bool = False

    @property
    def insn_count(self) -> int:
        return len(self.code) // 8


@dataclass
class ObjectSpec:
    """Everything an object file declares: programs, maps, license, kernel version, its BTF."""

    programs: list[ProgramSpec]
    maps: list[MapDef]
    license: str
    kernel_version: int | None
    name: str = "object"
    warnings: list[str] = field(default_factory=list)
    btf: bytes | None = None         # the object's BTF, fixed up as libbpf loads it (kernel_load)

    def program(self, name: str) -> ProgramSpec:
        for program in self.programs:
            if program.name == name:
                return program
        raise KeyError(f"the object has no program {name!r} "
                       f"(it has: {', '.join(p.name for p in self.programs) or 'none'})")

    def map_index(self, name: str) -> int:
        for index, bpf_map in enumerate(self.maps):
            if bpf_map.name == name:
                return index
        raise KeyError(f"the object has no map {name!r}")

    def to_dict(self) -> dict:
        return _encode(self)

    @classmethod
    def from_dict(cls, data: dict) -> ObjectSpec:
        """Rebuild a spec from ``to_dict()``'s output; SpecError names what is wrong."""
        return _decode(cls, data, "spec")


def _add_codec(cls):
    cls.to_dict = lambda self: _encode(self)
    cls.from_dict = classmethod(lambda c, data: _decode(c, data, c.__name__))
    return cls


for _cls in (SourceLine, LineMark, FuncInfo, VarLocation, Variable, CoreRelocation, MapSlot,
             MapDef, ProgramSpec):
    _add_codec(_cls)


# -- the JSON codec: dataclasses <-> dicts, bytes <-> hex --------------------------------

def _encode(value):
    if dataclasses.is_dataclass(value):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, list):
        return [_encode(item) for item in value]
    return value


@functools.cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _decode(hint, data, path: str):
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if data is None and type(None) in options:
            return None
        (inner,) = [option for option in options if option is not type(None)]
        return _decode(inner, data, path)
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(data, list):
            raise SpecError(f"{path}: expected a list, got {type(data).__name__}")
        return [_decode(item, value, f"{path}[{i}]") for i, value in enumerate(data)]
    if dataclasses.is_dataclass(hint):
        if not isinstance(data, dict):
            raise SpecError(f"{path}: expected an object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(hint)}
        unknown = set(data) - known
        if unknown:
            raise SpecError(f"{path}: unknown field(s) {', '.join(sorted(unknown))}")
        hints = _hints(hint)
        values = {}
        for f in dataclasses.fields(hint):
            if f.name in data:
                values[f.name] = _decode(hints[f.name], data[f.name], f"{path}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise SpecError(f"{path}: missing field {f.name!r}")
        return hint(**values)
    if hint is bytes:
        if not isinstance(data, str):
            raise SpecError(f"{path}: expected hex text, got {type(data).__name__}")
        try:
            return bytes.fromhex(data)
        except ValueError:
            raise SpecError(f"{path}: not hex: {data[:40]!r}") from None
    if hint is int:
        if type(data) is not int:
            raise SpecError(f"{path}: expected an integer, got {type(data).__name__}")
        return data
    if hint in (str, bool, dict):
        if type(data) is not hint:
            raise SpecError(f"{path}: expected {hint.__name__}, got {type(data).__name__}")
        return data
    raise SpecError(f"{path}: cannot decode a {hint!r}")
