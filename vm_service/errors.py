"""Typed errors of the engine. Each carries where it happened (pc, line/column)."""

from __future__ import annotations


class VmError(Exception):
    """Base of every error the engine raises on bad input."""


class DecodeError(VmError):
    """Bytecode that is not a valid Linux instruction stream; ``pc`` is the slot index."""

    def __init__(self, pc: int, message: str):
        super().__init__(f"insn {pc}: {message}")
        self.pc = pc
        self.message = message


class AsmError(VmError):
    """Assembly text that cannot be assembled; ``line`` and ``col`` are 1-based."""

    def __init__(self, line: int, col: int, message: str):
        super().__init__(f"line {line}, column {col}: {message}")
        self.line = line
        self.col = col
        self.message = message


class ProgramError(VmError):
    """Well-formed instructions that do not form a loadable program (bad jump, no exit)."""

    def __init__(self, pc: int, message: str):
        super().__init__(message)
        self.pc = pc
        self.message = message
