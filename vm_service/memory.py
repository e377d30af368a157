"""Simulated memory: typed regions at fixed, kernel-looking addresses.

Every load and store names an address and a size; the access must lie wholly
inside one region, and stores need a writable region. Anything else is a
``MemoryFault`` that names the address, size and the nearest region, so the UI
can explain it ("8 bytes below the stack").
"""

from __future__ import annotations

import bisect
import enum
from dataclasses import dataclass, field

STACK_SIZE = 512  # MAX_BPF_STACK, per frame


class RegionKind(enum.Enum):
    STACK = "stack"
    CONTEXT = "context"
    INPUT = "input"          # raw mode: the memory r1 points to (conformance convention)
    PACKET = "packet"
    MAP_VALUE = "map_value"
    RINGBUF = "ringbuf"      # ring-buffer records handed out by reserve
    RODATA = "rodata"


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


@dataclass(eq=False)
class Region:
    """A contiguous range of simulated memory. ``written`` tracks initialised bytes (stack)."""

    name: str
    kind: RegionKind
    base: int
    data: bytearray
    writable: bool = True
    written: bytearray | None = None  # one flag per byte, kept for stacks only

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
            writable: bool = True, track_writes: bool = False, share: bool = False) -> Region:
        """Map ``data`` at the next free address of its kind.

        With ``share``, the region wraps the given bytearray itself (a map value:
        the program's stores land in the map), otherwise a copy.
        """
        base = self._next_base.get(kind, REGION_BASES[kind])
        self._next_base[kind] = base + _footprint(len(data))
        storage = data if share and isinstance(data, bytearray) else bytearray(data)
        region = Region(name, kind, base, storage, writable,
                        bytearray(len(data)) if track_writes else None)
        index = bisect.bisect(self._bases, base)
        self.regions.insert(index, region)
        self._bases.insert(index, base)
        self._by_storage[id(storage)] = region
        return region

    def remove(self, region: Region) -> None:
        """Unmap a region; the newest region of a kind gives its addresses back (stack frames)."""
        index = self.regions.index(region)
        del self.regions[index]
        del self._bases[index]
        del self._by_storage[id(region.data)]
        if self._next_base.get(region.kind) == region.base + _footprint(len(region.data)):
            self._next_base[region.kind] = region.base

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
        region, offset = self.find(addr, size, "read")
        return int.from_bytes(region.data[offset:offset + size], "little")

    def store(self, addr: int, size: int, value: int) -> None:
        self.write_bytes(addr, (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))

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
