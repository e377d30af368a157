"""``verify``: the playground's verifier verdict on one program, in the kernel's words.

Structure first (``cfg.check_structure``: what the kernel refuses before
walking any path), then the path exploration of ``explore.py``. The answer is
accepted, rejected with the kernel's error line and failing instruction, or
unsupported (``accepted=None``) with the reason, when the program uses
something the exploration does not model: never a guessed verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import VmError
from ..helpers.kinds import ProgType
from . import cfg
from .errors import Unsupported
from .explore import INSN_LIMIT, Explorer, MapInfo


class VerifyInputError(VmError):
    """Arguments ``verify`` cannot work with (an unknown program type, malformed maps)."""


@dataclass(frozen=True)
class VerifierResult:
    """The verdict: True, False, or None when unsupported (then ``reason`` says why)."""

    accepted: bool | None
    error_lines: tuple[str, ...] = ()
    error_insn: int | None = None
    log: str = ""
    stats: dict = field(default_factory=dict)
    reason: str = ""


def verify(code: bytes, prog_type: str | int | ProgType, license: str = "GPL", spec=None, *,
           maps=None, log_level: int = 1) -> VerifierResult:
    """Verify ``code`` as the kernel would for a root loader of ``prog_type``.

    Maps named by ``ld_imm64`` (``imm`` = index, the engine's convention) come
    from ``spec.maps`` (an ``ObjectSpec``) or ``maps`` (dicts or ``MapInfo``
    with type, key_size, value_size, max_entries). ``license`` is read for
    GPL-only helpers (none of the modelled helpers is GPL-only yet).
    """
    kind = _prog_type(prog_type)
    map_infos = _maps(spec, maps)
    try:
        structure = cfg.check_structure(code, log_level=log_level,
                                        map_fds=frozenset(range(len(map_infos))))
    except cfg.StructureUnsupported as error:
        return VerifierResult(None, reason=str(error))
    if not structure.ok:
        lines = (structure.error.text,) if structure.error.logged else ()
        return VerifierResult(False, lines, None, "\n".join(structure.log_lines))
    if spec is not None and kind is ProgType.CGROUP_SKB:
        return VerifierResult(None, reason="a cgroup_skb object's attach type (its return "
                                           "range) is not read yet")
    slots = cfg._slots(code)
    try:
        outcome = Explorer(slots, kind, map_infos).run()
    except Unsupported as error:
        return VerifierResult(None, reason=str(error))
    stats = {"processed": outcome.processed, "total_states": outcome.total_states,
             "peak_states": outcome.peak_states,
             "max_states_per_insn": outcome.max_states_per_insn}
    lines = () if outcome.accepted else (outcome.error,)
    statistics = (f"processed {outcome.processed} insns (limit {INSN_LIMIT}) "
                  f"max_states_per_insn {outcome.max_states_per_insn} total_states "
                  f"{outcome.total_states} peak_states {outcome.peak_states} mark_read 0")
    log = "\n".join((*structure.log_lines, *lines, statistics))
    return VerifierResult(outcome.accepted, lines, outcome.error_insn, log, stats)


def _prog_type(prog_type) -> ProgType:
    try:
        if isinstance(prog_type, str):
            return ProgType[prog_type.upper()]
        return ProgType(prog_type)
    except (KeyError, ValueError):
        raise VerifyInputError(f"unknown program type {prog_type!r}") from None


def _maps(spec, maps) -> tuple[MapInfo, ...]:
    if spec is not None:
        return tuple(MapInfo(m.type if not (m.frozen or m.init or m.inner or m.map_flags)
                             else f"{m.type} (special)", m.key_size, m.value_size,
                             m.max_entries, m.name) for m in spec.maps)
    infos = []
    for index, m in enumerate(maps or ()):
        if isinstance(m, MapInfo):
            infos.append(m)
            continue
        try:
            infos.append(MapInfo(m["type"], m["key_size"], m["value_size"], m["max_entries"],
                                 m.get("name", f"m{index}")))
        except (KeyError, TypeError) as error:
            raise VerifyInputError(f"map {index}: needs type, key_size, value_size and "
                                   f"max_entries ({error})") from None
    return tuple(infos)
