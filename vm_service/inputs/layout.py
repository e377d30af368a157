"""``describe_packet``: which bytes of a packet are which header field.

The UI shows decoded headers beside the hex bytes and highlights the bytes of
the field under the mouse (or the bytes a program just read), so every field
carries its byte range, which a parsing library does not give. The headers
are tables: one ``Header`` per protocol, one ``FieldSpec`` per field, with the
offset, size and bits from the RFCs; small functions read a header's length,
the extent of its payload and the next protocol from its field values.

Decoding never fails on odd bytes: a header cut short or with an impossible
length ends the walk with a note, and whatever is left is ``payload`` (inside
the innermost length field) or ``trailer`` (after it, e.g. Ethernet padding).
Checksum fields say whether they are correct.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field
from typing import Callable

from .checksum import ones_complement_sum, pseudo_header
from .errors import InputError

# -- field and header tables --------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """A field at ``offset`` spanning ``size`` bytes (big-endian); ``bits`` > 0 narrows it to
    that many bits, ``shift`` bits above the least significant bit of those bytes."""

    name: str
    offset: int
    size: int
    bits: int = 0
    shift: int = 0
    show: str = "int"     # a key of RENDERERS


@dataclass(frozen=True)
class Header:
    """A protocol header: its fixed part, and how its fields lead on."""

    name: str
    size: int                                           # bytes of the fixed part
    fields: tuple[FieldSpec, ...]
    length: Callable[[dict], int] | None = None         # whole header, options included
    extent: Callable[[dict], int] | None = None         # header + payload, from a length field
    next: Callable[[dict], str | None] = lambda values: None
    checksum: str | None = None      # "ipv4" (the header), "icmp" (the message), "pseudo"


ETHERTYPES = {0x0800: ("IPv4", "ipv4"), 0x86DD: ("IPv6", "ipv6"), 0x0806: ("ARP", "arp"),
              0x8100: ("802.1Q VLAN", "vlan"), 0x88A8: ("802.1ad VLAN", "vlan"),
              0x88B5: ("local experimental", None)}
IP_PROTOCOLS = {0: "IPv6 hop-by-hop options", 1: "ICMP", 4: "IPv4 in IP", 6: "TCP", 17: "UDP",
                41: "IPv6 in IP", 43: "IPv6 routing", 44: "IPv6 fragment", 58: "ICMPv6",
                59: "no next header", 60: "IPv6 destination options", 253: "experimental"}
IPV4_NEXT = {1: "icmp", 4: "ipv4", 6: "tcp", 17: "udp", 41: "ipv6"}
IPV6_NEXT = {0: "ipv6-options", 4: "ipv4", 6: "tcp", 17: "udp", 41: "ipv6", 43: "ipv6-routing",
             44: "ipv6-fragment", 58: "icmpv6", 60: "ipv6-options"}
ICMP_TYPES = {0: "echo reply", 3: "destination unreachable", 4: "source quench", 5: "redirect",
              8: "echo request", 11: "time exceeded", 12: "parameter problem",
              13: "timestamp", 14: "timestamp reply"}
ICMPV6_TYPES = {1: "destination unreachable", 2: "packet too big", 3: "time exceeded",
                4: "parameter problem", 128: "echo request", 129: "echo reply",
                133: "router solicitation", 134: "router advertisement",
                135: "neighbor solicitation", 136: "neighbor advertisement", 137: "redirect"}
ARP_OPERATIONS = {1: "request", 2: "reply"}
TCP_FLAGS = ("FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS")
IPV4_FLAGS = ("MF", "DF", "RF")


def _ethertype_next(values: dict) -> str | None:
    return ETHERTYPES.get(values["type"], (None, None))[1]


def _ipv4_next(values: dict) -> str | None:
    return IPV4_NEXT.get(values["protocol"]) if values["frag_offset"] == 0 else None


def _ipv6_next(values: dict) -> str | None:
    return IPV6_NEXT.get(values["next_header"])


def _fragment_next(values: dict) -> str | None:
    return IPV6_NEXT.get(values["next_header"]) if values["frag_offset"] == 0 else None


TYPE = FieldSpec("type", 12, 2, show="ethertype")
NEXT_HEADER = FieldSpec("next_header", 0, 1, show="protocol")

HEADERS = {header.name: header for header in (
    Header("eth", 14, (FieldSpec("dst", 0, 6, show="mac"), FieldSpec("src", 6, 6, show="mac"),
                       TYPE), next=_ethertype_next),
    Header("vlan", 4, (FieldSpec("pcp", 0, 2, 3, 13), FieldSpec("dei", 0, 2, 1, 12),
                       FieldSpec("id", 0, 2, 12), FieldSpec("type", 2, 2, show="ethertype")),
           next=_ethertype_next),
    Header("arp", 8, (FieldSpec("htype", 0, 2), FieldSpec("ptype", 2, 2, show="ethertype"),
                      FieldSpec("hlen", 4, 1), FieldSpec("plen", 5, 1),
                      FieldSpec("oper", 6, 2, show="arp_oper"),
                      FieldSpec("sha", 8, 6, show="mac"), FieldSpec("spa", 14, 4, show="ipv4"),
                      FieldSpec("tha", 18, 6, show="mac"), FieldSpec("tpa", 24, 4, show="ipv4")),
           # addresses are decoded for Ethernet/IPv4 ARP; other sizes leave them as payload
           length=lambda v: 28 if (v["hlen"], v["plen"]) == (6, 4) else 8),
    Header("ipv4", 20, (FieldSpec("version", 0, 1, 4, 4), FieldSpec("ihl", 0, 1, 4),
                        FieldSpec("tos", 1, 1, show="hex"), FieldSpec("total_length", 2, 2),
                        FieldSpec("id", 4, 2), FieldSpec("flags", 6, 2, 3, 13, show="ipv4_flags"),
                        FieldSpec("frag_offset", 6, 2, 13), FieldSpec("ttl", 8, 1),
                        FieldSpec("protocol", 9, 1, show="protocol"),
                        FieldSpec("checksum", 10, 2, show="hex"),
                        FieldSpec("src", 12, 4, show="ipv4"), FieldSpec("dst", 16, 4, show="ipv4")),
           length=lambda v: v["ihl"] * 4, extent=lambda v: v["total_length"], next=_ipv4_next,
           checksum="ipv4"),
    Header("ipv6", 40, (FieldSpec("version", 0, 1, 4, 4),
                        FieldSpec("traffic_class", 0, 2, 8, 4, show="hex"),
                        FieldSpec("flow_label", 1, 3, 20, show="hex"),
                        FieldSpec("payload_length", 4, 2),
                        FieldSpec("next_header", 6, 1, show="protocol"),
                        FieldSpec("hop_limit", 7, 1), FieldSpec("src", 8, 16, show="ipv6"),
                        FieldSpec("dst", 24, 16, show="ipv6")),
           extent=lambda v: 40 + v["payload_length"], next=_ipv6_next),
    Header("ipv6-options", 2, (NEXT_HEADER, FieldSpec("hdr_ext_len", 1, 1)),
           length=lambda v: (v["hdr_ext_len"] + 1) * 8, next=_ipv6_next),
    Header("ipv6-routing", 4, (NEXT_HEADER, FieldSpec("hdr_ext_len", 1, 1),
                               FieldSpec("routing_type", 2, 1), FieldSpec("segments_left", 3, 1)),
           length=lambda v: (v["hdr_ext_len"] + 1) * 8, next=_ipv6_next),
    Header("ipv6-fragment", 8, (NEXT_HEADER, FieldSpec("reserved", 1, 1),
                                FieldSpec("frag_offset", 2, 2, 13, 3), FieldSpec("m", 2, 2, 1),
                                FieldSpec("id", 4, 4, show="hex")),
           next=_fragment_next),
    Header("tcp", 20, (FieldSpec("sport", 0, 2), FieldSpec("dport", 2, 2), FieldSpec("seq", 4, 4),
                       FieldSpec("ack", 8, 4), FieldSpec("data_offset", 12, 1, 4, 4),
                       FieldSpec("flags", 12, 2, 9, show="tcp_flags"), FieldSpec("window", 14, 2),
                       FieldSpec("checksum", 16, 2, show="hex"), FieldSpec("urgent", 18, 2)),
           length=lambda v: v["data_offset"] * 4, checksum="pseudo"),
    Header("udp", 8, (FieldSpec("sport", 0, 2), FieldSpec("dport", 2, 2),
                      FieldSpec("length", 4, 2), FieldSpec("checksum", 6, 2, show="hex")),
           extent=lambda v: v["length"], checksum="pseudo"),
    Header("icmp", 4, (FieldSpec("type", 0, 1, show="icmp_type"), FieldSpec("code", 1, 1),
                       FieldSpec("checksum", 2, 2, show="hex")),
           next=lambda v: "echo" if v["type"] in (0, 8) else None, checksum="icmp"),
    Header("icmpv6", 4, (FieldSpec("type", 0, 1, show="icmpv6_type"), FieldSpec("code", 1, 1),
                         FieldSpec("checksum", 2, 2, show="hex")),
           next=lambda v: "echo" if v["type"] in (128, 129) else None, checksum="pseudo"),
    Header("echo", 4, (FieldSpec("id", 0, 2), FieldSpec("seq", 2, 2))),
)}

# Where a walk may start: a link-layer frame, or a packet from its network header.
STARTS = ("eth", "ipv4", "ipv6", "ip")
PROTOCOL_NUMBERS = {"tcp": 6, "udp": 17, "icmpv6": 58}
CHECKSUM_OFFSETS = {"ipv4": 10, "tcp": 16, "udp": 6, "icmp": 2, "icmpv6": 2}


# -- results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A decoded field: ``value`` is an int, or a string for addresses and options;
    bytes ``start``..``end`` (absolute, end exclusive); ``mask`` marks the bits a
    narrower field takes within those bytes."""

    name: str
    value: int | str
    start: int
    end: int
    text: str
    mask: int | None = None


@dataclass(frozen=True)
class Layer:
    name: str
    start: int
    end: int
    fields: tuple[Field, ...] = ()
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Walk:
    """The decoding position: ``limit`` is where the innermost length field says data ends."""

    data: bytes
    pos: int
    limit: int
    network: dict = field(default_factory=dict)   # innermost IP layer: src, dst, end, fragment
    layers: list[Layer] = field(default_factory=list)


def describe_packet(data: bytes, start: str = "eth") -> list[Layer]:
    """The layers of ``data``, outermost first, covering every byte exactly once.

    ``start`` is what the first byte begins: "eth" (an Ethernet frame), "ipv4",
    "ipv6", or "ip" (either, by the version nibble).
    """
    if start not in STARTS:
        raise InputError("start", f"{start!r} is not a starting layer; expected one of "
                                  f"{', '.join(STARTS)}")
    data = bytes(data)
    walk = _Walk(data, 0, len(data))
    name: str | None = start
    if start == "ip":
        name = {4: "ipv4", 6: "ipv6"}.get(data[0] >> 4 if data else 0)
    while name is not None and walk.pos < walk.limit:
        name = _decode(walk, HEADERS[name])
    if walk.pos < walk.limit:
        walk.layers.append(Layer("payload", walk.pos, walk.limit))
    if walk.limit < len(data):
        walk.layers.append(Layer("trailer", walk.limit, len(data),
                                 note="bytes after the end the length fields give"))
    return walk.layers


def _decode(walk: _Walk, header: Header) -> str | None:
    """Append one layer at ``walk.pos``; the next protocol's name, or None to stop."""
    start, available = walk.pos, walk.limit - walk.pos
    values: dict[str, int | bytes] = {}
    specs = [spec for spec in header.fields if spec.offset + spec.size <= available]
    for spec in specs:
        values[spec.name] = _raw_value(walk.data, start, spec)
    if available < header.size:
        return _stop(walk, header, values, specs, available,
                     f"truncated: {available} of {header.size} header bytes")
    length = header.length(values) if header.length else header.size
    if length < header.size:
        return _stop(walk, header, values, specs, header.size,
                     f"malformed: a header length of {length} bytes is below the minimum, "
                     f"{header.size}")
    if length > available:
        return _stop(walk, header, values, specs, available,
                     f"truncated: {available} of the {length} header bytes")
    notes = []
    end = walk.limit
    if header.extent:
        extent = header.extent(values)
        if extent < length:
            notes.append(f"malformed: a length field of {extent} is below the header's {length} "
                         f"bytes; ignored")
        else:
            end = start + extent
            if extent > available:
                notes.append(f"truncated: the length field says {extent} bytes, {available} "
                             f"are here")
            else:
                walk.limit = end
    specs = [spec for spec in specs if spec.offset + spec.size <= length]
    fields = [_field(spec, values[spec.name], start) for spec in specs]
    fields_end = max(spec.offset + spec.size for spec in specs)
    if length > fields_end:
        options = walk.data[start + fields_end:start + length]
        fields.append(Field("options", options.hex(), start + fields_end, start + length,
                            f"{len(options)} bytes"))
    walk.pos = start + length
    if header.name in ("ipv4", "ipv6"):
        fragment = header.name == "ipv4" and bool(values["flags"] & 1 or values["frag_offset"])
        walk.network = {"src": values["src"], "dst": values["dst"], "end": end,
                        "fragment": fragment}
    elif header.name == "ipv6-fragment":
        walk.network["fragment"] = True
    if header.checksum:
        status = _checksum_status(walk, header, start, bool(notes))
        fields = [Field(f.name, f.value, f.start, f.end, f"{f.text} ({status})", f.mask)
                  if f.name == "checksum" else f for f in fields]
    walk.layers.append(Layer(header.name, start, start + length, tuple(fields), "; ".join(notes)))
    return header.next(values)


def _stop(walk: _Walk, header: Header, values: dict, specs: list, end: int, note: str) -> None:
    """The last layer: the fields that fit before ``end``, covering up to there."""
    fields = tuple(_field(spec, values[spec.name], walk.pos) for spec in specs
                   if spec.offset + spec.size <= end)
    walk.layers.append(Layer(header.name, walk.pos, walk.pos + end, fields, note))
    walk.pos += end
    return None


def _raw_value(data: bytes, start: int, spec: FieldSpec) -> int | bytes:
    raw = data[start + spec.offset:start + spec.offset + spec.size]
    if spec.show in ("mac", "ipv4", "ipv6"):
        return raw
    value = int.from_bytes(raw, "big")
    return (value >> spec.shift) & ((1 << spec.bits) - 1) if spec.bits else value


def _field(spec: FieldSpec, value: int | bytes, base: int) -> Field:
    shown, text = RENDERERS[spec.show](value, spec)
    mask = ((1 << spec.bits) - 1) << spec.shift if spec.bits else None
    return Field(spec.name, shown, base + spec.offset, base + spec.offset + spec.size, text, mask)


# -- checksums ----------------------------------------------------------------------------


def _checksum_status(walk: _Walk, header: Header, start: int, doubtful: bool) -> str:
    """Whether the checksum is right; ``walk.limit`` is where the checksummed data ends."""
    network = walk.network
    if header.checksum == "ipv4":
        covered, prefix = walk.data[start:walk.pos], b""
    else:
        if header.checksum == "pseudo" and not network:
            return "not checked: no IP header before it"
        if network.get("fragment"):
            return "not checked: the datagram is fragmented"
        if doubtful or network.get("end", 0) > len(walk.data):
            return "not checked: the packet is truncated or its lengths disagree"
        covered, prefix = walk.data[start:walk.limit], b""
        if header.checksum == "pseudo":
            if header.name == "udp" and len(network["src"]) == 4 and covered[6:8] == b"\0\0":
                return "none: 0 means no checksum over IPv4"
            prefix = pseudo_header(network["src"], network["dst"], PROTOCOL_NUMBERS[header.name],
                                   len(covered))
    if ones_complement_sum(prefix + covered) == 0xFFFF:
        return "correct"
    offset = CHECKSUM_OFFSETS[header.name]
    zeroed = covered[:offset] + b"\0\0" + covered[offset + 2:]
    return f"incorrect: should be 0x{~ones_complement_sum(prefix + zeroed) & 0xFFFF:04x}"


# -- how field values read -------------------------------------------------------------------


def _render_int(value, spec):
    return value, str(value)


def _render_hex(value, spec):
    width = (spec.bits + 3) // 4 if spec.bits else spec.size * 2
    return value, f"0x{value:0{width}x}"


def _render_named(names: dict, hex_width: int = 0):
    def render(value, spec):
        number = f"0x{value:0{hex_width}x}" if hex_width else str(value)
        name = names.get(value)
        name = name[0] if isinstance(name, tuple) else name
        return value, f"{number} ({name})" if name else number
    return render


def _render_flags(names: tuple[str, ...]):
    def render(value, spec):
        set_flags = [name for bit, name in enumerate(names) if value >> bit & 1]
        return value, f"0x{value:0{(spec.bits + 3) // 4}x} ({', '.join(set_flags) or 'none'})"
    return render


def _render_mac(value, spec):
    text = value.hex(":")
    return text, text


def _render_address(value, spec):
    text = str(ipaddress.ip_address(value))
    return text, text


RENDERERS = {
    "int": _render_int,
    "hex": _render_hex,
    "mac": _render_mac,
    "ipv4": _render_address,
    "ipv6": _render_address,
    "ethertype": _render_named(ETHERTYPES, 4),
    "protocol": _render_named(IP_PROTOCOLS),
    "icmp_type": _render_named(ICMP_TYPES),
    "icmpv6_type": _render_named(ICMPV6_TYPES),
    "arp_oper": _render_named(ARP_OPERATIONS),
    "tcp_flags": _render_flags(TCP_FLAGS),
    "ipv4_flags": _render_flags(IPV4_FLAGS),
}
