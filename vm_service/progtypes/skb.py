"""``struct __sk_buff``: the context of socket filters, tc programs and cgroup skb programs.

One table lists every field of the UAPI struct (Linux 6.18, 192 bytes) with
what each program type may do with it, as the verifier allows it
(``sk_filter_is_valid_access``, ``tc_cls_act_is_valid_access``,
``cg_skb_is_valid_access`` over ``bpf_skb_is_valid_access``). Grants read
``<`` narrow read (any aligned size up to the field's), ``=`` exact size only,
``-`` none; the first character is reading, the second writing::

    socket_filter  sched_cls/sched_act  cgroup_skb

The event becomes an sk_buff the way ``BPF_PROG_TEST_RUN`` builds one
(``bpf_prog_test_run_skb``), which is what the differential tests compare
against:

* the buffer has NET_SKB_PAD (64) bytes of headroom; the frame goes after it;
* ``eth_type_trans`` on the loopback device sets ``protocol`` and
  ``pkt_type`` (the loopback address is 00:00:00:00:00:00, and so is its
  "broadcast" address: ff:ff:ff:ff:ff:ff is only multicast to it) and pulls the
  Ethernet header: socket filters and cgroup programs see the packet from the
  network header, tc programs from the Ethernet header (``data``);
* IPv4 and IPv6 frames set the dummy socket's family and addresses (what
  cgroup programs read as ``family``, ``local_ip4``, ``remote_ip4``...), and
  must hold a whole IP header;
* the ctx_in fields test_run accepts (mark, priority, ingress_ifindex,
  ifindex, cb, tstamp, wire_len, gso_segs, gso_size, hwtstamp) start the run;
  ``wire_len`` defaults to the length the program sees.

After the run, ``packet_out`` is what test_run copies to data_out (for socket
filters and cgroup programs with the 14 bytes before the network header
zeroed, as test_run does) and ``ctx_out`` its ctx_out.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from ..machine import SKF_LL_OFF, SKF_NET_OFF, MachineFault
from ..memory import Memory
from .context import Context, EventError
from .fields import CtxField, FieldTable, Grant
from .packet import PacketBuffer

if TYPE_CHECKING:
    from ..machine import Machine
    from .table import ProgramTypeSpec

SKB_SIZE = 192
ETH_HLEN = 14
NET_SKB_PAD = 64                 # headroom before the frame (x86-64: NET_IP_ALIGN is 0)
SKB_SHARED_INFO = 320            # SKB_DATA_ALIGN(sizeof(struct skb_shared_info)): the tailroom
MAX_FRAME = 4096 - NET_SKB_PAD - SKB_SHARED_INFO   # the largest frame test_run takes: 3712
GSO_LEGACY_MAX_SIZE = 65536
GSO_MAX_SEGS = 65535
NO_QUEUE_MAPPING = 0xFFFF
LOOPBACK_IFINDEX = 1

ETH_P_IP, ETH_P_IPV6 = 0x0800, 0x86DD
ETH_P_802_3, ETH_P_802_2 = 0x0001, 0x0004
ETH_P_802_3_MIN = 0x0600
AF_UNSPEC, AF_INET, AF_INET6 = 0, 2, 10
PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST = 0, 1, 2, 3
IPV4_HEADER, IPV6_HEADER = 20, 40

# Which types see the frame from the Ethernet header (test_run's "is_l2").
L2_TYPES = frozenset({"sched_cls", "sched_act"})
# Which may use LD_ABS/LD_IND (the verifier's may_access_skb).
LEGACY_LOAD_TYPES = frozenset({"socket_filter", "sched_cls", "sched_act"})

COLUMNS = {"socket_filter": 0, "sched_cls": 1, "sched_act": 1, "cgroup_skb": 2}
U16 = 0xFFFF

#  name              off size  socket_filter  tc   cgroup   extra
SKB_FIELDS: tuple[tuple, ...] = (
    ("len",            0,  4, ("<-", "<-", "<-"), {}),
    ("pkt_type",       4,  4, ("<-", "<-", "<-"), {"backing": 1}),
    ("mark",           8,  4, ("<-", "<=", "<="), {}),
    ("queue_mapping", 12,  4, ("<-", "<=", "<-"), {"store_mask": U16, "backing": 2,
                                                   "store_limit": NO_QUEUE_MAPPING}),
    ("protocol",      16,  4, ("<-", "<-", "<-"), {"backing": 2}),
    ("vlan_present",  20,  4, ("<-", "<-", "<-"), {}),
    ("vlan_tci",      24,  4, ("<-", "<-", "<-"), {"backing": 2}),
    ("vlan_proto",    28,  4, ("<-", "<-", "<-"), {"backing": 2}),
    ("priority",      32,  4, ("<-", "<=", "<="), {}),
    ("ingress_ifindex", 36, 4, ("<-", "<-", "<-"), {}),
    ("ifindex",       40,  4, ("<-", "<-", "<-"), {}),
    ("tc_index",      44,  4, ("<-", "<=", "<-"), {"store_mask": U16, "backing": 2}),
    ("cb",            48, 20, ("<<", "<<", "<<"), {}),
    ("hash",          68,  4, ("<-", "<-", "<-"), {}),
    ("tc_classid",    72,  4, ("--", "<=", "--"), {"store_mask": U16, "backing": 2}),
    ("data",          76,  4, ("--", "=-", "=-"), {"kind": "data"}),
    ("data_end",      80,  4, ("--", "=-", "=-"), {"kind": "data_end"}),
    ("napi_id",       84,  4, ("<-", "<-", "<-"), {}),
    ("family",        88,  4, ("--", "--", "<-"), {"backing": 2}),
    ("remote_ip4",    92,  4, ("--", "--", "=-"), {}),
    ("local_ip4",     96,  4, ("--", "--", "=-"), {}),
    *((f"remote_ip6[{i}]", 100 + 4 * i, 4, ("--", "--", "=-"), {}) for i in range(4)),
    *((f"local_ip6[{i}]", 116 + 4 * i, 4, ("--", "--", "=-"), {}) for i in range(4)),
    ("remote_port",  132,  4, ("--", "--", "<-"), {"backing": 2}),
    ("local_port",   136,  4, ("--", "--", "<-"), {"backing": 2}),
    ("data_meta",    140,  4, ("--", "=-", "--"), {"kind": "data_meta"}),
    ("flow_keys",    144,  8, ("--", "--", "--"), {}),
    ("tstamp",       152,  8, ("--", "==", "=="), {}),
    ("wire_len",     160,  4, ("--", "<-", "--"), {}),
    ("gso_segs",     164,  4, ("<-", "<-", "<-"), {"backing": 2}),
    ("sk",           168,  8, ("=-", "=-", "=-"), {"kind": "sk"}),
    ("gso_size",     176,  4, ("<-", "<-", "<-"), {"backing": 2}),
    ("tstamp_type",  180,  1, ("--", "=-", "--"), {}),
    ("hwtstamp",     184,  8, ("--", "=-", "=-"), {}),
)
GRANTS = {g.value: g for g in Grant}

# The ctx_in fields BPF_PROG_TEST_RUN accepts (any other non-zero byte is EINVAL),
# and those it copies back to ctx_out.
CTX_IN_FIELDS = ("mark", "priority", "ingress_ifindex", "ifindex", "cb", "tstamp", "wire_len",
                 "gso_segs", "gso_size", "hwtstamp")
CTX_OUT_FIELDS = ("mark", "priority", "ingress_ifindex", "ifindex", "tstamp", "cb", "wire_len",
                  "gso_segs", "hwtstamp")


def skb_table(type_name: str) -> FieldTable:
    """``struct __sk_buff`` as program type ``type_name`` sees it."""
    column = COLUMNS[type_name]
    fields = []
    for name, offset, size, grants, extra in SKB_FIELDS:
        read, write = grants[column]
        fields.append(CtxField(name, offset, size, GRANTS[read], GRANTS[write], **extra))
    return FieldTable("struct __sk_buff", SKB_SIZE, tuple(fields))


def eth_type_trans(frame: bytes) -> tuple[int, int]:
    """(protocol, pkt_type) as eth_type_trans() gives them on the loopback device.

    The protocol is the EtherType as the kernel stores it (big-endian __be16,
    read back as a little-endian number: IPv4 is 0x0008).
    """
    dest = frame[0:6]
    if dest == bytes(6):
        pkt_type = PACKET_HOST                # the loopback device's own address
    elif dest[0] & 1:
        pkt_type = PACKET_MULTICAST           # its "broadcast" address is all zeros too
    else:
        pkt_type = PACKET_OTHERHOST
    proto = int.from_bytes(frame[12:14], "big")
    if proto < ETH_P_802_3_MIN:
        # A length field: raw 802.3 (IPX's 0xFFFF) or 802.2 LLC; the kernel reads the
        # two bytes after the header, zeroed tailroom when the frame ends there.
        after = frame[14:16].ljust(2, b"\0")
        proto = ETH_P_802_3 if after == b"\xff\xff" else ETH_P_802_2
    return int.from_bytes(proto.to_bytes(2, "big"), "little"), pkt_type


def parse_skb_ctx(ctx_in: bytes | None) -> bytes:
    """A ctx_in for a skb program, checked as test_run checks it; 192 bytes."""
    if ctx_in is None:
        return bytes(SKB_SIZE)
    if len(ctx_in) > SKB_SIZE and any(ctx_in[SKB_SIZE:]):
        raise EventError(f"ctx_in has {len(ctx_in)} bytes and non-zero bytes past the "
                         f"{SKB_SIZE} of struct __sk_buff: BPF_PROG_TEST_RUN answers E2BIG")
    ctx = bytes(ctx_in[:SKB_SIZE]).ljust(SKB_SIZE, b"\0")
    table = skb_table("sched_cls")
    allowed = set()
    for name in CTX_IN_FIELDS:
        f = table.by_name(name)
        allowed.update(range(f.offset, f.end))
    for offset, byte in enumerate(ctx):
        if byte and offset not in allowed:
            where = table.field_at(offset)
            raise EventError(f"ctx_in sets {where.name if where else f'padding at {offset}'}, "
                             f"which BPF_PROG_TEST_RUN does not accept (EINVAL); it takes "
                             f"{', '.join(CTX_IN_FIELDS)}")
    return ctx


def _u32(ctx: bytes, offset: int) -> int:
    return struct.unpack_from("<I", ctx, offset)[0]


class SkbContext(Context):
    """An sk_buff built from one packet, as BPF_PROG_TEST_RUN builds it."""

    def __init__(self, spec: "ProgramTypeSpec", memory: Memory, frame: bytes,
                 ctx_in: bytes | None = None):
        if len(frame) < ETH_HLEN:
            raise EventError(f"a packet needs at least {ETH_HLEN} bytes (an Ethernet header); "
                             f"this one has {len(frame)}: BPF_PROG_TEST_RUN answers EINVAL")
        if len(frame) > MAX_FRAME:
            raise EventError(f"a packet of {len(frame)} bytes does not fit the {MAX_FRAME} "
                             f"bytes BPF_PROG_TEST_RUN gives an skb (EINVAL)")
        ctx = parse_skb_ctx(ctx_in)
        ifindex = _u32(ctx, 40)
        if ifindex > LOOPBACK_IFINDEX:
            raise EventError(f"ctx_in names device {ifindex}; the playground has only the "
                             f"loopback device (ifindex {LOOPBACK_IFINDEX})")
        self.ctx_in = ctx
        self.l2 = spec.name in L2_TYPES
        self.legacy_loads = spec.name in LEGACY_LOAD_TYPES
        super().__init__(spec, skb_table(spec.name), memory, bytes(SKB_SIZE))

        protocol, pkt_type = eth_type_trans(frame)
        mac, network = NET_SKB_PAD, NET_SKB_PAD + ETH_HLEN
        buffer = bytearray(NET_SKB_PAD) + bytearray(frame) + bytearray(SKB_SHARED_INFO)
        data = mac if self.l2 else network
        self.packet = PacketBuffer(buffer, meta=data, data=data, end=mac + len(frame),
                                   mac=mac, network=network)
        self.packet.map(memory)

        self.set("len", self.packet.length)
        self.set("pkt_type", pkt_type)
        self.set("protocol", protocol)
        self.set("ifindex", LOOPBACK_IFINDEX)
        for name in CTX_IN_FIELDS:
            if name != "ifindex":
                f = self.table.by_name(name)
                self.region.data[f.offset:f.end] = ctx[f.offset:f.end]
        self._set_socket(frame, protocol)
        self._set_wire_len()

    def _set_socket(self, frame: bytes, protocol: int) -> None:
        """The dummy socket test_run attaches: family and addresses from an IP header."""
        ethertype = int.from_bytes(protocol.to_bytes(2, "little"), "big")
        payload = frame[ETH_HLEN:]
        if ethertype == ETH_P_IP:
            if len(payload) < IPV4_HEADER:
                raise EventError(f"an IPv4 frame needs a whole IPv4 header ({IPV4_HEADER} bytes "
                                 f"after the Ethernet header); this one has {len(payload)}: "
                                 f"BPF_PROG_TEST_RUN answers EINVAL")
            self.set("family", AF_INET)
            self.set("local_ip4", int.from_bytes(payload[12:16], "little"))
            self.set("remote_ip4", int.from_bytes(payload[16:20], "little"))
        elif ethertype == ETH_P_IPV6:
            if len(payload) < IPV6_HEADER:
                raise EventError(f"an IPv6 frame needs a whole IPv6 header ({IPV6_HEADER} bytes "
                                 f"after the Ethernet header); this one has {len(payload)}: "
                                 f"BPF_PROG_TEST_RUN answers EINVAL")
            self.set("family", AF_INET6)
            for i in range(4):
                self.set(f"local_ip6[{i}]", int.from_bytes(payload[8 + 4 * i:12 + 4 * i], "little"))
                self.set(f"remote_ip6[{i}]",
                         int.from_bytes(payload[24 + 4 * i:28 + 4 * i], "little"))
        else:
            self.set("family", AF_UNSPEC)

    def _set_wire_len(self) -> None:
        wire_len, gso_segs = _u32(self.ctx_in, 160), _u32(self.ctx_in, 164)
        length = self.packet.length
        if wire_len == 0:
            wire_len = length
        elif wire_len < length or wire_len > GSO_LEGACY_MAX_SIZE:
            raise EventError(f"ctx_in wire_len {wire_len} must lie between the packet's length "
                             f"{length} and {GSO_LEGACY_MAX_SIZE}: BPF_PROG_TEST_RUN answers EINVAL")
        if gso_segs > GSO_MAX_SEGS:
            raise EventError(f"ctx_in gso_segs {gso_segs} is over {GSO_MAX_SEGS}: "
                             f"BPF_PROG_TEST_RUN answers EINVAL")
        self.set("wire_len", wire_len)

    # -- computed fields -------------------------------------------------------------------

    def computed(self, field: CtxField) -> int:
        packet = self.packet
        if field.kind == "data":
            return packet.address(packet.data)
        if field.kind == "data_end":
            return packet.address(packet.end)
        if field.kind == "data_meta":
            return packet.address(packet.meta)
        raise MachineFault("__sk_buff->sk (a struct bpf_sock pointer) is not modelled by the "
                           "playground")

    def packet_changed(self) -> None:
        """After a helper changed the packet: the window and skb->len follow."""
        self.packet.push(self.memory)
        self.set("len", self.packet.length)

    # -- legacy loads ---------------------------------------------------------------------

    def legacy_load(self, machine: "Machine", offset: int, size: int) -> bytes | None:
        """LD_ABS/LD_IND as the kernel's bpf_skb_load_helper_*: offsets from skb->data,
        SKF_NET_OFF + k from the network header, SKF_LL_OFF + k from the mac header."""
        if not self.legacy_loads:
            return super().legacy_load(machine, offset, size)
        if not machine.written[6]:
            raise MachineFault("R6 !read_ok")
        if machine.regs[6] != self.address:
            raise MachineFault("at the time of BPF_LD_ABS|IND R6 != pointer to skb")
        packet = self.packet
        if offset >= 0:
            start = packet.data + offset
        elif offset >= SKF_NET_OFF:
            start = packet.network + offset - SKF_NET_OFF
        elif offset >= SKF_LL_OFF:
            start = packet.mac + offset - SKF_LL_OFF
        else:
            return None
        if start + size > packet.end:
            return None
        return packet.peek(start, size)

    # -- results ---------------------------------------------------------------------------

    def packet_out(self) -> bytes:
        """test_run's data_out: from skb->data; without the Ethernet header in the
        program's view, the 14 bytes before the network header come back zeroed."""
        packet = self.packet
        contents = packet.contents()
        return contents if self.l2 else bytes(ETH_HLEN) + contents

    def ctx_out(self) -> bytes:
        """test_run's ctx_out: ctx_in with the fields convert_skb_to___skb copies back."""
        out = bytearray(self.ctx_in)
        for name in CTX_OUT_FIELDS:
            f = self.table.by_name(name)
            out[f.offset:f.end] = self.region.data[f.offset:f.end]
        return bytes(out)
