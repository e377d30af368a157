"""The packet as the kernel holds it: one linear buffer with headroom and tailroom.

A packet lives in a buffer the kernel allocated bigger than the packet, so
helpers can grow it at either end without copying (``bpf_xdp_adjust_head``,
``bpf_skb_change_tail``...). The buffer is described by offsets into it::

    0          meta      data                     end            len(buffer)
    |-headroom-|-metadata-|------- packet ---------|--tailroom--|
                          ^ mac / network headers (sk_buff)

``mac`` and ``network`` are the header offsets an ``sk_buff`` keeps (None
for XDP). The program reaches the packet through one memory region, the
*window*: [meta, end) for XDP (data_meta..data_end), [data, end) for the
sk_buff types, mapped at ``base`` + its start offset so a packet pointer is
always ``base`` + an offset. While a program runs, the window's bytes are the
truth (instructions store into them): a helper reads through ``peek``; one
that changes the packet first ``pull``s the window into the buffer, changes
the buffer and offsets, then ``push``es the window again (a new region if the
bounds moved). Bytes outside the window keep their old contents, as in the
kernel: a header removed by moving ``data`` forward reappears if it moves back.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..memory import Memory, Region, RegionKind, REGION_BASES

PACKET_BASE = REGION_BASES[RegionKind.PACKET]   # the simulated address of buffer[0]


@dataclass(eq=False)
class PacketBuffer:
    buffer: bytearray
    meta: int
    data: int
    end: int
    mac: int | None = None
    network: int | None = None
    window_from_meta: bool = False   # XDP maps the metadata too
    base: int = PACKET_BASE
    region: Region | None = None

    # -- the window ----------------------------------------------------------------

    @property
    def window_start(self) -> int:
        return self.meta if self.window_from_meta else self.data

    def address(self, offset: int) -> int:
        """The simulated address of buffer offset ``offset``."""
        return self.base + offset

    def map(self, memory: Memory) -> Region:
        """Map the window into ``memory`` (once, before the run)."""
        start = self.window_start
        self.region = memory.add("packet", RegionKind.PACKET, self.buffer[start:self.end],
                                 at=self.address(start))
        return self.region

    def pull(self) -> None:
        """Copy the window's bytes (which the program may have changed) into the buffer."""
        if self.region is not None:
            start = self.window_start
            self.buffer[start:start + len(self.region.data)] = self.region.data

    def push(self, memory: Memory) -> None:
        """Show the buffer through the window again, after a helper changed it.

        Same bounds: the same region, its bytes refreshed. New bounds: a new
        region at the new address (the kernel's packet pointers change too).
        """
        start = self.window_start
        region = self.region
        if region is not None and region.base == self.address(start) \
                and len(region.data) == self.end - start:
            region.data[:] = self.buffer[start:self.end]
            return
        if region is not None:
            memory.remove(region)
        self.region = None
        self.map(memory)

    # -- reading and writing (for helpers: the window must be pulled first) ------------

    @property
    def length(self) -> int:
        """The packet's length from data (skb->len, or data_end - data)."""
        return self.end - self.data

    def read(self, start: int, size: int) -> bytes:
        """``size`` bytes of the buffer from offset ``start`` (after ``pull``)."""
        return bytes(self.buffer[start:start + size])

    def peek(self, start: int, size: int) -> bytes:
        """``size`` bytes from offset ``start`` without a ``pull``: the window's bytes where
        it covers them (instructions only ever write there), the buffer's before it."""
        window = self.window_start
        if self.region is None or start + size <= window:
            return bytes(self.buffer[start:start + size])
        if start >= window:
            return bytes(self.region.data[start - window:start - window + size])
        return bytes(self.buffer[start:window]) + bytes(self.region.data[:start + size - window])

    def write(self, start: int, data: bytes) -> None:
        self.buffer[start:start + len(data)] = data

    def ensure_room(self, head: int = 0, tail: int = 0) -> None:
        """At least ``head`` bytes before ``meta`` and ``tail`` after ``end``: an sk_buff
        reallocates (``pskb_expand_head``) when a helper needs more room."""
        missing_tail = self.end + tail - len(self.buffer)
        if missing_tail > 0:
            self.buffer.extend(bytes(missing_tail))
        missing_head = head - self.meta
        if missing_head > 0:
            self.buffer[:0] = bytes(missing_head)
            self.meta += missing_head
            self.data += missing_head
            self.end += missing_head
            if self.mac is not None:
                self.mac += missing_head
            if self.network is not None:
                self.network += missing_head

    def contents(self, start: int | None = None) -> bytes:
        """The buffer from ``start`` (default: data) to end, with the window's latest bytes."""
        self.pull()
        return bytes(self.buffer[self.data if start is None else start:self.end])
