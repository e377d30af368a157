"""Simulated memory: typed regions at fixed, kernel-looking addresses.

Every load and store names an address and a size; the access must lie wholly
inside one region, and stores need a writable region. Anything else is a
``MemoryFault`` that names the address, size and the nearest region, so the UI
can explain it ("8 bytes below the stack").

A region may carry a ``hook`` (``RegionHook``): its loads and stores by
instructions then go through the hook instead of touching the bytes, which is
how a program type's context applies the kernel's rules for each field
(``vm_service.progtypes``). Helpers that copy bytes (``read_bytes``,
``write_bytes``) see the raw bytes; the helper-call layer decides which
regions a helper may be given.

Regions are placed automatically, per kind, or at a given address (``at=``):
an event's user and kernel memory sits where the event says.
"""

from __future__ import annotations

import bisect
import enum
from dataclasses import dataclass, field
from typing import Protocol

from .errors import VmError

STACK_SIZE = 512  # MAX_BPF_STACK, per frame


class RegionKind(enum.Enum):
    STACK = "stack"
    CONTEXT = "context"
    INPUT = "input"          # raw mode: the memory r1 points to (conformance convention)
    PACKET = "packet"
    MAP_VALUE = "map_value"
    RINGBUF = "ringbuf"      # ring-buffer records handed out by reserve
    RODATA = "rodata"
    USER = "user"            # user-space memory an event provides, at its own address
    KERNEL = "kernel"        # kernel memory an event provides, at its own address


# Where each kind of region is placed: kinds are 4 GiB apart, and inside a kind
# regions are page-aligned with an unmapped guard page between neighbours, so
# an overrun never lands in the next region.
REGION_BASES = {
    RegionKind.STACK: 0xFFFF_C900_0000_0000,
    RegionKind.CONTEXT: 0xFFFF_8880_0000_0000,
    RegionKind.INPUT: 0xFFFF_8881_0000_0000,
    RegionKind.PACKET: 0xFFFF_8882_0000_0000,
    RegionKind.MAP_VALUE: 0xFFFF_8883_0000_0000,
    RegionKind.RINGBUF: 0xFFFF_8884_0000_0000,
    RegionKind.RODATA: 0xFFFF_8885_0000_0000,
}
# Kinds only ever placed at an address the caller gives.
PLACED_ONLY = frozenset({RegionKind.USER, RegionKind.KERNEL})
KIND_SPAN = 1 << 32  # the address space each automatically placed kind may grow into
PAGE = 4096
NEAR = 4096  # a fault this close to a region is described relative to it


def _footprint(size: int) -> int:
    """Address space a region of ``size`` bytes takes: whole pages plus a guard page."""
    return -(-max(size, 1) // PAGE) * PAGE + PAGE


class MemoryFault(Exception):
    """A load or store outside any region, or a store into a read-only one."""

    def __init__(self, addr: int, size: int, access: str, region: "Region | None", reason: str):
        self.addr = addr
        self.size = size
        self.access = access
        self.region = region
        self.reason = reason
        super().__init__(reason)

    @property
    def region_name(self) -> str | None:
        return self.region.name if self.region else None


class LayoutError(VmError):
    """A region cannot be placed where it was asked to be."""


class RegionHook(Protocol):
    """Handles the instruction loads and stores of a hooked region (a program's context).

    ``type_name`` is how the verifier names a pointer into the region
    (``ctx``), for messages about helper arguments. Both methods raise
    ``MemoryFault`` for an access the kernel would not allow.
    """

    type_name: str

    def load(self, region: "Region", offset: int, size: int) -> int: ...

    def store(self, region: "Region", offset: int, size: int, value: int) -> None:
        """``value`` is unmasked: a register's 64 bits, or a store-immediate's signed imm."""


@dataclass(eq=False)
class Region:
    """A contiguous range of simulated memory. ``written`` tracks initialised bytes (stack).

    ``hook`` (None for plain memory) handles instruction loads and stores, see
    ``RegionHook``; the fast run mode leaves hooked regions to ``step()``.
    """

    name: str
    kind: RegionKind
    base: int
    data: bytearray
    writable: bool = True
    written: bytearray | None = None  # one flag per byte, kept for stacks only
    hook: RegionHook | None = None

    @property
    def end(self) -> int:
        return self.base + len(self.data)

    def describe(self, addr: int) -> str:
        """Say where ``addr`` is relative to this region, in the kernel's terms for stacks."""
        if self.kind is RegionKind.STACK:
            return f"{self.name} fp{addr - self.end:+d}"
        return f"{self.name}+{addr - self.base}"


@dataclass
class Memory:
    """All regions of one run, kept sorted by base address for lookup."""

    regions: list[Region] = field(default_factory=list)
    _bases: list[int] = field(default_factory=list)
    _next_base: dict[RegionKind, int] = field(default_factory=dict)
    _by_storage: dict[int, Region] = field(default_factory=dict)  # id(data) -> region

    def add(self, name: str, kind: RegionKind, data: bytes | bytearray, *,
            writable: bool = True, track_writes: bool = False, share: bool = False,
            at: int | None = None) -> Region:
        """Map ``data`` at the next free address of its kind, or at address ``at``.

        With ``share``, the region wraps the given bytearray itself (a map value:
        the program's stores land in the map), otherwise a copy. A region placed
        with ``at`` may not overlap another region nor the address ranges the
        other automatically placed kinds grow into (LayoutError).
        """
        if at is None:
            if kind in PLACED_ONLY:
                raise LayoutError(f"{kind.value} regions need an address")
            base = self._next_base.get(kind, REGION_BASES[kind])
            self._next_base[kind] = base + _footprint(len(data))
        else:
            base = self._check_placement(name, kind, at, len(data))
        storage = data if share and isinstance(data, bytearray) else bytearray(data)
        region = Region(name, kind, base, storage, writable,
                        bytearray(len(data)) if track_writes else None)
        index = bisect.bisect(self._bases, base)
        self.regions.insert(index, region)
        self._bases.insert(index, base)
        self._by_storage[id(storage)] = region
        return region

    def _check_placement(self, name: str, own: RegionKind, at: int, size: int) -> int:
        """``at``, checked: inside the 64-bit space, clear of every region, and clear of
        the other kinds' areas (inside its own kind's area, later automatic
        placements of that kind start after it)."""
        end = at + max(size, 1)
        if at < 0 or end > 1 << 64:
            raise LayoutError(f"{name}: 0x{at:x}+{size} is outside the 64-bit address space")
        for kind, start in REGION_BASES.items():
            if kind is own:
                continue
            if at < start + KIND_SPAN and start < end:
                raise LayoutError(f"{name}: 0x{at:x}+{size} overlaps the playground's own "
                                  f"{kind.value} area at 0x{start:x}")
        for region in self.regions:
            if at < region.base + max(len(region.data), 1) and region.base < end:
                raise LayoutError(f"{name}: 0x{at:x}+{size} overlaps {region.name} at "
                                  f"0x{region.base:x}+{len(region.data)}")
        own_start = REGION_BASES.get(own)
        if own_start is not None and own_start <= at < own_start + KIND_SPAN:
            after = at + _footprint(size)
            self._next_base[own] = max(self._next_base.get(own, own_start), after)
        return at

    def remove(self, region: Region) -> None:
        """Unmap a region; the newest region of a kind gives its addresses back (stack frames)."""
        index = self.regions.index(region)
        del self.regions[index]
        del self._bases[index]
        del self._by_storage[id(region.data)]
        if self._next_base.get(region.kind) == region.base + _footprint(len(region.data)):
            self._next_base[region.kind] = region.base

    @property
    def bases(self) -> list[int]:
        """The regions' base addresses, sorted, parallel to ``regions``: the live list
        itself, kept current as regions come and go (fast lookups bisect it)."""
        return self._bases

    def region_of(self, storage: bytearray) -> Region | None:
        """The region wrapping exactly this bytearray, if it is mapped."""
        return self._by_storage.get(id(storage))

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["_by_storage"]  # keyed by id(), which a copy does not keep
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._by_storage = {id(region.data): region for region in self.regions}

    def find(self, addr: int, size: int, access: str) -> tuple[Region, int]:
        """The region holding [addr, addr+size) and the offset into it; else MemoryFault."""
        index = bisect.bisect(self._bases, addr) - 1
        if index >= 0:
            region = self.regions[index]
            offset = addr - region.base
            if offset + size <= len(region.data):
                return region, offset
        nearest = self._nearest(addr)
        where = f" ({nearest.describe(addr)})" if nearest else ""
        raise MemoryFault(addr, size, access, nearest,
                          f"invalid {access} of {size} bytes at 0x{addr:x}{where}: "
                          f"outside every memory region")

    def _nearest(self, addr: int) -> Region | None:
        """The region closest to addr, if addr is within NEAR bytes of it."""
        def distance(region: Region) -> int:
            if addr < region.base:
                return region.base - addr
            return max(0, addr - region.end + 1)
        best = min(self.regions, key=distance, default=None)
        return best if best is not None and distance(best) <= NEAR else None

    def load(self, addr: int, size: int) -> int:
        """An instruction's load: little-endian, through the region's hook if it has one."""
        region, offset = self.find(addr, size, "read")
        if region.hook is not None:
            return region.hook.load(region, offset, size)
        return int.from_bytes(region.data[offset:offset + size], "little")

    def store(self, addr: int, size: int, value: int) -> None:
        """An instruction's store of the low ``size`` bytes of ``value``.

        A hooked region gets ``value`` as the instruction had it (a register's
        64 bits, or a store-immediate's signed imm), since a few context fields
        look at more than the bytes stored.
        """
        region, offset = self.find(addr, size, "write")
        if region.hook is not None:
            region.hook.store(region, offset, size, value)
            return
        self._write(region, offset, addr, (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))

    def read_bytes(self, addr: int, size: int) -> bytes:
        """``size`` bytes from one region (helpers: probe_read, map keys); MemoryFault if not."""
        if size == 0:
            return b""
        index = bisect.bisect(self._bases, addr) - 1  # find(), inlined: map keys are hot
        if index >= 0:
            region = self.regions[index]
            offset = addr - region.base
            if offset + size <= len(region.data):
                return bytes(region.data[offset:offset + size])
        region, offset = self.find(addr, size, "read")  # raises the fault
        return bytes(region.data[offset:offset + size])

    def write_bytes(self, addr: int, data: bytes) -> None:
        size = len(data)
        if size == 0:
            return
        region, offset = self.find(addr, size, "write")
        self._write(region, offset, addr, data)

    @staticmethod
    def _write(region: Region, offset: int, addr: int, data: bytes) -> None:
        size = len(data)
        if not region.writable:
            raise MemoryFault(addr, size, "write", region,
                              f"invalid write of {size} bytes at 0x{addr:x} "
                              f"({region.describe(addr)}): {region.name} is read-only")
        region.data[offset:offset + size] = data
        if region.written is not None:
            region.written[offset:offset + size] = b"\x01" * size

    def read_cstring(self, addr: int, limit: int) -> bytes:
        """Bytes from addr up to (not including) a NUL, at most ``limit``; faults where unmapped."""
        region, offset = self.find(addr, 1, "read")
        end = min(len(region.data), offset + limit)
        chunk = bytes(region.data[offset:end])
        cut = chunk.find(0)
        if cut >= 0 or len(chunk) == limit:
            return chunk if cut < 0 else chunk[:cut]
        return chunk + self.read_cstring(region.end, limit - len(chunk))
