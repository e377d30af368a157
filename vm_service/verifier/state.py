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

    def __hash__(self) -> int:
        # states are hashed at every prune point: each frame's hash is computed once
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.regs, self.stack, self.callsite, self.subprog))
            object.__setattr__(self, "_hash", cached)
        return cached


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
        frame = self.frames[-1]
        return self._with_frame(-1, Frame(tuple(regs), frame.stack, frame.callsite, frame.subprog))

    def with_stack(self, stack: Stack, frameno: int | None = None) -> "State":
        index = self.frameno if frameno is None else frameno
        frame = self.frames[index]
        return self._with_frame(index, Frame(frame.regs, stack, frame.callsite, frame.subprog))

    def _with_frame(self, index: int, frame: Frame) -> "State":
        index %= len(self.frames)
        frames = self.frames[:index] + (frame,) + self.frames[index + 1:]
        return State(frames, self.refs, self.approximate)

    def initialised(self) -> frozenset[int]:
        """The registers of the innermost frame that hold a value (cached per frame)."""
        frame = self.frames[-1]
        cached = frame.__dict__.get("_initialised")
        if cached is None:
            cached = frozenset(i for i, reg in enumerate(frame.regs) if reg.type)
            object.__setattr__(frame, "_initialised", cached)
        return cached
