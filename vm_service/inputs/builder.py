"""``build_packet``: a JSON-able description of a packet -> the packet's bytes.

The web UI's packet form and the CLI send the same spec (documented in
``docs/formats.md``)::

    {"eth": {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"},
     "vlan": {"id": 10},
     "ipv4": {"src": "10.0.0.1", "dst": "10.0.0.2", "ttl": 64},
     "tcp": {"sport": 40000, "dport": 80, "flags": "S"},
     "payload": "hello"}

Every key is optional and has a default; unknown keys are ignored. dpkt
(BSD-3-Clause) lays out the headers and computes every length and checksum:
IPv4 header, TCP/UDP with the IPv4 or IPv6 pseudo-header, ICMP, ICMPv6.
Errors are InputError naming the field (``packet.ipv4.ttl: ...``).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import dpkt

from .errors import InputError
from .fields import (U8_MAX, U16_MAX, U32_MAX, child, hex_bytes, integer, item, optional,
                     require_list, require_object, string)
from .hextext import MAX_PACKET_BYTES

DEFAULT_MACS = ("02:00:00:00:00:01", "02:00:00:00:00:02")
DEFAULT_IPV4 = ("10.0.0.1", "10.0.0.2")
DEFAULT_IPV6 = ("fd00::1", "fd00::2")
DEFAULT_PORTS = (40000, 80)
ETHERTYPE_LOCAL_EXPERIMENTAL = 0x88B5   # IEEE 802 "local experimental" EtherType 1
ETHERTYPES = {"ipv4": 0x0800, "ipv6": 0x86DD}
IP_MAXPACKET = 65535
MAX_VLAN_TAGS = 2                        # 802.1ad: an outer service tag, an inner customer tag

# Transport layer key -> (IP protocol number, the network layers it can ride on).
TRANSPORTS = {
    "tcp": (6, ("ipv4", "ipv6")),
    "udp": (17, ("ipv4", "ipv6")),
    "icmp": (1, ("ipv4",)),
    "icmpv6": (58, ("ipv6",)),
}

TCP_FLAG_LETTERS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20,
                    "E": 0x40, "C": 0x80, "N": 0x100}
IPV4_FLAG_NAMES = {"MF": 0b001, "DF": 0b010, "RF": 0b100}     # the 3 bits above the offset
MAC = re.compile(r"[0-9A-Fa-f]{2}([:-]?)(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}")


def build_packet(spec: Any, path: str = "packet") -> bytes:
    """The Ethernet frame ``spec`` describes."""
    spec = require_object(spec, path)
    network = _only_one(spec, ("ipv4", "ipv6"), path)
    transport = _only_one(spec, tuple(TRANSPORTS), path)
    if transport:
        protocol, carriers = TRANSPORTS[transport]
        if network not in carriers:
            raise InputError(child(path, transport), f"{transport} needs "
                             f"{' or '.join(carriers)}{f', not {network}' if network else ''}")
    upper: Any = _payload(spec, path)
    if transport:
        upper = TRANSPORT_BUILDERS[transport](_layer(spec, transport, path), child(path, transport),
                                              upper)
    if network:
        upper = NETWORK_BUILDERS[network](_layer(spec, network, path), child(path, network), upper,
                                          transport)
    frame = _ethernet(_layer(spec, "eth", path), child(path, "eth"), spec.get("vlan"),
                      child(path, "vlan"), upper, network)
    data = bytes(frame)
    if len(data) > MAX_PACKET_BYTES:
        raise InputError(path, f"the packet would be {len(data)} bytes; the playground takes at "
                               f"most {MAX_PACKET_BYTES}")
    return data


# -- layers, outermost first ---------------------------------------------------------


def _ethernet(obj: dict, path: str, vlan: Any, vlan_path: str, upper: Any,
              network: str | None) -> dpkt.ethernet.Ethernet:
    src = optional(obj, "src", path, _mac, _mac(DEFAULT_MACS[0], ""))
    dst = optional(obj, "dst", path, _mac, _mac(DEFAULT_MACS[1], ""))
    default_type = ETHERTYPES[network] if network else ETHERTYPE_LOCAL_EXPERIMENTAL
    ethertype = optional(obj, "type", path, _u16, default_type)
    if network and ethertype != default_type:
        raise InputError(child(path, "type"), f"0x{ethertype:04x} contradicts the {network} layer, "
                                              f"whose EtherType is 0x{default_type:04x}")
    frame = dpkt.ethernet.Ethernet(src=src, dst=dst, type=ethertype)
    if vlan is not None:
        frame.vlan_tags = _vlan_tags(vlan, vlan_path)
    frame.data = upper   # set after construction: dpkt would re-parse raw bytes given to __init__
    return frame


def _vlan_tags(value: Any, path: str) -> list:
    """One tag (an object) or, for QinQ, a list of two, outer first."""
    tags = [(value, path)] if isinstance(value, dict) else [
        (tag, item(path, i)) for i, tag in enumerate(require_list(value, path, MAX_VLAN_TAGS))]
    if not tags:
        raise InputError(path, "an empty list of VLAN tags: leave vlan out instead")
    return [_vlan_tag(require_object(tag, tag_path), tag_path) for tag, tag_path in tags]


def _vlan_tag(obj: dict, path: str) -> dpkt.ethernet.VLANtag8021Q:
    if "id" not in obj:
        raise InputError(child(path, "id"), "missing: the VLAN id (0 to 4095)")
    return dpkt.ethernet.VLANtag8021Q(
        id=integer(obj["id"], child(path, "id"), 0, 4095),
        pri=optional(obj, "pcp", path, lambda v, p: integer(v, p, 0, 7), 0),
        cfi=optional(obj, "dei", path, lambda v, p: integer(v, p, 0, 1), 0))


def _ipv4(obj: dict, path: str, upper: Any, transport: str | None) -> dpkt.ip.IP:
    options = optional(obj, "options_hex", path, _options, b"")
    flags = optional(obj, "flags", path, _ipv4_flags, 0)
    frag_offset = optional(obj, "frag_offset", path, lambda v, p: integer(v, p, 0, 0x1FFF), 0)
    if transport and frag_offset:
        raise InputError(child(path, "frag_offset"), f"a fragment at a non-zero offset carries no "
                         f"{transport} header: give its bytes as payload instead")
    packet = dpkt.ip.IP(
        src=optional(obj, "src", path, _ipv4_address, _ipv4_address(DEFAULT_IPV4[0], "")),
        dst=optional(obj, "dst", path, _ipv4_address, _ipv4_address(DEFAULT_IPV4[1], "")),
        ttl=optional(obj, "ttl", path, _u8, 64),
        id=optional(obj, "id", path, _u16, 0),
        tos=optional(obj, "tos", path, _u8, 0),
        p=_protocol(obj, path, "proto", transport),
        opts=options, data=upper)
    packet.hl = 5 + len(options) // 4
    total = len(packet)
    if total > IP_MAXPACKET:
        raise InputError(path, f"the datagram would be {total} bytes; IPv4 allows at most "
                               f"{IP_MAXPACKET}")
    # dpkt computes a zero TCP/UDP checksum only for datagrams that are not
    # fragments, so serialise once unfragmented (which fills it in, over the
    # segment as given), then set the fragment bits and redo the header checksum.
    bytes(packet)
    packet.rf, packet.df, packet.mf = flags >> 2 & 1, flags >> 1 & 1, flags & 1
    packet.offset = frag_offset
    packet.sum = 0
    bytes(packet)
    return packet


def _ipv6(obj: dict, path: str, upper: Any, transport: str | None) -> dpkt.ip6.IP6:
    packet = dpkt.ip6.IP6(
        src=optional(obj, "src", path, _ipv6_address, _ipv6_address(DEFAULT_IPV6[0], "")),
        dst=optional(obj, "dst", path, _ipv6_address, _ipv6_address(DEFAULT_IPV6[1], "")),
        hlim=optional(obj, "hop_limit", path, _u8, 64),
        nxt=_protocol(obj, path, "next_header", transport),
        data=upper)
    packet.fc = optional(obj, "traffic_class", path, _u8, 0)
    packet.flow = optional(obj, "flow_label", path, lambda v, p: integer(v, p, 0, 0xFFFFF), 0)
    packet.plen = len(upper)
    if packet.plen > IP_MAXPACKET:
        raise InputError(path, f"the payload would be {packet.plen} bytes; IPv6 without jumbograms "
                               f"allows at most {IP_MAXPACKET}")
    bytes(packet)   # fills in the TCP/UDP/ICMPv6 checksum
    if transport == "udp" and packet.data.sum == 0:
        packet.data.sum = 0xFFFF   # RFC 8200 8.1: over IPv6 a computed 0 is sent as 0xffff
    return packet


def _tcp(obj: dict, path: str, payload: bytes) -> dpkt.tcp.TCP:
    options = optional(obj, "options_hex", path, _options, b"")
    segment = dpkt.tcp.TCP(
        sport=optional(obj, "sport", path, _u16, DEFAULT_PORTS[0]),
        dport=optional(obj, "dport", path, _u16, DEFAULT_PORTS[1]),
        seq=optional(obj, "seq", path, _u32, 0),
        ack=optional(obj, "ack", path, _u32, 0),
        win=optional(obj, "window", path, _u16, 65535),
        urp=optional(obj, "urgent", path, _u16, 0),
        opts=options, data=payload)
    segment.off = 5 + len(options) // 4
    segment.flags = optional(obj, "flags", path, _tcp_flags, TCP_FLAG_LETTERS["S"])
    return segment


def _udp(obj: dict, path: str, payload: bytes) -> dpkt.udp.UDP:
    return dpkt.udp.UDP(
        sport=optional(obj, "sport", path, _u16, DEFAULT_PORTS[0]),
        dport=optional(obj, "dport", path, _u16, DEFAULT_PORTS[1]),
        ulen=min(8 + len(payload), U16_MAX), data=payload)


def _icmp(obj: dict, path: str, payload: bytes) -> dpkt.icmp.ICMP:
    """id and seq fill the 4 bytes after the checksum: the echo identifier and sequence."""
    return dpkt.icmp.ICMP(type=optional(obj, "type", path, _u8, 8),
                          code=optional(obj, "code", path, _u8, 0),
                          data=_echo(dpkt.icmp.ICMP.Echo, obj, path, payload))


def _icmpv6(obj: dict, path: str, payload: bytes) -> dpkt.icmp6.ICMP6:
    return dpkt.icmp6.ICMP6(type=optional(obj, "type", path, _u8, 128),
                            code=optional(obj, "code", path, _u8, 0),
                            data=_echo(dpkt.icmp6.ICMP6.Echo, obj, path, payload))


def _echo(cls, obj: dict, path: str, payload: bytes):
    return cls(id=optional(obj, "id", path, _u16, 0), seq=optional(obj, "seq", path, _u16, 0),
               data=payload)


NETWORK_BUILDERS = {"ipv4": _ipv4, "ipv6": _ipv6}
TRANSPORT_BUILDERS = {"tcp": _tcp, "udp": _udp, "icmp": _icmp, "icmpv6": _icmpv6}


# -- field values ---------------------------------------------------------------------


def _only_one(spec: dict, keys: tuple[str, ...], path: str) -> str | None:
    present = [key for key in keys if spec.get(key) is not None]
    if len(present) > 1:
        raise InputError(path, f"{' and '.join(present)} cannot both be given: a packet has one "
                               f"of {', '.join(keys)}")
    return present[0] if present else None


def _layer(spec: dict, key: str, path: str) -> dict:
    value = spec.get(key)
    return {} if value is None else require_object(value, child(path, key))


def _payload(spec: dict, path: str) -> bytes:
    if spec.get("payload") is not None and spec.get("payload_hex") is not None:
        raise InputError(path, "payload and payload_hex cannot both be given")
    if spec.get("payload") is not None:
        text = string(spec["payload"], child(path, "payload"))
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InputError(child(path, "payload"), f"character {error.start + 1} is a lone "
                             f"surrogate, which UTF-8 cannot encode; use payload_hex") from None
    return optional(spec, "payload_hex", path, lambda v, p: hex_bytes(v, p, allow_empty=True), b"")


def _protocol(obj: dict, path: str, key: str, transport: str | None) -> int:
    """The IP protocol / next header: the transport layer's, or the spec's when there is none."""
    given = optional(obj, key, path, _u8, None)
    if transport is None:
        return 0xFD if given is None else given   # 253: RFC 3692 "use for experimentation"
    number = TRANSPORTS[transport][0]
    if given is not None and given != number:
        raise InputError(child(path, key), f"{given} contradicts the {transport} layer, whose "
                                           f"protocol number is {number}")
    return number


def _u8(value: Any, path: str) -> int:
    return integer(value, path, 0, U8_MAX)


def _u16(value: Any, path: str) -> int:
    return integer(value, path, 0, U16_MAX)


def _u32(value: Any, path: str) -> int:
    return integer(value, path, 0, U32_MAX)


def _mac(value: Any, path: str) -> bytes:
    text = string(value, path)
    if not MAC.fullmatch(text):
        raise InputError(path, f"{text[:40]!r} is not a MAC address like 02:00:00:00:00:01")
    return bytes.fromhex(re.sub("[:-]", "", text))


def _ipv4_address(value: Any, path: str) -> bytes:
    try:
        return ipaddress.IPv4Address(string(value, path)).packed
    except ipaddress.AddressValueError:
        raise InputError(path, f"{value[:40]!r} is not an IPv4 address like 10.0.0.1") from None


def _ipv6_address(value: Any, path: str) -> bytes:
    try:
        return ipaddress.IPv6Address(string(value, path)).packed
    except ipaddress.AddressValueError:
        raise InputError(path, f"{value[:50]!r} is not an IPv6 address like fd00::1") from None


def _options(value: Any, path: str) -> bytes:
    options = hex_bytes(value, path, allow_empty=True)
    if len(options) % 4 or len(options) > 40:
        raise InputError(path, f"{len(options)} bytes of options; the header length counts 4-byte "
                               f"words, so options take a multiple of 4 bytes, at most 40")
    return options


def _tcp_flags(value: Any, path: str) -> int:
    """Letters as tcpdump and scapy write them ("S", "SA", "FPU"), or the 9-bit number."""
    if not isinstance(value, str):
        return integer(value, path, 0, 0x1FF)
    flags = 0
    for char in value:
        bit = TCP_FLAG_LETTERS.get(char.upper())
        if bit is None:
            raise InputError(path, f"{char!r} is not a TCP flag; the letters are "
                                   f"{''.join(TCP_FLAG_LETTERS)} (FIN SYN RST PSH ACK URG ECE "
                                   f"CWR NS)")
        flags |= bit
    return flags


def _ipv4_flags(value: Any, path: str) -> int:
    """"DF", "MF", "DF,MF" (or "" for none), or the 3-bit number (RF DF MF)."""
    if not isinstance(value, str):
        return integer(value, path, 0, 7)
    flags = 0
    for name in filter(None, re.split(r"[\s,|+]+", value)):
        bit = IPV4_FLAG_NAMES.get(name.upper())
        if bit is None:
            raise InputError(path, f"{name[:20]!r} is not an IPv4 flag; the flags are DF, MF "
                                   f"and RF")
        flags |= bit
    return flags
