"""describe_packet: layers and fields with byte ranges, cross-checked against dpkt's parsing."""

from __future__ import annotations

import struct

import dpkt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vm_service.inputs import InputError, Layer, build_packet, describe_packet


def layer(layers: list[Layer], name: str) -> Layer:
    found = [item for item in layers if item.name == name]
    assert len(found) == 1, [item.name for item in layers]
    return found[0]


def values(item: Layer) -> dict:
    return {f.name: f.value for f in item.fields}


def texts(item: Layer) -> dict:
    return {f.name: f.text for f in item.fields}


def assert_tiles(layers: list[Layer], size: int) -> None:
    """Layers cover 0..size once, in order; each field lies inside its layer."""
    position = 0
    for item in layers:
        assert item.start == position and item.end > item.start, layers
        for f in item.fields:
            assert item.start <= f.start < f.end <= item.end, (item.name, f)
        position = item.end
    assert position == size


def test_it_names_every_layer_and_field_of_a_tcp_frame():
    data = build_packet({"vlan": {"id": 10, "pcp": 3}, "ipv4": {"ttl": 9, "flags": "DF"},
                         "tcp": {"sport": 1234, "dport": 80, "flags": "PA", "seq": 7},
                         "payload": "hello"})
    layers = describe_packet(data)
    assert [(x.name, x.start, x.end) for x in layers] == [
        ("eth", 0, 14), ("vlan", 14, 18), ("ipv4", 18, 38), ("tcp", 38, 58), ("payload", 58, 63)]
    assert values(layers[0]) == {"dst": "02:00:00:00:00:02", "src": "02:00:00:00:00:01",
                                 "type": 0x8100}
    assert values(layers[1]) == {"pcp": 3, "dei": 0, "id": 10, "type": 0x0800}
    ip = values(layers[2])
    assert (ip["version"], ip["ihl"], ip["ttl"], ip["protocol"], ip["flags"], ip["src"]) == \
        (4, 5, 9, 6, 0b010, "10.0.0.1")
    assert texts(layers[2])["protocol"] == "6 (TCP)"
    assert texts(layers[2])["flags"] == "0x2 (DF)"
    assert texts(layers[2])["checksum"].endswith("(correct)")
    tcp = values(layers[3])
    assert (tcp["sport"], tcp["dport"], tcp["seq"], tcp["flags"]) == (1234, 80, 7, 0x18)
    assert texts(layers[3])["flags"] == "0x018 (PSH, ACK)"
    assert texts(layers[3])["checksum"].endswith("(correct)")
    ttl = next(f for f in layers[2].fields if f.name == "ttl")
    assert (ttl.start, ttl.end, data[ttl.start]) == (26, 27, 9)
    version = next(f for f in layers[2].fields if f.name == "version")
    assert (version.start, version.end, version.mask) == (18, 19, 0xF0)


def test_it_decodes_icmp_and_icmpv6_echo():
    layers = describe_packet(build_packet({"ipv4": {}, "icmp": {"id": 5, "seq": 6}}))
    assert [x.name for x in layers] == ["eth", "ipv4", "icmp", "echo"]
    assert texts(layer(layers, "icmp"))["type"] == "8 (echo request)"
    assert texts(layer(layers, "icmp"))["checksum"].endswith("(correct)")
    assert values(layer(layers, "echo")) == {"id": 5, "seq": 6}
    layers = describe_packet(build_packet({"ipv6": {}, "icmpv6": {"type": 129}, "payload": "x"}))
    assert [x.name for x in layers] == ["eth", "ipv6", "icmpv6", "echo", "payload"]
    assert texts(layer(layers, "icmpv6"))["checksum"].endswith("(correct)")


def test_it_shows_options_as_a_field():
    layers = describe_packet(build_packet({"ipv4": {"options_hex": "94040000"},
                                           "tcp": {"options_hex": "020405b4"}}))
    options = next(f for f in layer(layers, "tcp").fields if f.name == "options")
    assert (options.value, options.start, options.end) == ("020405b4", 58, 62)
    assert values(layer(layers, "ipv4"))["options"] == "94040000"


def test_it_says_which_checksums_are_wrong_and_what_they_should_be():
    data = bytearray(build_packet({"ipv4": {}, "udp": {}, "payload": "abcd"}))
    data[-1:] = b"e"                                      # a program rewrote the payload
    data[22] -= 1                                         # and decremented the TTL
    layers = describe_packet(bytes(data))
    fixed = describe_packet(build_packet({"ipv4": {"ttl": 63}, "udp": {}, "payload": "abce"}))
    for name in ("ipv4", "udp"):
        stale, right = values(layer(layers, name))["checksum"], values(layer(fixed, name))["checksum"]
        assert stale != right
        assert texts(layer(layers, name))["checksum"] == \
            f"0x{stale:04x} (incorrect: should be 0x{right:04x})"


def test_it_reports_an_absent_udp_checksum_over_ipv4():
    data = bytearray(build_packet({"ipv4": {}, "udp": {}}))
    data[40:42] = b"\0\0"
    assert texts(layer(describe_packet(bytes(data)), "udp"))["checksum"] == \
        "0x0000 (none: 0 means no checksum over IPv4)"


def test_it_does_not_check_transport_checksums_of_fragments():
    layers = describe_packet(build_packet({"ipv4": {"flags": "MF"}, "udp": {}}))
    assert "fragmented" in texts(layer(layers, "udp"))["checksum"]
    layers = describe_packet(build_packet({"ipv4": {"frag_offset": 3}, "payload_hex": "0011"}))
    assert [x.name for x in layers] == ["eth", "ipv4", "payload"]


def test_it_marks_ethernet_padding_after_the_ip_length_as_trailer():
    data = build_packet({"ipv4": {}, "udp": {}}) + bytes(18)     # padded to the 60-byte minimum
    layers = describe_packet(data)
    assert [(x.name, x.start, x.end) for x in layers][-2:] == [("udp", 34, 42), ("trailer", 42, 60)]
    assert texts(layer(layers, "udp"))["checksum"].endswith("(correct)")


def test_it_notes_a_truncated_header_and_keeps_the_fields_that_fit():
    data = build_packet({"ipv4": {}, "tcp": {}})[:40]
    layers = describe_packet(data)
    tcp = layer(layers, "tcp")
    assert (tcp.start, tcp.end, tcp.note) == (34, 40, "truncated: 6 of 20 header bytes")
    assert [f.name for f in tcp.fields] == ["sport", "dport"]
    assert "truncated" in layer(layers, "ipv4").note
    assert_tiles(layers, len(data))


def test_it_notes_an_impossible_header_length():
    data = bytearray(build_packet({"ipv4": {}, "udp": {}}))
    data[14] = 0x43                                       # IHL 3: below the 20-byte minimum
    layers = describe_packet(bytes(data))
    assert "malformed: a header length of 12 bytes" in layer(layers, "ipv4").note
    assert_tiles(layers, len(data))


def test_it_walks_ipv6_extension_headers():
    udp = dpkt.udp.UDP(sport=1, dport=2, ulen=8)
    hop_by_hop = bytes([44, 0]) + bytes(6)               # next: fragment, 8 bytes
    fragment = bytes([17, 0]) + struct.pack("!HI", 0, 0xABCD)
    body = hop_by_hop + fragment + bytes(udp)
    ip = dpkt.ip6.IP6(src=bytes(15) + b"\1", dst=bytes(15) + b"\2", nxt=0, hlim=1, plen=len(body))
    data = bytes(dpkt.ethernet.Ethernet(src=bytes(6), dst=bytes(6), type=0x86DD)) + \
        ip.pack_hdr() + body
    layers = describe_packet(data)
    assert [x.name for x in layers] == ["eth", "ipv6", "ipv6-options", "ipv6-fragment", "udp"]
    assert values(layer(layers, "ipv6-fragment"))["id"] == 0xABCD
    assert "fragmented" in texts(layer(layers, "udp"))["checksum"]


def test_it_decodes_arp():
    arp = dpkt.arp.ARP(sha=bytes.fromhex("020000000001"), spa=bytes([10, 0, 0, 1]),
                       tha=bytes(6), tpa=bytes([10, 0, 0, 2]), op=1)
    data = bytes(dpkt.ethernet.Ethernet(src=bytes.fromhex("020000000001"), dst=b"\xff" * 6,
                                        type=0x0806, data=arp))
    found = values(layer(describe_packet(data), "arp"))
    assert (found["oper"], found["sha"], found["spa"], found["tpa"]) == \
        (1, "02:00:00:00:00:01", "10.0.0.1", "10.0.0.2")


@pytest.mark.parametrize("start, names", [
    ("ipv4", ["ipv4", "udp"]), ("ip", ["ipv4", "udp"])])
def test_it_starts_at_the_network_header_when_asked(start, names):
    data = build_packet({"ipv4": {}, "udp": {}})[14:]
    assert [x.name for x in describe_packet(data, start)] == names


def test_it_picks_ipv6_by_the_version_nibble():
    data = build_packet({"ipv6": {}, "tcp": {}})[14:]
    assert [x.name for x in describe_packet(data, "ip")] == ["ipv6", "tcp"]


def test_it_refuses_an_unknown_starting_layer():
    with pytest.raises(InputError, match="'tcp' is not a starting layer"):
        describe_packet(b"\0" * 20, "tcp")


def test_layers_convert_to_plain_dicts_for_the_ui():
    item = describe_packet(build_packet({}))[0].to_dict()
    assert item["name"] == "eth" and item["fields"][2] == {
        "name": "type", "value": 0x88B5, "start": 12, "end": 14,
        "text": "0x88b5 (local experimental)", "mask": None}


SPECS = st.fixed_dictionaries({
    "vlan": st.none() | st.fixed_dictionaries({"id": st.integers(0, 4095)}),
    "network": st.sampled_from(["ipv4", "ipv6"]),
    "transport": st.sampled_from(["tcp", "udp", "icmp", None]),
    "ttl": st.integers(0, 255),
    "sport": st.integers(0, 65535),
    "payload": st.binary(max_size=64),
})


@given(SPECS)
def test_built_packets_decode_to_what_dpkt_reads(choice):
    transport = choice["transport"]
    if transport == "icmp" and choice["network"] == "ipv6":
        transport = "icmpv6"
    network = {"ttl": choice["ttl"]} if choice["network"] == "ipv4" else \
        {"hop_limit": choice["ttl"]}
    spec = {"vlan": choice["vlan"], choice["network"]: network,
            "payload_hex": choice["payload"].hex()}
    if transport in ("tcp", "udp"):
        spec[transport] = {"sport": choice["sport"]}
    elif transport:
        spec[transport] = {}
    data = build_packet(spec)
    layers = describe_packet(data)
    assert_tiles(layers, len(data))
    ip_bytes = data[14 if choice["vlan"] is None else 18:]
    ip = dpkt.ip.IP(ip_bytes) if choice["network"] == "ipv4" else dpkt.ip6.IP6(ip_bytes)
    decoded = values(layer(layers, choice["network"]))
    if choice["network"] == "ipv4":
        assert (decoded["ttl"], decoded["total_length"], decoded["checksum"]) == \
            (ip.ttl, ip.len, ip.sum)
    else:
        assert (decoded["hop_limit"], decoded["payload_length"]) == (ip.hlim, ip.plen)
    if transport:
        top = layer(layers, transport)
        assert values(top)["checksum"] == ip.data.sum
        assert texts(top)["checksum"].endswith("(correct)")
        if transport in ("tcp", "udp"):
            assert (values(top)["sport"], values(top)["dport"]) == (ip.data.sport, ip.data.dport)
    if choice["payload"]:
        assert data[layers[-1].start:] == choice["payload"]


@given(st.binary(max_size=120), st.sampled_from(["eth", "ipv4", "ipv6", "ip"]))
def test_any_bytes_decode_into_layers_that_tile_the_packet(data, start):
    assert_tiles(describe_packet(data, start), len(data))


@given(SPECS, st.data())
def test_corrupted_packets_still_decode(choice, draw):
    network = choice["network"]
    spec = {network: {}, "udp": {}, "payload_hex": choice["payload"].hex()}
    data = bytearray(build_packet(spec))
    for _ in range(draw.draw(st.integers(1, 4))):
        data[draw.draw(st.integers(0, len(data) - 1))] = draw.draw(st.integers(0, 255))
    cut = draw.draw(st.integers(0, len(data)))
    assert_tiles(describe_packet(bytes(data[:cut])), cut)
