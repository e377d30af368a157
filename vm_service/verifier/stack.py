"""One frame's stack as the verifier sees it (the kernel's ``bpf_stack_state``, Linux 6.18).

The stack is cut in 8-byte slots: slot ``spi`` covers ``fp-8*(spi+1)`` up to
``fp-8*spi``. Each byte has a kind (``SlotType``) and each slot may hold a
spilled register, valid while its lowest byte is ``STACK_SPILL``. Inside a
slot the kernel numbers bytes from the top: ``types[0]`` is the byte at
``fp-8*spi-1``, ``types[7]`` the one at ``fp-8*(spi+1)``, which is also the
order the log prints them in (``fp-8=0000????``: the upper half zeroed).

``write`` and ``read`` follow ``check_stack_write_fixed_off`` and
``check_stack_read_fixed_off`` for a privileged loader (``allow_uninit_stack``,
``allow_ptr_leaks``, ``bpf_capable``): uninitialised bytes may be read (they
give an unknown scalar), a scalar written at a slot's start is spilled
whatever its size, a pointer must be spilled whole, other writes make bytes
``STACK_MISC`` (``STACK_ZERO`` when the value is 0) and break a spill. Scalar
ids on spills and fills (``assign_scalar_id_before_mov``) belong to the caller.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from ..errors import VmError
from .regs import RegState

SLOT_SIZE = 8
MAX_STACK = 512
ACCESS_SIZES = (1, 2, 4, 8)


class StackError(VmError):
    """An access the kernel's verifier rejects; the message is the kernel's."""


class SlotType(enum.IntEnum):
    """``enum bpf_stack_slot_type``, each with the letter the log prints."""

    STACK_INVALID = 0   # never written
    STACK_SPILL = 1     # part of a spilled register
    STACK_MISC = 2      # some data
    STACK_ZERO = 3      # known zero
    STACK_DYNPTR = 4
    STACK_ITER = 5
    STACK_IRQ_FLAG = 6

    @property
    def letter(self) -> str:
        return SLOT_LETTERS[self]


SLOT_LETTERS = {SlotType.STACK_INVALID: "?", SlotType.STACK_SPILL: "r", SlotType.STACK_MISC: "m",
                SlotType.STACK_ZERO: "0", SlotType.STACK_DYNPTR: "d", SlotType.STACK_ITER: "i",
                SlotType.STACK_IRQ_FLAG: "f"}
SPECIAL = frozenset({SlotType.STACK_SPILL, SlotType.STACK_DYNPTR, SlotType.STACK_ITER,
                     SlotType.STACK_IRQ_FLAG})
INVALID_SLOT = (SlotType.STACK_INVALID,) * SLOT_SIZE


@dataclass(frozen=True)
class StackSlot:
    """Eight byte kinds (top byte first) and the register spilled there, if any."""

    types: tuple[SlotType, ...] = INVALID_SLOT
    spilled: RegState = RegState()

    def is_spill(self) -> bool:
        """``is_spilled_reg``: the lowest byte belongs to a spilled register."""
        return self.types[-1] is SlotType.STACK_SPILL

    def spill_size(self) -> int:
        """How many bytes of the slot, from its lowest, the spilled register took."""
        size = 0
        for kind in reversed(self.types):
            if kind is not SlotType.STACK_SPILL:
                break
            size += 1
        return size

    def is_valid(self) -> bool:
        """Whether any byte was written (the log shows only such slots)."""
        return any(kind is not SlotType.STACK_INVALID for kind in self.types)


@dataclass(frozen=True)
class Stack:
    """One frame's stack: ``allocated`` bytes (a multiple of 8), as slots from fp-8 down."""

    slots: tuple[StackSlot, ...] = ()

    @property
    def allocated(self) -> int:
        return len(self.slots) * SLOT_SIZE

    def slot(self, spi: int) -> StackSlot:
        return self.slots[spi] if spi < len(self.slots) else StackSlot()

    def slot_at(self, off: int) -> StackSlot:
        """The slot holding byte ``fp+off``."""
        return self.slot(_spi(off))

    def grown(self, size: int) -> "Stack":
        """``grow_stack_state``: room for ``size`` bytes below fp, rounded up to slots."""
        count = -(-size // SLOT_SIZE)
        if count <= len(self.slots):
            return self
        return Stack(self.slots + (StackSlot(),) * (count - len(self.slots)))

    def with_slot(self, spi: int, slot: StackSlot) -> "Stack":
        stack = self.grown((spi + 1) * SLOT_SIZE)
        return Stack(stack.slots[:spi] + (slot,) + stack.slots[spi + 1:])

    def with_spilled(self, off: int, reg: RegState) -> "Stack":
        """The slot of ``fp+off`` with its spilled register changed in place.

        What the verifier does to every copy of a register at once: a NULL check
        marks spilled copies non-NULL, releasing a reference makes them unknown.
        """
        slot = self.slot_at(off)
        if not slot.is_spill():
            raise StackError(f"no register is spilled at fp{off}")
        return self.with_slot(_spi(off), replace(slot, spilled=reg))

    # -- accesses -------------------------------------------------------------
    def write(self, off: int, size: int, value: RegState | None = None, *, imm: int | None = None) -> "Stack":
        """The stack after ``*(uN *)(r10 + off) = value`` (a register) or ``= imm`` (BPF_ST).

        Exactly one of ``value`` and ``imm`` is given.
        """
        _check_access(off, size, "write to")
        if (value is None) == (imm is None):
            raise StackError("a stack write stores either a register or an immediate")
        if value is not None and not value.is_init():
            raise StackError("a register that was never written cannot be stored")
        spi, slot = _spi(off), self.slot_at(off)
        aligned = off % SLOT_SIZE == 0
        if imm is not None and aligned:
            return self.with_slot(spi, _spilled(slot, RegState.const(imm), size))
        if value is not None and aligned and value.is_scalar():
            if value.width() > size * 8:   # a narrowing spill is no copy of the register any more
                value = replace(value, id=0, off=0)
            return self.with_slot(spi, _spilled(slot, value, size))
        if value is not None and value.is_pointer():
            if size != SLOT_SIZE:
                raise StackError("invalid size of register spill")
            return self.with_slot(spi, _spilled(slot, value, size))
        # plain data: a spill there is broken, the bytes written become misc or zero
        types = list(slot.types)
        if slot.types[-1] in SPECIAL:
            types = [t if t is SlotType.STACK_INVALID else SlotType.STACK_MISC for t in types]
        zero = imm == 0 if value is None else value.is_null()
        for i in _indices(off, size):
            types[i] = SlotType.STACK_ZERO if zero else SlotType.STACK_MISC
        return self.with_slot(spi, StackSlot(tuple(types), RegState()))

    def read(self, off: int, size: int, *, signed: bool = False) -> RegState:
        """The register ``rD = *(uN *)(r10 + off)`` loads (``*(sN *)`` when ``signed``).

        Narrow scalar results are cut to ``size`` bytes, zero- or sign-extended,
        as the load does right after the stack read.
        """
        _check_access(off, size, "read from")
        slot = self.slot_at(off)
        kinds = [slot.types[i] for i in _indices(off, size)]
        if slot.is_spill():
            spill_size = slot.spill_size()
            reg = slot.spilled
            if size == SLOT_SIZE and spill_size == SLOT_SIZE:
                return reg
            if not reg.is_scalar():
                raise StackError("invalid size of register fill")
            if size <= spill_size and off % SLOT_SIZE == 0:
                loaded = replace(reg, id=0, off=0) if reg.width() > size * 8 else reg
            elif (all(k is SlotType.STACK_SPILL for k in kinds) and reg.var.var_off.is_const()
                  and reg.var.var_off.value == 0):
                loaded = RegState.const(0)
            else:
                _check_data(kinds, off, size, SlotType.STACK_SPILL)
                loaded = _data(kinds)
        else:
            _check_data(kinds, off, size)
            loaded = _data(kinds)
        return _narrowed(loaded, size, signed)


def _check_data(kinds: list[SlotType], off: int, size: int, *also: SlotType) -> None:
    """Plain reads may see data, zeros or (as root) uninitialised bytes, nothing else."""
    readable = (SlotType.STACK_MISC, SlotType.STACK_ZERO, SlotType.STACK_INVALID) + also
    for i, kind in enumerate(kinds):
        if kind not in readable:
            raise StackError(f"invalid read from stack off {off}+{i} size {size}")


def _data(kinds: list[SlotType]) -> RegState:
    """What reading bytes that hold no whole register gives: 0 if all are zero, else unknown."""
    if all(k is SlotType.STACK_ZERO for k in kinds):
        return RegState.const(0)
    return RegState.scalar()


def _narrowed(reg: RegState, size: int, signed: bool) -> RegState:
    """``coerce_reg_to_size`` / ``coerce_reg_to_size_sx`` after a narrow load of a scalar."""
    if size == SLOT_SIZE or not reg.is_scalar():
        return reg
    value = reg.var.thaw()
    if signed:
        value.coerce_to_size_sx(size)
    else:
        value.coerce_to_size(size)
    return replace(reg, var=value.freeze())


def _spilled(slot: StackSlot, reg: RegState, size: int) -> StackSlot:
    """``save_register_state``: the low ``size`` bytes hold the register, the rest turn misc.

    Bytes above a narrow spill that were never written, or hold zeros, keep their kind.
    """
    keep = (SlotType.STACK_INVALID, SlotType.STACK_ZERO)
    types = [t if t in keep else SlotType.STACK_MISC for t in slot.types[:SLOT_SIZE - size]]
    return StackSlot(tuple(types) + (SlotType.STACK_SPILL,) * size, reg)


def _spi(off: int) -> int:
    return (-off - 1) // SLOT_SIZE


def _indices(off: int, size: int) -> list[int]:
    """The ``types`` positions of bytes ``fp+off`` .. ``fp+off+size-1``."""
    return [(-(off + i) - 1) % SLOT_SIZE for i in range(size)]


def _check_access(off: int, size: int, access: str) -> None:
    if size not in ACCESS_SIZES:
        raise StackError(f"a stack access is 1, 2, 4 or 8 bytes, not {size}")
    if off % size:
        raise StackError(f"misaligned stack access off 0+0+{off} size {size}")
    if off < -MAX_STACK or off + size > 0:
        raise StackError(f"invalid {access} stack R10 off={off} size={size}")

