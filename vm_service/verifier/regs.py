"""The verifier's view of one register: the kernel's ``bpf_reg_state`` (Linux 6.18).

A register is ``NOT_INIT``, a ``SCALAR_VALUE`` (the ``Scalar`` domain) or a
pointer of a ``RegType`` with ``TypeFlag`` modifiers (``PTR_MAYBE_NULL``,
``MEM_RINGBUF``...). A pointer's offset has a fixed part ``off`` and a
variable part ``var`` (tnum and bounds, kept exactly as for scalars: the kernel
stores both in the same fields). The other fields matter only to some types:
``range`` (packet bytes proven readable), ``map`` (map pointers and map
values), ``frameno`` (stack pointers), ``mem_size`` (PTR_TO_MEM), ``subprogno``
(PTR_TO_FUNC), ``btf_name`` (PTR_TO_BTF_ID); ``id`` links copies of one
maybe-NULL pointer or scalar, ``ref_obj_id`` names an acquired reference.

The constructors are the states the verifier creates: ``ctx()`` and
``frame_pointer()`` at entry, ``map_ptr`` for a map's ld_imm64,
``map_value_or_null`` from ``bpf_map_lookup_elem``, ``packet``/``packet_end``/
``packet_meta`` from context loads, ``ringbuf_mem_or_null`` from
``bpf_ringbuf_reserve``...
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from ..errors import VmError
from ..helpers.kinds import TypeFlag
from .scalar import Scalar
from .tnum import TNUM_ZERO

REG_COUNT = 11       # r0-r10
FRAME_POINTER = 10


class RegStateError(VmError):
    """A register state the kernel's verifier cannot hold."""


class RegType(enum.IntEnum):
    """``enum bpf_reg_type``'s base types, with the kernel's numbers."""

    NOT_INIT = 0
    SCALAR_VALUE = 1
    PTR_TO_CTX = 2
    CONST_PTR_TO_MAP = 3
    PTR_TO_MAP_VALUE = 4
    PTR_TO_MAP_KEY = 5
    PTR_TO_STACK = 6
    PTR_TO_PACKET_META = 7
    PTR_TO_PACKET = 8
    PTR_TO_PACKET_END = 9
    PTR_TO_FLOW_KEYS = 10
    PTR_TO_SOCKET = 11
    PTR_TO_SOCK_COMMON = 12
    PTR_TO_TCP_SOCK = 13
    PTR_TO_TP_BUFFER = 14
    PTR_TO_XDP_SOCK = 15
    PTR_TO_BTF_ID = 16
    PTR_TO_MEM = 17
    PTR_TO_ARENA = 18
    PTR_TO_BUF = 19
    PTR_TO_FUNC = 20
    CONST_PTR_TO_DYNPTR = 21


MAP_TYPES = frozenset({RegType.CONST_PTR_TO_MAP, RegType.PTR_TO_MAP_VALUE, RegType.PTR_TO_MAP_KEY})
PACKET_TYPES = frozenset({RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META})
# the flags a register may carry (the others describe helper arguments only)
REG_FLAGS = (TypeFlag.PTR_MAYBE_NULL | TypeFlag.MEM_RDONLY | TypeFlag.MEM_RINGBUF | TypeFlag.MEM_USER
             | TypeFlag.MEM_PERCPU | TypeFlag.PTR_UNTRUSTED | TypeFlag.MEM_ALLOC | TypeFlag.PTR_TRUSTED
             | TypeFlag.MEM_RCU | TypeFlag.NON_OWN_REF)
ZERO_OFFSET = Scalar.const(0)
# packet ranges below 0 say where a pointer stands against pkt_end after ``if p == pkt_end``-like checks
AT_PKT_END = -1
BEYOND_PKT_END = -2


@dataclass(frozen=True)
class MapRef:
    """What a register knows of the map it points at (what the log prints of it)."""

    name: str
    key_size: int
    value_size: int


@dataclass(frozen=True)
class RegState:
    """One register (``bpf_reg_state``); scalars keep their value in ``var``."""

    type: RegType = RegType.NOT_INIT
    flags: TypeFlag = TypeFlag.NONE
    off: int = 0
    var: Scalar = ZERO_OFFSET
    range: int = 0
    id: int = 0
    ref_obj_id: int = 0
    map: MapRef | None = None
    frameno: int = 0
    mem_size: int = 0
    subprogno: int = 0
    btf_name: str = ""
    precise: bool = False

    def __post_init__(self) -> None:
        if self.flags and self.flags & ~REG_FLAGS:
            raise RegStateError(f"{TypeFlag(self.flags & ~REG_FLAGS)!r} is not a register flag")
        if (self.type in MAP_TYPES) != (self.map is not None):
            raise RegStateError(f"{self.type.name} {'needs' if self.type in MAP_TYPES else 'has no'} map")
        if self.off and self.type is RegType.SCALAR_VALUE and not self.id:
            raise RegStateError("a scalar's offset is the constant added to a linked copy: it needs an id")
        if (self.range or self.mem_size or self.id or self.ref_obj_id) and (
                self.range < BEYOND_PKT_END or self.mem_size < 0 or self.id < 0 or self.ref_obj_id < 0):
            raise RegStateError("mem_size, id and ref_obj_id are never negative, a range at least BEYOND_PKT_END")

    def __hash__(self) -> int:
        # registers are hashed with their state at every prune point: once each is enough
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.type, self.flags, self.off, self.var, self.range, self.id,
                           self.ref_obj_id, self.map, self.frameno, self.mem_size, self.subprogno,
                           self.btf_name, self.precise))
            object.__setattr__(self, "_hash", cached)
        return cached

    # -- constructors ---------------------------------------------------------
    @staticmethod
    def not_init() -> "RegState":
        return RegState()

    @staticmethod
    def scalar(value: Scalar | None = None, *, id: int = 0, delta: int = 0,
               precise: bool = False) -> "RegState":
        """A scalar register; unknown (``mark_reg_unknown``) when no value is given.

        ``delta`` is the constant added since it was copied from the register with the same ``id``.
        """
        return RegState(RegType.SCALAR_VALUE, var=value if value is not None else Scalar.unknown(),
                        id=id, off=delta, precise=precise)

    @staticmethod
    def const(value: int, *, precise: bool = False) -> "RegState":
        return RegState.scalar(Scalar.const(value), precise=precise)

    @staticmethod
    def ctx() -> "RegState":
        """R1 at a program's entry."""
        return RegState(RegType.PTR_TO_CTX)

    @staticmethod
    def frame_pointer(frameno: int = 0) -> "RegState":
        """R10 of frame ``frameno`` (read-only, ``fp0``)."""
        return RegState.stack(0, frameno)

    @staticmethod
    def stack(off: int, frameno: int = 0) -> "RegState":
        """A pointer ``off`` bytes from frame ``frameno``'s frame pointer."""
        return RegState(RegType.PTR_TO_STACK, off=off, frameno=frameno)

    @staticmethod
    def map_ptr(map: MapRef) -> "RegState":
        """What ``r1 = map[id:N]`` (ld_imm64 of a map) loads."""
        return RegState(RegType.CONST_PTR_TO_MAP, map=map)

    @staticmethod
    def map_value(map: MapRef, off: int = 0, *, flags: TypeFlag = TypeFlag.NONE) -> "RegState":
        """A pointer into a value (``map[id:N][0]+off``, or a lookup result after its NULL check)."""
        return RegState(RegType.PTR_TO_MAP_VALUE, flags=flags, off=off, map=map)

    @staticmethod
    def map_value_or_null(map: MapRef, id: int) -> "RegState":
        """What ``bpf_map_lookup_elem`` returns: R0, NULL until checked (``id`` ties its copies)."""
        return RegState(RegType.PTR_TO_MAP_VALUE, flags=TypeFlag.PTR_MAYBE_NULL, map=map, id=id)

    @staticmethod
    def map_key(map: MapRef, off: int = 0) -> "RegState":
        """A pointer to a key handed to a callback (``bpf_for_each_map_elem``)."""
        return RegState(RegType.PTR_TO_MAP_KEY, off=off, map=map)

    @staticmethod
    def packet(off: int = 0, range: int = 0) -> "RegState":
        """``skb->data``/``xdp->data`` (loaded with range 0), moved by ``off``, ``range`` bytes proven."""
        return RegState(RegType.PTR_TO_PACKET, off=off, range=range)

    @staticmethod
    def packet_meta(off: int = 0, range: int = 0) -> "RegState":
        return RegState(RegType.PTR_TO_PACKET_META, off=off, range=range)

    @staticmethod
    def packet_end() -> "RegState":
        return RegState(RegType.PTR_TO_PACKET_END)

    @staticmethod
    def mem(size: int, *, flags: TypeFlag = TypeFlag.NONE, id: int = 0, ref_obj_id: int = 0) -> "RegState":
        """``size`` bytes of memory a helper returned (PTR_TO_MEM with its flags)."""
        return RegState(RegType.PTR_TO_MEM, flags=flags, mem_size=size, id=id, ref_obj_id=ref_obj_id)

    @staticmethod
    def ringbuf_mem_or_null(size: int, id: int) -> "RegState":
        """What ``bpf_ringbuf_reserve`` returns: a reference (``ref_obj_id``) that may be NULL."""
        return RegState.mem(size, flags=TypeFlag.MEM_RINGBUF | TypeFlag.PTR_MAYBE_NULL, id=id, ref_obj_id=id)

    @staticmethod
    def func(subprogno: int) -> "RegState":
        """A callback's address (``r2 = subprog[+N]``, ld_imm64 of a function)."""
        return RegState(RegType.PTR_TO_FUNC, subprogno=subprogno)

    @staticmethod
    def btf_id(type_name: str, *, flags: TypeFlag = TypeFlag.NONE, id: int = 0,
               ref_obj_id: int = 0) -> "RegState":
        """A pointer to a kernel object of BTF type ``type_name`` (``task_struct``)."""
        return RegState(RegType.PTR_TO_BTF_ID, flags=flags, btf_name=type_name, id=id, ref_obj_id=ref_obj_id)

    # -- derived states -------------------------------------------------------
    def moved(self, delta: int) -> "RegState":
        """This pointer plus a known constant (``r2 += -8``): the fixed offset moves."""
        if self.type is RegType.SCALAR_VALUE:
            raise RegStateError("a scalar does not move: it is computed by the scalar domain")
        return replace(self, off=self.off + delta)

    def with_var(self, var: Scalar) -> "RegState":
        """This pointer with a variable offset (a pointer plus an unknown scalar)."""
        return replace(self, var=var)

    def with_range(self, range: int) -> "RegState":
        """This packet pointer after a bounds check proved ``range`` bytes."""
        if self.type not in PACKET_TYPES:
            raise RegStateError(f"{self.type.name} has no range")
        return replace(self, range=range)

    def not_null(self) -> "RegState":
        """The branch where a maybe-NULL pointer was checked non-NULL (``mark_ptr_or_null_reg``).

        Its id goes once no copy needs it; a reference keeps its ``ref_obj_id``.
        """
        if not self.flags & TypeFlag.PTR_MAYBE_NULL:
            raise RegStateError(f"{self.type.name} is never NULL")
        return replace(self, flags=self.flags & ~TypeFlag.PTR_MAYBE_NULL, id=0)

    # -- queries --------------------------------------------------------------
    def is_init(self) -> bool:
        return self.type is not RegType.NOT_INIT

    def is_scalar(self) -> bool:
        return self.type is RegType.SCALAR_VALUE

    def is_pointer(self) -> bool:
        return self.type not in (RegType.NOT_INIT, RegType.SCALAR_VALUE)

    def is_null(self) -> bool:
        """A scalar known to be 0 (``register_is_null``)."""
        return self.is_scalar() and self.var.var_off == TNUM_ZERO

    def is_const(self) -> bool:
        return self.is_scalar() and self.var.is_const()

    def width(self) -> int:
        """How many low bits the value may use (``get_reg_width``: bits of umax)."""
        return self.var.umax.bit_length()
