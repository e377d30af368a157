"""A program's context for one event: the ctx struct in memory, with the kernel's access rules.

The context region holds the UAPI struct as the program sees it (``struct
xdp_md``, ``struct __sk_buff``, ``struct pt_regs``...). The ``Context`` object
is the region's hook (``memory.RegionHook``): every instruction load or store
into the region goes through ``load``/``store``, which check the access
against the type's ``FieldTable`` (a refused access is a fault with the
verifier's message) and then read or write the field the way the kernel's
rewritten instruction would (``convert_ctx_access``): plain fields are the
region's bytes, packet pointers are computed, a store keeps only what the
kernel's storage keeps.

Subclasses per family (``skb.py``, ``xdp.py``, ``tracing.py``) build the
struct from an event and say what the run produced (``packet_out``,
``ctx_out``). Helpers reach the context as ``machine.context``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import VmError
from ..machine import MachineFault
from ..memory import Memory, MemoryFault, Region, RegionKind
from .fields import ContextAccessError, CtxField, FieldTable

if TYPE_CHECKING:
    from ..machine import Machine
    from .packet import PacketBuffer
    from .table import ProgramTypeSpec


class EventError(VmError):
    """An event the program type cannot run on, in the words BPF_PROG_TEST_RUN would use."""


class Context:
    """The base: a hooked region holding a struct, checked by a FieldTable."""

    type_name = "ctx"   # how the verifier names a pointer to it
    packet: "PacketBuffer | None" = None
    socket_cookie: int | None = None   # the cookie of the packet's socket (set by the runner)

    def __init__(self, spec: "ProgramTypeSpec", table: FieldTable, memory: Memory, data: bytes):
        if len(data) != table.size:
            raise ValueError(f"{table.struct} is {table.size} bytes, not {len(data)}")
        self.spec = spec
        self.table = table
        self.memory = memory
        self.region: Region = memory.add(table.struct, RegionKind.CONTEXT, data)
        self.region.hook = self
        self.redirect: dict | None = None   # set by bpf_redirect: {"ifindex", "flags"}

    @property
    def address(self) -> int:
        """The ctx pointer the program starts with in r1."""
        return self.region.base

    # -- the hook --------------------------------------------------------------------

    def load(self, region: Region, offset: int, size: int) -> int:
        field = self._check(region, offset, size, write=False)
        if field.kind != "plain":
            return self.computed(field)
        if field.backing is None or size < field.backing:
            return int.from_bytes(region.data[offset:offset + size], "little")
        # At least as wide as the kernel's field: the rewritten load reads all of it.
        return int.from_bytes(region.data[field.offset:field.offset + field.backing], "little")

    def store(self, region: Region, offset: int, size: int, value: int) -> None:
        field = self._check(region, offset, size, write=True)
        if field.store_limit is not None and value >= field.store_limit:
            return   # the kernel's rewrite skips the store
        value &= (1 << (8 * size)) - 1
        if field.store_mask is not None:
            value &= field.store_mask
        region.data[offset:offset + size] = value.to_bytes(size, "little")

    def _check(self, region: Region, offset: int, size: int, write: bool) -> CtxField:
        try:
            return self.table.check(offset, size, write)
        except ContextAccessError as error:
            raise MemoryFault(region.base + offset, size, "write" if write else "read", region,
                              error.message) from None

    def computed(self, field: CtxField) -> int:
        """The value of a computed field (packet pointers); only subclasses have them."""
        raise MachineFault(f"{self.table.struct}: field {field.name} is not modelled")

    # -- plain fields, for building the struct and for helpers -------------------------

    def get(self, name: str) -> int:
        """A plain field's current value."""
        field = self.table.by_name(name)
        return int.from_bytes(self.region.data[field.offset:field.end], "little")

    def set(self, name: str, value: int) -> None:
        field = self.table.by_name(name)
        self.region.data[field.offset:field.end] = (
            value & ((1 << (8 * field.size)) - 1)).to_bytes(field.size, "little")

    # -- what the Machine and the runner ask -----------------------------------------------

    def legacy_load(self, machine: "Machine", offset: int, size: int) -> bytes | None:
        raise MachineFault("BPF_LD_[ABS|IND] instructions not allowed for this program type")

    def require(self, machine: "Machine", reg: int, value: int, helper: str) -> None:
        """ARG_PTR_TO_CTX: ``value`` (register ``reg``) must be this context, unmodified."""
        if value == self.address:
            return
        if self.address < value < self.address + self.table.size:
            raise MachineFault(f"dereference of modified ctx ptr R{reg} "
                               f"off={value - self.address} disallowed")
        raise MachineFault(f"R{reg} type={pointer_type(machine, value)} expected=ctx")

    def packet_out(self) -> bytes | None:
        """The packet BPF_PROG_TEST_RUN would copy to data_out; None without a packet."""
        return None

    def ctx_out(self) -> bytes | None:
        """The context BPF_PROG_TEST_RUN would copy to ctx_out; None where it has none."""
        return None


def pointer_type(machine: "Machine", value: int) -> str:
    """How the verifier would name what a register holds: fp, map_value, pkt, ctx, scalar."""
    try:
        region, _ = machine.memory.find(value, 1, "read")
    except MemoryFault:
        try:   # r10 and pointers just past a region still point at it
            region, _ = machine.memory.find(value - 1, 1, "read")
        except MemoryFault:
            return "scalar"
    if region.hook is not None:
        return region.hook.type_name
    return REGISTER_TYPES.get(region.kind, "scalar")


REGISTER_TYPES = {
    RegionKind.STACK: "fp",
    RegionKind.MAP_VALUE: "map_value",
    RegionKind.PACKET: "pkt",
    RegionKind.RINGBUF: "ringbuf_mem",
    RegionKind.RODATA: "map_value",
}
