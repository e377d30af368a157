"""Loading a spec into the live kernel, as libbpf would: for differential tests.

``kernel_load_object(spec)`` loads a whole object the way libbpf's
``bpf_object__load`` does:

1. every map once, with BPF_MAP_CREATE (a map of maps gets a template inner
   map, created first and closed after); global data written at key 0 and
   ``.rodata`` frozen; ``values = { [i] = &map }`` slots filled;
2. every program against those map fds: the engine's ``ld_imm64`` convention
   (``imm`` = index into ``spec.maps``) patched to the kernel's (``imm`` = the
   map's fd; ``src_reg`` 2 keeps its value offset), loaded with BPF_PROG_LOAD
   under its section's program type, expected attach type and flags, with the
   object's BTF and the program's func info when it has them (the kernel wants
   those for callbacks such as bpf_loop's); a BTF-attached program (fentry,
   tp_btf, lsm, iter) names its target by its id in the kernel's own BTF;
3. ``values = { [i] = &prog }`` slots of program arrays filled with the loaded
   programs' fds, as libbpf does for ``__array(values, ...)`` initialisers.

A rejected program raises ``KernelError`` carrying the verifier's log (when
no log was asked for, the load is retried with one, as libbpf does), and
everything created so far is closed. ``KernelObject.map_items`` reads a map
back through the syscall, for comparison with the engine's maps.

``kernel_load(spec, "prog")`` is the one-program form: the maps and that
program only, program-array slots left empty.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass, field

from .. import btf as btf_module
from .. import kernel
from ..btf import BtfKind
from ..isa import SLOT, SLOT_SIZE
from .errors import KernelLoadError
from .instantiate import created_max_entries
from .kernel_enums import ATTACH_TYPES, PROG_TYPES, map_type_number
from .spec import MapDef, ObjectSpec, ProgramSpec

PSEUDO_MAP_FD = 1
PSEUDO_MAP_VALUE = 2
LD_IMM64 = 0x18

BPF_F_SLEEPABLE = 1 << 4
BPF_F_XDP_HAS_FRAGS = 1 << 5

# Where a BTF-attached program's target is in the kernel's BTF, by expected attach
# type: (kind, prefix of the name the section gives), after libbpf's lookups.
BTF_ATTACH_TARGETS: dict[str, tuple[BtfKind, str]] = {
    "trace_fentry": (BtfKind.FUNC, ""),
    "trace_fexit": (BtfKind.FUNC, ""),
    "modify_return": (BtfKind.FUNC, ""),
    "trace_raw_tp": (BtfKind.TYPEDEF, "btf_trace_"),
    "lsm_mac": (BtfKind.FUNC, "bpf_lsm_"),
    "lsm_cgroup": (BtfKind.FUNC, "bpf_lsm_"),
    "trace_iter": (BtfKind.FUNC, "bpf_iter_"),
}


@dataclass
class KernelObject:
    """An object loaded into the live kernel: its maps and programs by fd.

    ``map_fds`` follow ``spec.maps`` (the ld_imm64 indices); ``prog_fds`` are
    keyed by program name. Close it, or use it as a context manager.
    """

    spec: ObjectSpec
    map_fds: list[int] = field(default_factory=list)
    prog_fds: dict[str, int] = field(default_factory=dict)

    def map_fd(self, map_: int | str) -> int:
        """The fd of a map, by index in ``spec.maps`` or by name."""
        return self.map_fds[self.spec.map_index(map_) if isinstance(map_, str) else map_]

    def map_items(self, map_: int | str) -> list[tuple[bytes, bytes]]:
        """Every (key, value) the syscall reads back, in the kernel's key order.

        Values are what BPF_MAP_LOOKUP_ELEM copies out: per-CPU maps give every
        possible CPU's value, each padded to 8 bytes; program arrays and maps
        of maps give the id of what a slot holds. A map the syscall cannot read
        (ring buffers...) raises ``KernelError``.
        """
        fd = self.map_fd(map_)
        items = []
        for key in kernel.map_keys(fd):
            value = kernel.map_lookup(fd, key)
            if value is not None:
                items.append((key, value))
        return items

    def close(self) -> None:
        """Close every fd (the kernel frees what nothing else holds)."""
        for fd in [*self.prog_fds.values(), *self.map_fds]:
            kernel.close(fd)
        self.prog_fds.clear()
        self.map_fds.clear()

    def __enter__(self) -> KernelObject:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def kernel_load_object(spec: ObjectSpec, *,
                       log_level: int = kernel.LogLevel.NONE) -> KernelObject:
    """Load every map and every program of ``spec``; program arrays filled as libbpf fills them."""
    for program in spec.programs:                # an untyped program: refused before creating anything
        _prog_type_number(program, None)
    loaded = KernelObject(spec)
    try:
        _create_maps(spec, loaded.map_fds)
        with _ObjectBtf(spec) as btf:
            for program in spec.programs:
                loaded.prog_fds[program.name] = _load_program(spec, program, loaded.map_fds, btf,
                                                              None, log_level)
        _fill_program_slots(spec, loaded)
        return loaded
    except BaseException:
        loaded.close()
        raise


def kernel_load(spec: ObjectSpec, program_name: str, prog_type: str | None = None, *,
                log_level: int = kernel.LogLevel.NONE) -> tuple[int, list[int]]:
    """Load one program and its object's maps; returns (prog_fd, map_fds), the caller closes them.

    ``prog_type`` overrides the section's (the expected attach type is then
    not set); program-array slots stay empty.
    """
    program = spec.program(program_name)
    _prog_type_number(program, prog_type)
    map_fds: list[int] = []
    try:
        _create_maps(spec, map_fds)
        with _ObjectBtf(spec) as btf:
            return _load_program(spec, program, map_fds, btf, prog_type, log_level), map_fds
    except BaseException:
        for fd in map_fds:
            kernel.close(fd)
        raise


# -- maps ---------------------------------------------------------------------------

def _create_maps(spec: ObjectSpec, fds: list[int]) -> None:
    """Create every map into ``fds`` (which then holds whatever was created, even on failure)."""
    for map_def in spec.maps:
        fds.append(_create(map_def))
    for map_def, fd in zip(spec.maps, fds):
        if map_def.init is not None:
            kernel.map_update(fd, bytes(map_def.key_size), map_def.init)
        if map_def.frozen:
            kernel.map_freeze(fd)
    for map_def, fd in zip(spec.maps, fds):
        for slot in map_def.slots:
            if slot.kind == "map":
                kernel.map_update(fd, slot.index.to_bytes(map_def.key_size, "little"),
                                  struct.pack("<I", fds[spec.map_index(slot.name)]))


def _fill_program_slots(spec: ObjectSpec, loaded: KernelObject) -> None:
    """``values = { [i] = &prog }`` of program arrays, once every program has its fd."""
    for map_def, fd in zip(spec.maps, loaded.map_fds):
        for slot in map_def.slots:
            if slot.kind != "program":
                continue
            if slot.name not in loaded.prog_fds:
                raise KernelLoadError(f"{map_def.name!r} values[{slot.index}] names "
                                      f"{slot.name!r}, which is not a program of the object")
            kernel.map_update(fd, slot.index.to_bytes(map_def.key_size, "little"),
                              struct.pack("<I", loaded.prog_fds[slot.name]))


def _create(map_def: MapDef) -> int:
    inner_fd = 0
    if map_def.inner is not None:
        inner_fd = _create(map_def.inner)
    try:
        return kernel.map_create(map_type_number(map_def.type), map_def.key_size,
                                 map_def.value_size,
                                 created_max_entries(map_def, kernel.possible_cpus()),
                                 map_def.map_flags, map_def.name, inner_map_fd=inner_fd)
    finally:
        if inner_fd:
            kernel.close(inner_fd)


# -- programs -----------------------------------------------------------------------

class _ObjectBtf:
    """The object's BTF loaded once (BPF_BTF_LOAD) while its programs load, then closed."""

    def __init__(self, spec: ObjectSpec):
        self.spec = spec
        self.fd = 0

    def __enter__(self) -> _ObjectBtf:
        return self

    def func_info(self, program: ProgramSpec) -> tuple[int, bytes]:
        """(btf_fd, bpf_func_info records) for a program, or (0, b"") without BTF."""
        if self.spec.btf is None or not all(f.type_id for f in program.func_info):
            return 0, b""
        if not self.fd:
            self.fd = kernel.btf_load(self.spec.btf)
        return self.fd, b"".join(struct.pack("<II", f.insn, f.type_id) for f in program.func_info)

    def __exit__(self, *_exc) -> None:
        if self.fd:
            kernel.close(self.fd)


def _prog_type_number(program: ProgramSpec, prog_type: str | None) -> int:
    type_name = prog_type or program.prog_type
    if type_name not in PROG_TYPES:
        raise KernelLoadError(f"program {program.name!r} needs a program type "
                              f"(its section {program.section!r} does not say one)")
    return PROG_TYPES[type_name]


def _load_program(spec: ObjectSpec, program: ProgramSpec, map_fds: list[int], btf: _ObjectBtf,
                  prog_type: str | None, log_level: int) -> int:
    attach = program.expected_attach_type if prog_type is None else None
    btf_fd, func_info = btf.func_info(program)
    flags = (BPF_F_SLEEPABLE if program.sleepable else 0) | \
            (BPF_F_XDP_HAS_FRAGS if program.xdp_frags else 0)

    def load(level: int) -> kernel.LoadResult:
        return kernel.prog_load(patch_map_fds(program.code, map_fds),
                                _prog_type_number(program, prog_type), spec.license,
                                log_level=level, prog_flags=flags,
                                expected_attach_type=ATTACH_TYPES[attach] if attach else 0,
                                name=program.name, btf_fd=btf_fd, func_info=func_info,
                                attach_btf_id=attach_btf_id(program, attach))

    loaded = load(log_level)
    if not loaded.ok and not log_level:
        loaded = load(kernel.LogLevel.BRANCHES)      # as libbpf does: again, for the log
    if not loaded.ok:
        raise kernel.KernelError(loaded.errno, f"bpf(PROG_LOAD) of program {program.name!r} "
                                 f"(section {program.section!r}): the verifier refused it",
                                 loaded.log)
    return loaded.fd


def attach_btf_id(program: ProgramSpec, attach_type: str | None) -> int:
    """The kernel BTF id a BTF-attached program targets (0 for the other kinds)."""
    if attach_type not in BTF_ATTACH_TARGETS:
        return 0
    kind, prefix = BTF_ATTACH_TARGETS[attach_type]
    name = prefix + (program.attach or "")
    ids = _kernel_btf().find(name, kind) if program.attach else []
    if not ids:
        raise KernelLoadError(f"program {program.name!r} attaches to {program.attach!r}, but the "
                              f"kernel's BTF has no {kind.name.lower()} {name!r}")
    return ids[0]


@functools.cache
def _kernel_btf() -> btf_module.Btf:
    return btf_module.load()


def patch_map_fds(code: bytes, map_fds: list[int]) -> bytes:
    """The engine's map indices in ld_imm64 replaced by the kernel's map fds."""
    out = bytearray(code)
    pc = 0
    while pc < len(code) // SLOT_SIZE:
        opcode, regs, off, imm = SLOT.unpack_from(code, pc * SLOT_SIZE)
        if opcode == LD_IMM64:
            if regs >> 4 in (PSEUDO_MAP_FD, PSEUDO_MAP_VALUE):
                SLOT.pack_into(out, pc * SLOT_SIZE, opcode, regs, off, map_fds[imm])
            pc += 2
        else:
            pc += 1
    return bytes(out)
