"""XDP helpers: moving the packet's bounds in its page, and copying bytes in and out.

The page layout is ``progtypes/xdp.py``'s. As in the kernel (``net/core/filter.c``):

* ``bpf_xdp_adjust_head(xdp, delta)`` moves ``data`` (and the metadata with
  it) by ``delta``: not below the end of ``struct xdp_frame`` (metadata
  included), and leaving at least an Ethernet header (-EINVAL otherwise).
  Bytes uncovered at the front are whatever the page held there;
* ``bpf_xdp_adjust_tail(xdp, delta)`` moves ``data_end``: at least 14 bytes
  after ``data``, at most to the shared info at the page's end; new bytes
  are zeroed;
* ``bpf_xdp_adjust_meta(xdp, delta)`` moves ``data_meta``: between the
  xdp_frame and ``data`` (-EINVAL), the metadata in whole u32s (-EACCES);
* ``bpf_xdp_load_bytes`` / ``bpf_xdp_store_bytes`` copy from / to the packet
  (offsets from ``data``; -EINVAL past its end, -EFAULT for offsets or lengths
  over 0xffff; the buffer is left alone on failure);
* ``bpf_xdp_get_buff_len`` is the packet's length (data to data_end).

``delta`` is an ``int``: the low 32 bits of the register, signed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..progtypes.xdp import ETH_HLEN, HARD_END, XDP_FRAME_SIZE, metalen_valid
from .linux import EFAULT, EINVAL
from .skb import packet_context

if TYPE_CHECKING:
    from ..machine import Machine

M32 = 0xFFFF_FFFF
EACCES = 13


def _int(value: int) -> int:
    value &= M32
    return value - (1 << 32) if value >> 31 else value


def xdp_adjust_head(m: "Machine", ctx: int, delta: int, *_args: int) -> int:
    context = packet_context(m)
    packet = context.packet
    delta = _int(delta)
    metalen = packet.data - packet.meta
    data = packet.data + delta
    if data - metalen < XDP_FRAME_SIZE or data > packet.end - ETH_HLEN:
        return -EINVAL
    packet.pull()
    if metalen:
        packet.write(packet.meta + delta, packet.read(packet.meta, metalen))
    packet.meta += delta
    packet.data = data
    context.packet_changed()
    return 0


def xdp_adjust_tail(m: "Machine", ctx: int, delta: int, *_args: int) -> int:
    context = packet_context(m)
    packet = context.packet
    delta = _int(delta)
    end = packet.end + delta
    if end > HARD_END or end < packet.data + ETH_HLEN:
        return -EINVAL
    packet.pull()
    if delta > 0:
        packet.write(packet.end, bytes(delta))
    packet.end = end
    context.packet_changed()
    return 0


def xdp_adjust_meta(m: "Machine", ctx: int, delta: int, *_args: int) -> int:
    context = packet_context(m)
    packet = context.packet
    meta = packet.meta + _int(delta)
    if meta < XDP_FRAME_SIZE or meta > packet.data:
        return -EINVAL
    if not metalen_valid(packet.data - meta):
        return -EACCES
    packet.pull()
    packet.meta = meta
    context.packet_changed()
    return 0


def _range(packet, offset: int, size: int) -> int:
    """0 if [offset, offset + size) from data lies in the packet, else the kernel's errno."""
    if offset > 0xFFFF or size > 0xFFFF:
        return -EFAULT
    if offset + size > packet.length:
        return -EINVAL
    return 0


def xdp_load_bytes(m: "Machine", ctx: int, offset: int, buf: int, size: int, *_args: int) -> int:
    packet = packet_context(m).packet
    offset &= M32
    size &= M32
    error = _range(packet, offset, size)
    if error:
        return error
    m.memory.write_bytes(buf, packet.peek(packet.data + offset, size))
    return 0


def xdp_store_bytes(m: "Machine", ctx: int, offset: int, buf: int, size: int, *_args: int) -> int:
    context = packet_context(m)
    packet = context.packet
    offset &= M32
    size &= M32
    error = _range(packet, offset, size)
    if error:
        return error
    data = m.memory.read_bytes(buf, size)
    packet.pull()
    packet.write(packet.data + offset, data)
    context.packet_changed()
    return 0


def xdp_get_buff_len(m: "Machine", ctx: int, *_args: int) -> int:
    return packet_context(m).packet.length
