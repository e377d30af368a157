"""A loadable program: decoded instructions indexed by slot, with structural checks.

The checks are the ones the kernel makes before any abstract interpretation
(``check_subprogs``/``check_cfg``): every jump and local call lands on an
instruction inside the program, never in the middle of an ld_imm64, and the last
instruction cannot fall off the end. Their messages use the kernel's wording.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from .errors import ProgramError
from .isa import SLOT_SIZE, Instruction, decode
from .opcodes import Kind

MAX_INSNS = 1_000_000  # BPF_COMPLEXITY_LIMIT_INSNS: the kernel's cap on program slots


@dataclass(frozen=True)
class Program:
    """Instructions by slot. ``at[pc]`` is None for the second slot of an ld_imm64."""

    at: tuple[Instruction | None, ...]
    labels: dict[int, str] = field(default_factory=dict, compare=False)

    @classmethod
    def from_bytes(cls, data: bytes, labels: dict[int, str] | None = None) -> "Program":
        """Decode and check; raises DecodeError or ProgramError."""
        decoded = decode(data)
        return cls.from_instructions([insn for _, insn in decoded], labels)

    @classmethod
    def from_instructions(cls, instructions: list[Instruction],
                          labels: dict[int, str] | None = None) -> "Program":
        at: list[Instruction | None] = []
        for insn in instructions:
            at.append(insn)
            if insn.slots == 2:
                at.append(None)
        program = cls(tuple(at), dict(labels or {}))
        program.check()
        return program

    def __deepcopy__(self, memo: dict) -> "Program":
        return self  # immutable: machine snapshots share it

    def __len__(self) -> int:
        return len(self.at)

    def items(self):
        """(pc, instruction) for every instruction, in order."""
        return ((pc, insn) for pc, insn in enumerate(self.at) if insn is not None)

    def encode(self) -> bytes:
        return b"".join(insn.encode() for _, insn in self.items())

    @property
    def size_bytes(self) -> int:
        return len(self.at) * SLOT_SIZE

    def check(self) -> None:
        count = len(self.at)
        if count == 0:
            raise ProgramError(0, "empty program: at least one instruction is required")
        if count > MAX_INSNS:
            raise ProgramError(count - 1, f"BPF program is too large. Processed {count} insn")
        starts = self.subprogram_starts()
        for pc, insn in self.items():
            target = insn.jump_target(pc)
            if target is None:
                continue
            if not 0 <= target < count:
                raise ProgramError(pc, f"jump out of range from insn {pc} to {target}")
            if self.at[target] is None:
                raise ProgramError(pc, f"jump into the middle of ldimm64 insn {target - 1}")
            if insn.kind is Kind.JUMP and self._subprogram_of(pc, starts) != self._subprogram_of(target, starts):
                raise ProgramError(pc, f"jump out of range from insn {pc} to {target}")
        for index, start in enumerate(starts):
            end = starts[index + 1] if index + 1 < len(starts) else count
            last_pc = end - 1 if self.at[end - 1] is not None else end - 2
            last = self.at[last_pc]
            if not (last.kind is Kind.EXIT or (last.kind is Kind.JUMP and last.spec.op == "ja")):
                raise ProgramError(last_pc, "last insn is not an exit or jmp")

    def subprogram_starts(self) -> list[int]:
        """First pc of each bpf function: 0 and every local-call or function-pointer target."""
        starts = {0}
        for pc, insn in self.items():
            if insn.kind is not Kind.JUMP and (target := insn.jump_target(pc)) is not None:
                if 0 <= target < len(self.at):
                    starts.add(target)
        return sorted(starts)

    @staticmethod
    def _subprogram_of(pc: int, starts: list[int]) -> int:
        return bisect.bisect_right(starts, pc) - 1
