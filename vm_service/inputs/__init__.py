"""What programs run on: packets built from a description, pasted as hex, or read from a capture.

    build_packet({"ipv4": {"dst": "10.0.0.2"}, "udp": {"dport": 53}})   # -> bytes
    describe_packet(frame)          # -> [Layer("eth", 0, 14, fields...), ...]
    packet_from_hex("45 00 00 54")  # -> bytes
    packets_from_pcap(file_bytes)   # -> [bytes, ...]

Every function raises ``InputError`` (a ``VmError``) naming the bad field or
position. The formats are documented in ``docs/formats.md``.
"""

from .builder import build_packet
from .errors import InputError
from .hextext import MAX_PACKET_BYTES, packet_from_hex, parse_hex
from .layout import Field, Layer, describe_packet
from .pcap import MAX_PACKETS, packets_from_pcap

__all__ = ["MAX_PACKETS", "MAX_PACKET_BYTES", "Field", "InputError", "Layer", "build_packet",
           "describe_packet", "packet_from_hex", "packets_from_pcap", "parse_hex"]
