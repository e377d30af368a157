"""The "line info" stage: function info, line marks and the per-instruction source map.

``.BTF.ext`` addresses records by section and byte offset; a linked program
holds copies of functions at new slots, so each record moves with its
function (``Placement.offset``). Line info marks only some instructions (the
first of each source line's code); the source map gives every slot the mark
before it within the same function, as ``llvm-objdump -S`` shows the code.

File names stay as the user wrote them: relative names are kept, absolute
ones are made relative to ``source_root`` when under it, else cut to their
base name, so no server path reaches the UI.
"""

from __future__ import annotations

import posixpath

from ..isa import SLOT_SIZE
from .btf_ext import BtfExt
from .link import LinkedProgram
from .spec import FuncInfo, LineMark, SourceLine


def user_path(path: str, source_root: str | None = None) -> str:
    """A file name as the user knows it: never an absolute path of the server."""
    if not path.startswith("/"):
        return path
    normal = posixpath.normpath(path)
    if source_root:
        root = posixpath.normpath(source_root)
        if normal.startswith(root.rstrip("/") + "/"):
            return normal[len(root.rstrip("/")) + 1:]
    return posixpath.basename(normal)


def func_info(linked: LinkedProgram, ext: BtfExt | None) -> list[FuncInfo]:
    """One record per function copy: where it starts, its name, its BTF FUNC id if known."""
    type_ids = {}
    if ext is not None:
        type_ids = {(r.section, r.insn_off // SLOT_SIZE): r.type_id for r in ext.funcs}
    return [FuncInfo(p.offset, p.function.name,
                     type_ids.get((p.function.section_name, p.function.start), 0))
            for p in linked.placements]


def line_marks(linked: LinkedProgram, ext: BtfExt | None,
               source_root: str | None = None) -> list[LineMark]:
    if ext is None:
        return []
    marks = []
    for placement in linked.placements:
        function = placement.function
        for record in ext.lines:
            slot = record.insn_off // SLOT_SIZE
            if record.section == function.section_name and function.start <= slot < function.end:
                marks.append(LineMark(placement.offset + slot - function.start,
                                      user_path(record.file, source_root), record.line,
                                      record.column, record.text))
    marks.sort(key=lambda m: m.insn)
    return marks


def source_map(linked: LinkedProgram, marks: list[LineMark]) -> list[SourceLine | None]:
    """Every slot's source line: the latest mark at or before it in the same function."""
    out: list[SourceLine | None] = [None] * len(linked.insns)
    by_slot = {m.insn: m.source() for m in marks}
    for placement in linked.placements:
        current = None
        for slot in range(placement.offset, placement.offset + len(placement.function.insns)):
            current = by_slot.get(slot, current)
            out[slot] = current
    return out
