"""``packets_from_pcap``: the Ethernet frames of a capture file (pcap or pcapng).

dpkt (BSD-3-Clause) reads the file header, the record headers and the pcapng
blocks; this module walks them with bounds checks of its own, so a truncated
or corrupt file gives an error naming the packet or block and its byte
offset, never a short packet or a traceback.

Only Ethernet captures (link type 1) are taken: the programs that read
packets (XDP, tc, socket filters) see Ethernet frames. Linux cooked captures
(``tcpdump -i any``, link types 113 and 276) are refused rather than
converted: their pseudo-header lacks the destination MAC address, so an
Ethernet header made from it would be invented.
"""

from __future__ import annotations

import struct

import dpkt

from .errors import InputError
from .hextext import MAX_PACKET_BYTES

MAX_PACKETS = 10_000
ETHERNET = 1
LINK_TYPES = {0: "BSD loopback", 1: "Ethernet", 101: "raw IP", 105: "IEEE 802.11",
              113: "Linux cooked capture", 127: "IEEE 802.11 radiotap", 228: "raw IPv4",
              229: "raw IPv6", 276: "Linux cooked capture v2"}
COOKED_HINT = ("; 'tcpdump -i any' writes Linux cooked headers, which lack the Ethernet header: "
               "capture on one interface instead (tcpdump -i eth0 -w capture.pcap)")

PCAP_FILE_HEADER = dpkt.pcap.FileHdr.__hdr_len__
PCAP_LITTLE_ENDIAN = {dpkt.pcap.PMUDPCT_MAGIC, dpkt.pcap.PMUDPCT_MAGIC_NANO,
                      dpkt.pcap.PACPDOM_MAGIC}
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
BYTE_ORDER = {b"\x1a\x2b\x3c\x4d": ">", b"\x4d\x3c\x2b\x1a": "<"}
MIN_BLOCK = 12                    # type, total length, trailing total length
PACKET_DATA_OFFSET = 28           # (enhanced) packet blocks: 7 words of fixed fields

# Block type -> (name, big-endian class, little-endian class) for the blocks dpkt reads.
PCAPNG_BLOCKS = {
    dpkt.pcapng.PCAPNG_BT_SHB: ("section header", dpkt.pcapng.SectionHeaderBlock,
                                dpkt.pcapng.SectionHeaderBlockLE),
    dpkt.pcapng.PCAPNG_BT_IDB: ("interface description", dpkt.pcapng.InterfaceDescriptionBlock,
                                dpkt.pcapng.InterfaceDescriptionBlockLE),
    dpkt.pcapng.PCAPNG_BT_EPB: ("enhanced packet", dpkt.pcapng.EnhancedPacketBlock,
                                dpkt.pcapng.EnhancedPacketBlockLE),
    dpkt.pcapng.PCAPNG_BT_PB: ("packet", dpkt.pcapng.PacketBlock, dpkt.pcapng.PacketBlockLE),
}
SIMPLE_PACKET_BLOCK = dpkt.pcapng.PCAPNG_BT_SPB
SIMPLE_PACKET_MIN = 16            # type, length, original length, trailing length
# What dpkt raises on bytes it cannot parse.
PARSE_ERRORS = (dpkt.Error, struct.error, ValueError, IndexError, TypeError)


def packets_from_pcap(data: bytes) -> list[bytes]:
    """Every packet's captured bytes, in file order (at most MAX_PACKETS of MAX_PACKET_BYTES)."""
    data = bytes(data)
    if data[:4] == PCAPNG_SHB:
        return _pcapng(data)
    if len(data) >= 4 and struct.unpack(">I", data[:4])[0] in dpkt.pcap.MAGIC_TO_PKT_HDR:
        return _pcap(data)
    start = data[:4].hex() or "nothing"
    raise InputError("", f"not a pcap or pcapng file: it starts with {start}, not a capture "
                         f"file's magic number")


def _pcap(data: bytes) -> list[bytes]:
    if len(data) < PCAP_FILE_HEADER:
        raise InputError("", f"truncated pcap file: the file header takes {PCAP_FILE_HEADER} "
                             f"bytes, the file has {len(data)}")
    magic = struct.unpack(">I", data[:4])[0]
    header_class = dpkt.pcap.LEFileHdr if magic in PCAP_LITTLE_ENDIAN else dpkt.pcap.FileHdr
    header = header_class(data[:PCAP_FILE_HEADER])
    # The low 16 bits are the link type; the upper ones may describe an FCS.
    _require_ethernet(header.linktype & 0xFFFF, "")
    record_class = dpkt.pcap.MAGIC_TO_PKT_HDR[magic]
    record_size = record_class.__hdr_len__
    packets: list[bytes] = []
    pos = PCAP_FILE_HEADER
    while pos < len(data):
        where = _packet_where(packets, pos)
        if pos + record_size > len(data):
            raise InputError(where, f"truncated: the record header takes {record_size} bytes, "
                                    f"the file ends after {len(data) - pos}")
        record = record_class(data[pos:pos + record_size])
        body = _packet(record.caplen, data, pos + record_size, len(data), where)
        packets.append(body)
        pos += record_size + record.caplen
    return packets


def _pcapng(data: bytes) -> list[bytes]:
    packets: list[bytes] = []
    interfaces: list[tuple[int, int]] = []        # (link type, snaplen) by interface id
    order = ">"
    pos = 0
    while pos < len(data):
        where = f"block at byte {pos}"
        if len(data) - pos < MIN_BLOCK:
            raise InputError(where, f"truncated: a block takes at least {MIN_BLOCK} bytes, the "
                                    f"file ends after {len(data) - pos}")
        if data[pos:pos + 4] == PCAPNG_SHB:
            order = BYTE_ORDER.get(data[pos + 8:pos + 12])
            if order is None:
                raise InputError(where, f"a section header with the unknown byte-order magic "
                                        f"{data[pos + 8:pos + 12].hex()}")
            interfaces = []     # interface ids are numbered per section
        block_type, length = struct.unpack_from(order + "II", data, pos)
        if length < MIN_BLOCK or length % 4:
            raise InputError(where, f"malformed: a block length of {length} (at least "
                                    f"{MIN_BLOCK}, a multiple of 4)")
        if pos + length > len(data):
            raise InputError(where, f"truncated: the block takes {length} bytes, the file ends "
                                    f"after {len(data) - pos}")
        block = data[pos:pos + length]
        if block_type == SIMPLE_PACKET_BLOCK:
            packets.append(_simple_packet(block, order, interfaces, _packet_where(packets, pos)))
        elif block_type in PCAPNG_BLOCKS:
            parsed = _parse_block(block_type, block, order, where)
            if block_type == dpkt.pcapng.PCAPNG_BT_SHB and parsed.v_major != 1:
                raise InputError(where, f"pcapng version {parsed.v_major}.{parsed.v_minor} is not "
                                        f"supported (only 1.x)")
            if block_type == dpkt.pcapng.PCAPNG_BT_IDB:
                interfaces.append((parsed.linktype, parsed.snaplen))
            elif block_type != dpkt.pcapng.PCAPNG_BT_SHB:
                where = _packet_where(packets, pos)
                _require_interface(parsed.iface_id, interfaces, where)
                # the data starts after the fixed fields and ends before the trailing length
                packets.append(_packet(parsed.caplen, data, pos + PACKET_DATA_OFFSET,
                                       pos + length - 4, where))
        pos += length
    return packets


def _parse_block(block_type: int, block: bytes, order: str, where: str):
    name, big, little = PCAPNG_BLOCKS[block_type]
    try:
        return (little if order == "<" else big)(block)
    except PARSE_ERRORS as error:
        detail = str(error) or type(error).__name__
        raise InputError(where, f"malformed {name} block: {detail}") from None


def _simple_packet(block: bytes, order: str, interfaces: list, where: str) -> bytes:
    """A simple packet block: the original length, then the data, cut at interface 0's snaplen."""
    if len(block) < SIMPLE_PACKET_MIN:
        raise InputError(where, f"malformed: a simple packet block of {len(block)} bytes (at least "
                                f"{SIMPLE_PACKET_MIN})")
    _require_interface(0, interfaces, where)
    original = struct.unpack_from(order + "I", block, 8)[0]
    snaplen = interfaces[0][1] or original
    captured = min(original, snaplen, len(block) - 16)
    return _packet(captured, block, 12, len(block) - 4, where)


def _packet(caplen: int, data: bytes, start: int, end: int, where: str) -> bytes:
    """``caplen`` bytes at ``start``, which must end by ``end``; the size limit applies."""
    if caplen > MAX_PACKET_BYTES:
        raise InputError(where, f"{caplen} bytes captured; the playground takes packets of at "
                                f"most {MAX_PACKET_BYTES}")
    if start + caplen > end:
        raise InputError(where, f"truncated: the header says {caplen} bytes were captured, only "
                                f"{max(end - start, 0)} follow")
    return data[start:start + caplen]


def _packet_where(packets: list, pos: int) -> str:
    if len(packets) >= MAX_PACKETS:
        raise InputError("", f"more than {MAX_PACKETS} packets; the playground takes at most "
                             f"{MAX_PACKETS} (cut the capture with editcap -r)")
    return f"packet {len(packets) + 1} (at byte {pos})"


def _require_interface(iface: int, interfaces: list, where: str) -> None:
    if iface >= len(interfaces):
        raise InputError(where, f"names interface {iface}, but the section describes "
                                f"{len(interfaces)} interface(s) before it")
    _require_ethernet(interfaces[iface][0], where)


def _require_ethernet(link_type: int, where: str) -> None:
    if link_type != ETHERNET:
        name = LINK_TYPES.get(link_type, "unknown")
        hint = COOKED_HINT if link_type in (113, 276) else ""
        raise InputError(where, f"link type {link_type} ({name}) is not supported: the playground "
                                f"runs Ethernet frames (link type 1){hint}")
