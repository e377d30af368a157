"""From a loaded object (or raw bytecode) to a program ready to attach: the run stage's input.

The stages before are separate modules: compile (``toolchain``), load
(``loader.load_object``), inputs and formats. This module makes the choices
between them, the way a loader such as libbpf does before attaching:

* which program of the object runs (``select_program``: by function name or
  section, refusing to guess between several);
* its program type and attach point (from its section, unless given);
* its maps: created from the object's map definitions, global data filled,
  MAPS.json seeds applied (before ``.rodata`` is frozen, as a skeleton sets its
  read-only globals before loading), prog_array slots filled with the
  object's other programs, and ``tail_call_self`` slots with this one.

The result, a ``Runnable``, makes ``ProgramInstance``s (``vm_service.runner``)
that handle events.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .errors import VmError
from .formats.maps import MapsConfig, create_maps, install_tail_call_self, seed_maps
from .loader.instantiate import instantiate_maps
from .loader.spec import ObjectSpec, ProgramSpec
from .maps.base import BpfMap
from .program import Program
from .runner import ProgramInstance


class PipelineError(VmError):
    """A choice the user must make, or an input that does not fit the program."""


@dataclass
class Runnable:
    """A program with everything it needs to run: type, attach point and live maps.

    ``prog_type`` None is raw mode (no context: r1 points at the input memory).
    ``spec``/``program_spec`` say where it came from (None for raw bytecode).
    """

    program: Program
    prog_type: str | None
    attach: str
    retprobe: bool
    maps: list[BpfMap]
    spec: ObjectSpec | None = None
    program_spec: ProgramSpec | None = None

    def instance(self, **options) -> ProgramInstance:
        """A ProgramInstance sharing these maps (events run against them)."""
        if self.prog_type is None:
            raise PipelineError("this program has no program type: give one (for example "
                                "xdp, socket_filter, sched_cls, kprobe, tracepoint)")
        return ProgramInstance(self.program, self.prog_type, maps=self.maps, attach=self.attach,
                               retprobe=self.retprobe, **options)


def select_program(spec: ObjectSpec, wanted: str | None) -> ProgramSpec:
    """The program named ``wanted`` (a function name, else a section name); the only one
    if ``wanted`` is None. PipelineError lists the choices when it is ambiguous."""
    choices = ", ".join(f"{p.name} (section {p.section})" for p in spec.programs) or "none"
    if not spec.programs:
        raise PipelineError(f"{spec.name} has no programs")
    if wanted is None:
        if len(spec.programs) == 1:
            return spec.programs[0]
        raise PipelineError(f"{spec.name} has {len(spec.programs)} programs; choose one by "
                            f"function or section name: {choices}")
    by_name = [p for p in spec.programs if p.name == wanted]
    if by_name:
        return by_name[0]
    by_section = [p for p in spec.programs if p.section == wanted]
    if len(by_section) == 1:
        return by_section[0]
    if by_section:
        names = ", ".join(p.name for p in by_section)
        raise PipelineError(f"section {wanted!r} holds {len(by_section)} programs ({names}); "
                            f"choose one by function name")
    raise PipelineError(f"{spec.name} has no program or section {wanted!r}; it has: {choices}")


def from_object(spec: ObjectSpec, *, section: str | None = None, prog_type: str | None = None,
                attach: str | None = None, maps_config: MapsConfig | None = None,
                ncpus: int = 2) -> Runnable:
    """The chosen program of a loaded object, with the object's maps created and seeded."""
    chosen = select_program(spec, section)
    programs: dict[str, Program] = {}

    def program_named(name: str) -> Program:
        if name not in programs:
            programs[name] = Program.from_bytes(spec.program(name).code)
        return programs[name]

    main = program_named(chosen.name)
    unfrozen = dataclasses.replace(
        spec, maps=[dataclasses.replace(m, frozen=False) for m in spec.maps])
    maps = instantiate_maps(unfrozen, program=program_named, ncpus=ncpus)
    if maps_config is not None:
        seed_maps(maps_config, {m.name: live for m, live in zip(spec.maps, maps)})
    for map_def, live in zip(spec.maps, maps):
        if map_def.frozen and not live.frozen:
            live.freeze()
    if maps_config is not None:
        install_tail_call_self(maps_config, maps, main)
    kind = prog_type or chosen.prog_type
    return Runnable(main, kind, attach if attach is not None else chosen.attach or "",
                    chosen.retprobe and prog_type is None, maps, spec, chosen)


def from_bytecode(program: Program, *, prog_type: str | None = None, attach: str | None = None,
                  maps_config: MapsConfig | None = None, ncpus: int = 2) -> Runnable:
    """Raw bytecode: its maps come from MAPS.json alone, by ld_imm64 index."""
    maps: list[BpfMap] = []
    if maps_config is not None:
        maps = create_maps(maps_config, ncpus=ncpus)
        install_tail_call_self(maps_config, maps, program)
    return Runnable(program, prog_type, attach or "", False, maps)
