"""``struct xdp_md``: the context of XDP programs, over a page-sized packet buffer.

The verifier lets an XDP program read every field of ``struct xdp_md`` as a
whole u32 and write none (``xdp_is_valid_access``); ``egress_ifindex`` only
for programs attached to a devmap, which the playground does not run. Reading
``data``, ``data_end`` or ``data_meta`` gives a 64-bit packet pointer.

The packet sits in one page as BPF_PROG_TEST_RUN lays it out
(``bpf_prog_test_run_xdp``)::

    0       40           256 - metalen   256                       3776      4096
    |xdp_frame|-- headroom --|- metadata -|--- packet ---|- room -|shared_info|

``bpf_xdp_adjust_head``/``adjust_meta`` may move the start down to the end
of the ``struct xdp_frame`` the kernel keeps at the top of the page (40
bytes), ``bpf_xdp_adjust_tail`` the end up to where ``struct
skb_shared_info`` starts (320 bytes before the page end). ``data_out`` is the
packet *with* its metadata: from data_meta to data_end.

A ctx_in may ask for metadata (``data`` > 0: the first ``data`` bytes of the
packet are metadata) and give the ingress device and queue, checked as
test_run checks them. Packets that would not fit the page linearly become
multi-buffer packets in the kernel, which the playground does not model.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from ..machine import MachineFault
from ..memory import Memory
from .context import Context, EventError
from .fields import CtxField, FieldTable, Grant
from .packet import PacketBuffer

if TYPE_CHECKING:
    from .table import ProgramTypeSpec

XDP_MD_SIZE = 24
PAGE_SIZE = 4096
XDP_PACKET_HEADROOM = 256
XDP_FRAME_SIZE = 40                    # sizeof(struct xdp_frame) in Linux 6.18
SKB_SHARED_INFO = 320                  # SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
HARD_END = PAGE_SIZE - SKB_SHARED_INFO
MAX_METALEN = XDP_PACKET_HEADROOM - XDP_FRAME_SIZE
ETH_HLEN = 14
LOOPBACK_IFINDEX = 1

XDP_TABLE = FieldTable("struct xdp_md", XDP_MD_SIZE, (
    CtxField("data", 0, 4, Grant.EXACT, kind="data"),
    CtxField("data_end", 4, 4, Grant.EXACT, kind="data_end"),
    CtxField("data_meta", 8, 4, Grant.EXACT, kind="data_meta"),
    CtxField("ingress_ifindex", 12, 4, Grant.EXACT),
    CtxField("rx_queue_index", 16, 4, Grant.EXACT),
    CtxField("egress_ifindex", 20, 4, Grant.NONE),   # BPF_XDP_DEVMAP programs only
))


def metalen_valid(metalen: int) -> bool:
    """The kernel's xdp_metalen_invalid(), inverted: whole u32s, within the headroom."""
    return metalen % 4 == 0 and 0 <= metalen <= MAX_METALEN


def parse_xdp_ctx(ctx_in: bytes | None, size: int) -> tuple[int, int, int]:
    """(metalen, ingress_ifindex, rx_queue_index) from a ctx_in, checked as test_run does."""
    if ctx_in is None:
        return 0, 0, 0
    if len(ctx_in) > XDP_MD_SIZE and any(ctx_in[XDP_MD_SIZE:]):
        raise EventError(f"ctx_in has non-zero bytes past the {XDP_MD_SIZE} of struct xdp_md: "
                         f"BPF_PROG_TEST_RUN answers E2BIG")
    data, data_end, data_meta, ingress, queue, egress = struct.unpack(
        "<6I", bytes(ctx_in[:XDP_MD_SIZE]).ljust(XDP_MD_SIZE, b"\0"))
    if data_meta or egress:
        raise EventError("ctx_in data_meta and egress_ifindex must be 0: BPF_PROG_TEST_RUN "
                         "answers EINVAL")
    if data_end != size:
        raise EventError(f"ctx_in data_end {data_end} is not the packet's length {size}: the "
                         f"kernel would put the rest in fragments (multi-buffer XDP), which the "
                         f"playground does not model")
    if data > data_end or not metalen_valid(data):
        raise EventError(f"ctx_in data {data} (the metadata length) must be a multiple of 4 "
                         f"up to {MAX_METALEN}: BPF_PROG_TEST_RUN answers EINVAL")
    if ingress == 0 and queue:
        raise EventError("ctx_in rx_queue_index needs an ingress_ifindex: BPF_PROG_TEST_RUN "
                         "answers EINVAL")
    if ingress > LOOPBACK_IFINDEX:
        raise EventError(f"ctx_in names device {ingress}; the playground has only the loopback "
                         f"device (ifindex {LOOPBACK_IFINDEX})")
    if queue:
        raise EventError(f"ctx_in rx_queue_index {queue}: the loopback device has one queue, "
                         f"0 (BPF_PROG_TEST_RUN answers EINVAL)")
    return data, ingress, queue


class XdpContext(Context):
    """An xdp_buff built from one packet, as BPF_PROG_TEST_RUN builds it."""

    def __init__(self, spec: "ProgramTypeSpec", memory: Memory, packet: bytes,
                 ctx_in: bytes | None = None):
        metalen, ingress, queue = parse_xdp_ctx(ctx_in, len(packet))
        if len(packet) - metalen < ETH_HLEN:
            raise EventError(f"an XDP packet needs at least {ETH_HLEN} bytes after its metadata; "
                             f"this one has {len(packet) - metalen}: BPF_PROG_TEST_RUN answers "
                             f"EINVAL")
        room = HARD_END - (XDP_PACKET_HEADROOM - metalen)
        if len(packet) > room:
            raise EventError(f"a packet of {len(packet)} bytes does not fit one page ({room} "
                             f"bytes): the kernel would make it a multi-buffer packet, which the "
                             f"playground does not model")
        self.ctx_in = (bytes(ctx_in[:XDP_MD_SIZE]).ljust(XDP_MD_SIZE, b"\0") if ctx_in is not None
                       else struct.pack("<6I", 0, len(packet), 0, 0, 0, 0))
        super().__init__(spec, XDP_TABLE, memory, bytes(XDP_MD_SIZE))
        buffer = bytearray(PAGE_SIZE)
        meta = XDP_PACKET_HEADROOM - metalen
        buffer[meta:meta + len(packet)] = packet
        self.packet = PacketBuffer(buffer, meta=meta, data=XDP_PACKET_HEADROOM,
                                   end=meta + len(packet), window_from_meta=True)
        self.packet.map(memory)
        # With no device named, test_run runs on the loopback device's queue 0.
        self.set("ingress_ifindex", ingress or LOOPBACK_IFINDEX)
        self.set("rx_queue_index", queue)

    def computed(self, field: CtxField) -> int:
        packet = self.packet
        offset = {"data": packet.data, "data_end": packet.end, "data_meta": packet.meta}
        if field.kind not in offset:
            raise MachineFault(f"struct xdp_md: field {field.name} is not modelled")
        return packet.address(offset[field.kind])

    def packet_changed(self) -> None:
        self.packet.push(self.memory)

    def packet_out(self) -> bytes:
        """test_run's data_out: the metadata and the packet, data_meta to data_end."""
        return self.packet.contents(self.packet.meta)

    def ctx_out(self) -> bytes:
        """test_run's ctx_out: ctx_in with data and data_end as offsets from data_meta."""
        packet = self.packet
        out = bytearray(self.ctx_in)
        struct.pack_into("<II", out, 0, packet.data - packet.meta, packet.end - packet.meta)
        return bytes(out)
