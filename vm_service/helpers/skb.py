"""sk_buff helpers: reading and changing the packet of socket filters, tc and cgroup programs.

Each takes the context (``struct __sk_buff *``, checked by the calling layer)
and works on the run's sk_buff (``machine.context``, an ``SkbContext``). An
offset counts from ``skb->data``: the Ethernet header for tc programs, the
network header for socket filters and cgroup programs. As in the kernel:

* ``bpf_skb_load_bytes`` copies ``len`` bytes; past the end (or an offset
  over INT_MAX) it zeroes the buffer and returns -EFAULT;
* ``bpf_skb_load_bytes_relative`` counts from the mac or network header
  (BPF_HDR_START_MAC / BPF_HDR_START_NET), offsets up to 0xffff;
* ``bpf_skb_store_bytes`` writes ``len`` bytes (-EFAULT past the end, -EINVAL
  for unknown flags); BPF_F_INVALIDATE_HASH clears ``skb->hash``;
* ``bpf_skb_pull_data`` makes ``len`` bytes (0: all) directly accessible:
  the playground's packets are linear, so it only checks the length (-ENOMEM);
* ``bpf_skb_change_tail`` grows (zero-filled) or trims the packet, down to
  the network header and up to BPF_SKB_MAX_LEN;
* ``bpf_skb_change_head`` adds zeroed bytes before the packet, which then
  becomes the mac header;
* ``bpf_set_hash`` / ``bpf_set_hash_invalid`` set or clear ``skb->hash``;
* ``bpf_get_socket_cookie`` gives the packet's socket's cookie.

Registers the kernel declares ``u32`` are cut to 32 bits first, as its
``BPF_CALL_x`` wrappers do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..machine import MachineFault
from .linux import EFAULT, EINVAL

if TYPE_CHECKING:
    from ..machine import Machine

M32 = 0xFFFF_FFFF
INT_MAX = 0x7FFF_FFFF
ENOMEM = 12
BPF_F_RECOMPUTE_CSUM = 1 << 0
BPF_F_INVALIDATE_HASH = 1 << 1
BPF_HDR_START_MAC, BPF_HDR_START_NET = 0, 1
# BPF_SKB_MAX_LEN (SKB_MAX_ALLOC): the largest packet the resizing helpers make.
BPF_SKB_MAX_LEN = 4 * 4096 - 320


def packet_context(m: "Machine"):
    """The run's packet context; a fault if the machine runs without one (raw mode)."""
    context = m.context
    if context is None or context.packet is None:
        raise MachineFault("this helper needs a packet: run the program with its program type "
                           "(vm_service.runner), not in raw mode")
    return context


def skb_load_bytes(m: "Machine", ctx: int, offset: int, to: int, size: int, *_args: int) -> int:
    context = packet_context(m)
    packet = context.packet
    offset &= M32
    size &= M32
    if offset > INT_MAX or offset + size > packet.length:
        m.memory.write_bytes(to, bytes(size))
        return -EFAULT
    m.memory.write_bytes(to, packet.peek(packet.data + offset, size))
    return 0


def skb_load_bytes_relative(m: "Machine", ctx: int, offset: int, to: int, size: int,
                            start_header: int) -> int:
    context = packet_context(m)
    packet = context.packet
    offset &= M32
    size &= M32
    starts = {BPF_HDR_START_MAC: packet.mac, BPF_HDR_START_NET: packet.network}
    start = starts.get(start_header & M32)
    if offset > 0xFFFF or start is None or start + offset + size > packet.end:
        m.memory.write_bytes(to, bytes(size))
        return -EFAULT
    m.memory.write_bytes(to, packet.peek(start + offset, size))
    return 0


def skb_store_bytes(m: "Machine", ctx: int, offset: int, src: int, size: int,
                    flags: int) -> int:
    context = packet_context(m)
    packet = context.packet
    offset &= M32
    size &= M32
    if flags & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH):
        return -EINVAL
    if offset > INT_MAX or offset + size > packet.length:
        return -EFAULT
    data = m.memory.read_bytes(src, size)
    packet.pull()
    packet.write(packet.data + offset, data)
    if flags & BPF_F_INVALIDATE_HASH:
        context.set("hash", 0)
    context.packet_changed()
    return 0


def skb_pull_data(m: "Machine", ctx: int, size: int, *_args: int) -> int:
    packet = packet_context(m).packet
    return -ENOMEM if (size & M32) > packet.length else 0


def skb_change_tail(m: "Machine", ctx: int, new_len: int, flags: int, *_args: int) -> int:
    context = packet_context(m)
    packet = context.packet
    new_len &= M32
    minimum = packet.network - packet.data     # skb_network_offset: keep the headers before it
    if flags or new_len > BPF_SKB_MAX_LEN or new_len < minimum:
        return -EINVAL
    packet.pull()
    old_end = packet.end
    packet.ensure_room(tail=max(0, new_len - packet.length))
    packet.end = packet.data + new_len
    if packet.end > old_end:
        packet.write(old_end, bytes(packet.end - old_end))
    context.packet_changed()
    return 0


def skb_change_head(m: "Machine", ctx: int, head_room: int, flags: int, *_args: int) -> int:
    context = packet_context(m)
    packet = context.packet
    head_room &= M32
    new_len = (packet.length + head_room) & M32
    if flags or new_len > BPF_SKB_MAX_LEN or new_len < packet.length:
        return -EINVAL
    packet.pull()
    packet.ensure_room(head=head_room)
    packet.data -= head_room
    packet.meta = packet.data
    packet.mac = packet.data
    packet.write(packet.data, bytes(head_room))
    context.packet_changed()
    return 0


def set_hash(m: "Machine", ctx: int, value: int, *_args: int) -> int:
    packet_context(m).set("hash", value & M32)
    return 0


def set_hash_invalid(m: "Machine", ctx: int, *_args: int) -> int:
    packet_context(m).set("hash", 0)
    return 0


def get_socket_cookie(m: "Machine", ctx: int, *_args: int) -> int:
    """The cookie of the packet's socket (test_run gives every packet a socket of its own)."""
    return packet_context(m).socket_cookie or 0
