"""How a step of the exploration ends early: the kernel refuses, or we cannot tell."""

from __future__ import annotations

from ..errors import VmError


class Unsupported(VmError):
    """The program uses something this verifier does not model yet: no verdict is guessed."""


class Reject(Exception):
    """The kernel refuses the program at ``pc`` (-1: the instruction being stepped) with ``text``."""

    def __init__(self, text: str, pc: int = -1):
        super().__init__(text)
        self.text, self.pc = text, pc
