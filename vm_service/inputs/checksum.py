"""The Internet checksum (RFC 1071) and the pseudo-headers TCP, UDP and ICMPv6 add to it.

The packet builder leaves checksums to dpkt; the decoder uses these to tell
whether a checksum in a packet (perhaps one a program rewrote) is right.
"""

from __future__ import annotations

import struct


def ones_complement_sum(data: bytes) -> int:
    """The 16-bit one's complement sum of big-endian words, an odd last byte padded with 0."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def internet_checksum(data: bytes) -> int:
    """The value a checksum field holds so that the sum over ``data`` (field included) is 0xffff.

    ``data`` is given with its checksum field zeroed.
    """
    return ~ones_complement_sum(data) & 0xFFFF


def pseudo_header(src: bytes, dst: bytes, protocol: int, length: int) -> bytes:
    """IPv4 (RFC 793/768) or IPv6 (RFC 8200 section 8.1) pseudo-header, by address size."""
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, protocol, length)
    return src + dst + struct.pack("!I3xB", length, protocol)
