"""Capture files: pcap and pcapng written by dpkt's writers or by hand, whole, cut and corrupted."""

from __future__ import annotations

import io
import struct

import dpkt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vm_service.inputs import MAX_PACKET_BYTES, MAX_PACKETS, InputError, packets_from_pcap

PACKETS = [bytes(range(60)), b"\xff" * 14, bytes(1514)]


def pcap_file(packets=PACKETS, linktype=1, nano=False) -> bytes:
    out = io.BytesIO()
    writer = dpkt.pcap.Writer(out, snaplen=65535, linktype=linktype, nano=nano)
    for i, packet in enumerate(packets):
        writer.writepkt(packet, ts=1700000000 + i)
    return out.getvalue()


def pcapng_file(packets=PACKETS, linktype=1) -> bytes:
    out = io.BytesIO()
    writer = dpkt.pcapng.Writer(out, snaplen=65535, linktype=linktype)
    for i, packet in enumerate(packets):
        writer.writepkt(packet, ts=1700000000 + i)
    return out.getvalue()


def big_endian_pcap(packets=PACKETS) -> bytes:
    """Written out with struct, independently of dpkt: magic, version 2.4, snaplen, Ethernet."""
    out = struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for packet in packets:
        out += struct.pack(">IIII", 1, 0, len(packet), len(packet)) + packet
    return out


def modified_pcap(packets=PACKETS) -> bytes:
    """Alexey Kuznetsov's "modified" pcap: 24-byte records (ifindex, protocol, packet type)."""
    out = struct.pack("<IHHiIII", 0xA1B2CD34, 2, 4, 0, 0, 65535, 1)
    for packet in packets:
        out += struct.pack("<IIIIIHBB", 1, 0, len(packet), len(packet), 2, 0x0800, 0, 0) + packet
    return out


def le_block(block_type: int, body: bytes) -> bytes:
    length = 12 + len(body)
    return struct.pack("<II", block_type, length) + body + struct.pack("<I", length)


def pcapng_blocks(*blocks: bytes) -> bytes:
    section = le_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    return section + b"".join(blocks)


def interface(linktype: int, snaplen: int = 0) -> bytes:
    return le_block(1, struct.pack("<HHI", linktype, 0, snaplen))


def enhanced(packet: bytes, iface: int = 0) -> bytes:
    padded = packet + bytes(-len(packet) % 4)
    return le_block(6, struct.pack("<IIIII", iface, 0, 0, len(packet), len(packet)) + padded)


def simple(packet: bytes, original: int | None = None) -> bytes:
    padded = packet + bytes(-len(packet) % 4)
    return le_block(3, struct.pack("<I", len(packet) if original is None else original) + padded)


@pytest.mark.parametrize("data", [pcap_file(), pcap_file(nano=True), big_endian_pcap(),
                                  modified_pcap(), pcapng_file()],
                         ids=["pcap", "pcap-nanoseconds", "pcap-big-endian", "pcap-modified",
                              "pcapng"])
def test_it_reads_every_packet_in_order(data):
    assert packets_from_pcap(data) == PACKETS


def test_it_reads_an_empty_capture_as_no_packets():
    assert packets_from_pcap(pcap_file([])) == []
    assert packets_from_pcap(pcapng_file([])) == []


def test_it_reads_pcapng_with_several_interfaces_and_simple_packet_blocks():
    data = pcapng_blocks(interface(1, snaplen=4), interface(1), enhanced(b"abcdef", iface=1),
                         simple(b"wxyz12", original=6), enhanced(b"\x01\x02\x03"))
    assert packets_from_pcap(data) == [b"abcdef", b"wxyz", b"\x01\x02\x03"]


def test_it_reads_every_section_of_a_pcapng_file():
    one = pcapng_blocks(interface(1), enhanced(b"first"))
    two = pcapng_blocks(interface(1), enhanced(b"second"))
    assert packets_from_pcap(one + two) == [b"first", b"second"]


@pytest.mark.parametrize("data", [pcap_file(linktype=113), pcapng_file(linktype=113),
                                  pcap_file(linktype=276)], ids=["pcap", "pcapng", "sll2"])
def test_it_refuses_linux_cooked_captures_and_says_how_to_capture(data):
    with pytest.raises(InputError, match=r"Linux cooked capture.*tcpdump -i eth0"):
        packets_from_pcap(data)


def test_it_names_an_unsupported_link_type():
    with pytest.raises(InputError, match=r"link type 101 \(raw IP\) is not supported"):
        packets_from_pcap(pcap_file(linktype=101))


def test_it_checks_the_link_type_of_the_interface_each_packet_names():
    data = pcapng_blocks(interface(1), interface(113), enhanced(b"ok"), enhanced(b"x", iface=1))
    with pytest.raises(InputError) as caught:
        packets_from_pcap(data)
    assert caught.value.path.startswith("packet 2 (at byte ")
    assert "link type 113" in caught.value.problem


def test_it_refuses_a_packet_naming_an_interface_that_does_not_exist():
    with pytest.raises(InputError, match="names interface 3, but the section describes 1"):
        packets_from_pcap(pcapng_blocks(interface(1), enhanced(b"x", iface=3)))


@pytest.mark.parametrize("maker", [pcap_file, pcapng_file], ids=["pcap", "pcapng"])
def test_a_cut_file_gives_its_whole_packets_or_a_truncation_error(maker):
    data = maker()
    whole = {len(maker(PACKETS[:n])): PACKETS[:n] for n in range(len(PACKETS) + 1)}
    for cut in range(len(data)):
        try:
            packets = packets_from_pcap(data[:cut])
        except InputError as error:
            assert cut not in whole
            assert "truncated" in error.problem or "not a pcap" in error.problem, error
        else:   # a cut at a block boundary (say, after the section header alone) is a file
            assert packets == PACKETS[:len(packets)]
            assert packets == whole.get(cut, packets)


def test_it_names_the_truncated_packet_and_its_offset():
    data = pcap_file()[:-10]
    with pytest.raises(InputError) as caught:
        packets_from_pcap(data)
    assert caught.value.path == f"packet 3 (at byte {24 + 16 + 60 + 16 + 14})"
    assert caught.value.problem == ("truncated: the header says 1514 bytes were captured, only "
                                    "1504 follow")


def test_it_refuses_packets_over_the_size_limit():
    big = bytes(MAX_PACKET_BYTES + 1)
    with pytest.raises(InputError, match=f"{MAX_PACKET_BYTES + 1} bytes captured"):
        packets_from_pcap(big_endian_pcap([big]))
    assert packets_from_pcap(big_endian_pcap([big[1:]])) == [big[1:]]


def test_it_refuses_more_packets_than_the_limit():
    assert len(packets_from_pcap(big_endian_pcap([b"p"] * MAX_PACKETS))) == MAX_PACKETS
    with pytest.raises(InputError, match=f"more than {MAX_PACKETS} packets"):
        packets_from_pcap(big_endian_pcap([b"p"] * (MAX_PACKETS + 1)))


@pytest.mark.parametrize("data, problem", [
    (b"", "not a pcap or pcapng file: it starts with nothing"),
    (b"GET / HTTP/1.1\r\n", "not a pcap or pcapng file: it starts with 47455420"),
    (bytes.fromhex("d4c3b2a1") + bytes(10), "truncated pcap file: the file header takes 24"),
    (pcapng_blocks()[:20], "truncated: the block takes 28 bytes"),
    (b"\x0a\x0d\x0d\x0a" + bytes(8), "unknown byte-order magic 00000000"),
    (pcapng_blocks(le_block(6, b"")[:4] + struct.pack("<I", 13) + bytes(8)),
     "malformed: a block length of 13"),
    (pcapng_blocks(interface(1), le_block(3, b"")), "a simple packet block of 12 bytes"),
    (pcapng_blocks(interface(1), le_block(6, b"")), "malformed enhanced packet block"),
    (pcapng_blocks(interface(1), le_block(6, struct.pack("<IIIII", 0, 0, 0, 100, 100))),
     "truncated: the header says 100 bytes were captured, only 0 follow"),
])
def test_it_explains_what_is_wrong_with_a_file(data, problem):
    with pytest.raises(InputError) as caught:
        packets_from_pcap(data)
    assert problem in caught.value.problem


def test_it_refuses_a_pcapng_version_it_does_not_know():
    data = le_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 2, 0, -1))
    with pytest.raises(InputError, match="pcapng version 2.0 is not supported"):
        packets_from_pcap(data)


@given(st.binary(max_size=200))
def test_any_bytes_give_packets_or_an_input_error(data):
    for prefix in (b"", pcap_file([])[:24], pcapng_blocks(interface(1))):
        try:
            packets = packets_from_pcap(prefix + data)
        except InputError as error:
            assert error.problem
        else:
            assert all(isinstance(p, bytes) and len(p) <= MAX_PACKET_BYTES for p in packets)


@given(st.sampled_from(["pcap", "pcapng"]), st.lists(st.tuples(st.integers(0, 10**6),
                                                               st.integers(0, 255)), max_size=4))
def test_corrupted_files_give_packets_or_an_input_error(kind, changes):
    data = bytearray(pcap_file() if kind == "pcap" else pcapng_file())
    for position, value in changes:
        data[position % len(data)] = value
    try:
        packets_from_pcap(bytes(data))
    except InputError as error:
        assert error.problem
