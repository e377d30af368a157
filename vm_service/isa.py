"""Instructions: the raw 8-byte slot and the decoded, validated instruction.

``Insn`` is exactly what sits in memory: ``opcode:8 dst:4 src:4 off:16 imm:32``
(little-endian, ``off`` and ``imm`` signed). ``Instruction`` is one decoded
instruction bound to its row of the opcode table; ld_imm64 is one Instruction
covering two slots. Instruction indices (``pc``) are slot indices, as in the
kernel's log.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import DecodeError
from .opcodes import BY_OPCODE, CallKind, Kind, OpSpec, Pseudo, match

SLOT = struct.Struct("<BBhi")
SLOT_SIZE = SLOT.size  # 8
MAX_REG = 10           # r0..r10; r10 is the read-only frame pointer


@dataclass(frozen=True, slots=True)
class Insn:
    """One raw 8-byte slot."""

    opcode: int
    dst: int
    src: int
    off: int
    imm: int

    def pack(self) -> bytes:
        return SLOT.pack(self.opcode, (self.src << 4) | self.dst, self.off, self.imm)

    @classmethod
    def unpack(cls, data: bytes, offset: int = 0) -> "Insn":
        opcode, regs, off, imm = SLOT.unpack_from(data, offset)
        return cls(opcode, regs & 0x0F, regs >> 4, off, imm)


@dataclass(frozen=True, slots=True)
class Instruction:
    """A decoded instruction. For ld_imm64, ``next_imm`` is the second slot's imm."""

    spec: OpSpec
    dst: int = 0
    src: int = 0
    off: int = 0
    imm: int = 0
    next_imm: int = 0

    @property
    def kind(self) -> Kind:
        return self.spec.kind

    @property
    def slots(self) -> int:
        return 2 if self.spec.kind is Kind.LDDW else 1

    @property
    def imm64(self) -> int:
        """ld_imm64's value as an unsigned 64-bit integer."""
        return ((self.next_imm & 0xFFFFFFFF) << 32) | (self.imm & 0xFFFFFFFF)

    def raw(self) -> list[Insn]:
        first = Insn(self.spec.opcode, self.dst, self.src, self.off, self.imm)
        if self.spec.kind is Kind.LDDW:
            return [first, Insn(0, 0, 0, 0, self.next_imm)]
        return [first]

    def encode(self) -> bytes:
        return b"".join(slot.pack() for slot in self.raw())

    def jump_target(self, pc: int) -> int | None:
        """The pc this instruction may transfer control to (jumps, local calls), else None."""
        if self.spec.kind is Kind.JUMP:
            return pc + 1 + (self.imm if self.spec.mnemonic == "ja32" else self.off)
        if self.spec.kind is Kind.CALL and self.src == CallKind.LOCAL:
            return pc + 1 + self.imm
        if self.spec.kind is Kind.LDDW and self.src == Pseudo.FUNC:
            return pc + 1 + self.imm
        return None


def make(spec: OpSpec, dst: int = 0, src: int = 0, off: int | None = None,
         imm: int | None = None, next_imm: int = 0) -> Instruction:
    """Build an instruction of ``spec``, filling pinned fields from the row."""
    return Instruction(spec, dst, src,
                       spec.off if off is None and spec.off is not None else (off or 0),
                       spec.imm if imm is None and spec.imm is not None else (imm or 0),
                       next_imm)


def _check_fields(pc: int, spec: OpSpec, insn: Insn) -> None:
    for field in spec.zero:
        value = getattr(insn, field)
        if value:
            raise DecodeError(pc, f"({insn.opcode:02x}) {spec.mnemonic} uses reserved field "
                                  f"{field}={value} (must be 0)")
    if insn.dst > MAX_REG:
        raise DecodeError(pc, f"({insn.opcode:02x}) invalid dst register r{insn.dst}")
    if insn.src > MAX_REG and spec.uses_src_reg and spec.kind not in (Kind.CALL, Kind.LDDW):
        raise DecodeError(pc, f"({insn.opcode:02x}) invalid src register r{insn.src}")
    if spec.kind is Kind.CALL and insn.src not in tuple(CallKind):
        raise DecodeError(pc, f"(85) call with invalid src_reg {insn.src} (must be 0, 1 or 2)")
    if spec.kind is Kind.LDDW and insn.src not in tuple(Pseudo):
        raise DecodeError(pc, f"(18) ld_imm64 with invalid src_reg {insn.src} (pseudo forms are 0-6)")


def _no_row_message(insn: Insn) -> str:
    """Why no row claims this slot: an unknown opcode, or a pinned off/imm out of its set."""
    rows = BY_OPCODE.get(insn.opcode)
    if not rows:
        return f"unknown opcode 0x{insn.opcode:02x}"
    fitting = [r for r in rows if r.off is None or r.off == insn.off]
    if not fitting:
        allowed = ", ".join(str(o) for o in sorted({r.off for r in rows}))
        return (f"({insn.opcode:02x}) {rows[0].mnemonic} has invalid off={insn.off} "
                f"(allowed: {allowed})")
    # Every row that accepts this off pins imm (else it would have matched).
    names = "/".join(dict.fromkeys(r.mnemonic for r in fitting))
    if len(fitting) > 3:
        names = fitting[0].kind.value  # e.g. "atomic": the list of mnemonics would drown the point
    allowed = ", ".join(f"0x{i:x}" for i in sorted({r.imm for r in fitting}))
    return (f"({insn.opcode:02x}) {names} has invalid imm=0x{insn.imm & 0xFFFFFFFF:x} "
            f"(allowed: {allowed})")


def decode_one(data: bytes, pc: int) -> Instruction:
    """Decode the instruction starting at slot ``pc``; raises DecodeError if invalid."""
    nslots = len(data) // SLOT_SIZE
    insn = Insn.unpack(data, pc * SLOT_SIZE)
    spec = match(insn.opcode, insn.off, insn.imm)
    if spec is None:
        raise DecodeError(pc, _no_row_message(insn))
    _check_fields(pc, spec, insn)
    if spec.kind is not Kind.LDDW:
        return Instruction(spec, insn.dst, insn.src, insn.off, insn.imm)
    if pc + 1 >= nslots:
        raise DecodeError(pc, "(18) ld_imm64 is truncated: its second slot is missing")
    second = Insn.unpack(data, (pc + 1) * SLOT_SIZE)
    if second.opcode or second.dst or second.src or second.off:
        raise DecodeError(pc + 1, "invalid second slot of ld_imm64: opcode, registers and "
                                  "offset must be 0")
    if insn.src in (Pseudo.MAP_FD, Pseudo.MAP_IDX) and second.imm:
        # The kernel's resolve_pseudo_ldimm64 refuses these before verification.
        raise DecodeError(pc, f"(18) unrecognized bpf_ld_imm64 insn: src_reg={insn.src} "
                              f"({Pseudo(insn.src).name.lower()}) needs imm=0 in the second slot, "
                              f"not {second.imm}")
    return Instruction(spec, insn.dst, insn.src, insn.off, insn.imm, second.imm)


def decode(data: bytes) -> list[tuple[int, Instruction]]:
    """Decode a whole program into (pc, instruction) pairs."""
    if len(data) % SLOT_SIZE:
        raise DecodeError(len(data) // SLOT_SIZE,
                          f"program is {len(data)} bytes, not a multiple of {SLOT_SIZE}")
    out = []
    pc = 0
    nslots = len(data) // SLOT_SIZE
    while pc < nslots:
        instruction = decode_one(data, pc)
        out.append((pc, instruction))
        pc += instruction.slots
    return out


def encode(instructions: list[Instruction]) -> bytes:
    return b"".join(i.encode() for i in instructions)
