"""The state of one path: call frames, held references (the kernel's ``bpf_verifier_state``).

A frame is one function's registers and stack (``bpf_func_state``); the
innermost frame is the one executing. ``refs`` are the references the path
holds (a ring-buffer reservation until it is submitted or discarded), each with
the instruction that acquired it, for the kernel's "Unreleased reference" error.
Equality is what pruning compares; ``approximate`` marks a path on which this
verifier knows less than the kernel and is not compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .regs import RegState
from .stack import Stack


@dataclass(frozen=True)
class Ref:
    """An acquired reference: its id (``ref_obj_id``) and the instruction that made it."""

    id: int
    insn: int


@dataclass(frozen=True)
class Frame:
    """One function's registers and stack; ``callsite`` is the caller's call instruction."""

    regs: tuple[RegState, ...]
    stack: Stack = Stack()
    callsite: int = -1
    subprog: int = 0


@dataclass(frozen=True)
class State:
    """One path's state; registers and stack accessors read the innermost frame."""

    frames: tuple[Frame, ...]
    refs: tuple[Ref, ...] = ()
    approximate: bool = field(default=False, compare=False)

    @staticmethod
    def entry(regs) -> "State":
        return State((Frame(tuple(regs)),))

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    @property
    def frameno(self) -> int:
        return len(self.frames) - 1

    @property
    def regs(self) -> tuple[RegState, ...]:
        return self.frames[-1].regs

    @property
    def stack(self) -> Stack:
        return self.frames[-1].stack

    def stack_of(self, frameno: int) -> Stack:
        return self.frames[frameno].stack

    def set(self, regno: int, reg: RegState) -> "State":
        regs = self.regs
        return self.with_regs(regs[:regno] + (reg,) + regs[regno + 1:])

    def with_regs(self, regs) -> "State":
        return self._with_frame(-1, replace(self.frames[-1], regs=tuple(regs)))

    def with_stack(self, stack: Stack, frameno: int | None = None) -> "State":
        index = self.frameno if frameno is None else frameno
        return self._with_frame(index, replace(self.frames[index], stack=stack))

    def _with_frame(self, index: int, frame: Frame) -> "State":
        index %= len(self.frames)
        frames = self.frames[:index] + (frame,) + self.frames[index + 1:]
        return replace(self, frames=frames)

    def initialised(self) -> frozenset[int]:
        return frozenset(i for i, reg in enumerate(self.regs) if reg.is_init())
