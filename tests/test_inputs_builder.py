"""The packet builder: specs -> frames that dpkt parses back, with checksums checked independently."""

from __future__ import annotations

import ipaddress
import struct

import dpkt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vm_service.inputs import InputError, build_packet

# -- an independent reference: RFC 1071 over 16-bit words, written out plainly -------------


def reference_sum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = 0
    for i in range(0, len(data), 2):
        total += data[i] << 8 | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return total


def checksum_ok(data: bytes) -> bool:
    """A block whose checksum field is right sums to 0xffff, checksum included."""
    return reference_sum(data) == 0xFFFF


def v4_pseudo(ip: dpkt.ip.IP, length: int) -> bytes:
    return ip.src + ip.dst + bytes([0, ip.p]) + struct.pack("!H", length)


def v6_pseudo(ip: dpkt.ip6.IP6, length: int, next_header: int) -> bytes:
    return ip.src + ip.dst + struct.pack("!I", length) + bytes([0, 0, 0, next_header])


def frame(spec: dict) -> tuple[bytes, dpkt.ethernet.Ethernet]:
    data = build_packet(spec)
    return data, dpkt.ethernet.Ethernet(data)


# -- round trips --------------------------------------------------------------------------


def test_it_builds_a_bare_ethernet_header_from_an_empty_spec():
    data, eth = frame({})
    assert data == bytes.fromhex("020000000002" "020000000001" "88b5")
    assert eth.type == 0x88B5


def test_it_builds_a_tcp_segment_that_dpkt_reads_back_field_by_field():
    data, eth = frame({"eth": {"src": "aa:bb:cc:dd:ee:01", "dst": "aa-bb-cc-dd-ee-02"},
                       "ipv4": {"src": "192.168.1.10", "dst": "192.168.1.20", "ttl": 17,
                                "id": 4660, "tos": 0x10, "flags": "DF"},
                       "tcp": {"sport": 1234, "dport": 443, "flags": "SA", "seq": 1000,
                               "ack": 2000, "window": 512, "urgent": 3},
                       "payload": "hello"})
    assert (eth.src, eth.dst, eth.type) == (bytes.fromhex("aabbccddee01"),
                                            bytes.fromhex("aabbccddee02"), 0x0800)
    ip = eth.data
    assert (ip.v, ip.hl, ip.ttl, ip.id, ip.tos, ip.df, ip.mf, ip.offset, ip.p) == \
        (4, 5, 17, 4660, 0x10, 1, 0, 0, 6)
    assert ipaddress.ip_address(ip.src) == ipaddress.ip_address("192.168.1.10")
    assert ipaddress.ip_address(ip.dst) == ipaddress.ip_address("192.168.1.20")
    assert ip.len == len(data) - 14
    tcp = ip.data
    assert (tcp.sport, tcp.dport, tcp.seq, tcp.ack, tcp.win, tcp.urp, tcp.off) == \
        (1234, 443, 1000, 2000, 512, 3, 5)
    assert tcp.flags == dpkt.tcp.TH_SYN | dpkt.tcp.TH_ACK
    assert tcp.data == b"hello"
    assert checksum_ok(data[14:34])
    assert checksum_ok(v4_pseudo(ip, len(data) - 34) + data[34:])


def test_it_builds_udp_over_ipv6_with_the_ipv6_pseudo_header_checksum():
    data, eth = frame({"ipv6": {"src": "2001:db8::1", "dst": "2001:db8::2", "hop_limit": 9,
                                "traffic_class": 0xB8, "flow_label": 0x12345},
                       "udp": {"sport": 5353, "dport": 53}, "payload_hex": "deadbeef"})
    ip = eth.data
    assert (ip.v, ip.fc, ip.flow, ip.hlim, ip.nxt, ip.plen) == (6, 0xB8, 0x12345, 9, 17, 12)
    assert str(ipaddress.IPv6Address(ip.src)) == "2001:db8::1"
    udp = ip.data
    assert (udp.sport, udp.dport, udp.ulen, udp.data) == (5353, 53, 12, bytes.fromhex("deadbeef"))
    assert checksum_ok(v6_pseudo(ip, 12, 17) + data[54:])


def test_it_builds_icmp_echo_with_its_checksum():
    data, eth = frame({"ipv4": {}, "icmp": {"type": 0, "id": 7, "seq": 9}, "payload": "ping"})
    icmp = eth.data.data
    assert (eth.data.p, icmp.type, icmp.code, icmp.data.id, icmp.data.seq) == (1, 0, 0, 7, 9)
    assert icmp.data.data == b"ping"
    assert checksum_ok(data[34:])


def test_it_builds_icmpv6_echo_with_the_pseudo_header_checksum():
    data, eth = frame({"ipv6": {}, "icmpv6": {"id": 1, "seq": 2}})
    icmp = eth.data.data
    assert (eth.data.nxt, icmp.type, icmp.data.id, icmp.data.seq) == (58, 128, 1, 2)
    assert checksum_ok(v6_pseudo(eth.data, 8, 58) + data[54:])


def test_it_tags_a_frame_with_one_vlan_tag_or_two():
    data, _ = frame({"vlan": {"id": 10, "pcp": 5, "dei": 1}, "ipv4": {}})
    assert data[12:18] == bytes.fromhex("8100 b00a 0800")      # TCI: pcp 5, dei 1, id 10
    data, _ = frame({"vlan": [{"id": 100}, {"id": 200}], "ipv6": {}})
    assert data[12:22] == bytes.fromhex("88a8 0064 8100 00c8 86dd")


def test_it_counts_options_in_the_header_lengths():
    data, eth = frame({"ipv4": {"options_hex": "01010100"},
                       "tcp": {"options_hex": "020405b4 01030307"}})
    assert eth.data.hl == 6 and eth.data.opts == bytes.fromhex("01010100")
    assert eth.data.data.off == 7 and eth.data.data.opts == bytes.fromhex("020405b401030307")
    assert checksum_ok(data[14:38])
    assert checksum_ok(v4_pseudo(eth.data, len(data) - 38) + data[38:])


def test_it_sets_fragment_bits_and_keeps_the_checksums_right():
    data, eth = frame({"ipv4": {"flags": "MF,DF", "id": 77}, "udp": {}, "payload": "part"})
    assert (eth.data.mf, eth.data.df, eth.data.offset) == (1, 1, 0)
    assert checksum_ok(data[14:34])
    assert checksum_ok(v4_pseudo(eth.data, len(data) - 34) + data[34:])
    data, eth = frame({"ipv4": {"frag_offset": 185, "flags": 0}, "payload_hex": "0102"})
    assert (eth.data.offset, eth.data.p) == (185, 253) and checksum_ok(data[14:34])


def test_it_takes_an_ethertype_or_protocol_only_when_no_layer_implies_one():
    data, _ = frame({"eth": {"type": "0x0806"}, "payload_hex": "0001"})
    assert data[12:] == bytes.fromhex("0806 0001")
    data, eth = frame({"ipv4": {"proto": 47}, "payload_hex": "0000"})
    assert eth.data.p == 47
    data, eth = frame({"ipv6": {"next_header": 59}})
    assert eth.data.nxt == 59


def udp_zero_checksum_payload(network: str) -> bytes:
    """Two payload bytes chosen so that the UDP checksum computes to 0."""
    _, eth = frame({network: {}, "udp": {}, "payload_hex": "0000"})
    ip = eth.data
    pseudo = v4_pseudo(ip, 10) if network == "ipv4" else v6_pseudo(ip, 10, 17)
    header = struct.pack("!HHHH", ip.data.sport, ip.data.dport, 10, 0)
    total = reference_sum(pseudo + header)          # the payload word must make the sum 0xffff
    return struct.pack("!H", 0xFFFF - total)


@pytest.mark.parametrize("network", ["ipv4", "ipv6"])
def test_it_sends_a_udp_checksum_that_computes_to_zero_as_ffff(network):
    payload = udp_zero_checksum_payload(network)
    _, eth = frame({network: {}, "udp": {}, "payload_hex": payload.hex()})
    assert eth.data.data.sum == 0xFFFF


ADDRESSES_V4 = st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n)))
ADDRESSES_V6 = st.integers(0, 2**128 - 1).map(lambda n: str(ipaddress.IPv6Address(n)))
PORTS = st.integers(0, 65535)


@given(st.sampled_from(["tcp", "udp"]), ADDRESSES_V4, ADDRESSES_V4, PORTS, PORTS,
       st.binary(max_size=300))
def test_every_ipv4_transport_checksum_verifies(transport, src, dst, sport, dport, payload):
    data, eth = frame({"ipv4": {"src": src, "dst": dst}, transport: {"sport": sport,
                                                                     "dport": dport},
                       "payload_hex": payload.hex()})
    assert checksum_ok(data[14:34])
    assert checksum_ok(v4_pseudo(eth.data, len(data) - 34) + data[34:])
    assert eth.data.data.data == payload


@given(st.sampled_from(["tcp", "udp", "icmpv6"]), ADDRESSES_V6, ADDRESSES_V6,
       st.binary(max_size=300))
def test_every_ipv6_transport_checksum_verifies(transport, src, dst, payload):
    data, eth = frame({"ipv6": {"src": src, "dst": dst}, transport: {},
                       "payload_hex": payload.hex()})
    protocol = {"tcp": 6, "udp": 17, "icmpv6": 58}[transport]
    assert checksum_ok(v6_pseudo(eth.data, len(data) - 54, protocol) + data[54:])


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spec, path, problem", [
    ([], "packet", "expected an object"),
    ({"eth": {"src": "02:00:00:00:00"}}, "packet.eth.src", "not a MAC address"),
    ({"eth": {"type": 0x0806}, "ipv4": {}}, "packet.eth.type", "contradicts the ipv4 layer"),
    ({"vlan": {"id": 4096}}, "packet.vlan.id", "out of range"),
    ({"vlan": {}}, "packet.vlan.id", "missing"),
    ({"vlan": [{"id": 1}, {"id": 2}, {"id": 3}]}, "packet.vlan", "at most 2"),
    ({"vlan": []}, "packet.vlan", "empty list"),
    ({"vlan": [{"id": 1}, {"id": "x"}]}, "packet.vlan[1].id", "expected an integer"),
    ({"ipv4": {"ttl": 256}}, "packet.ipv4.ttl", "out of range"),
    ({"ipv4": {"ttl": True}}, "packet.ipv4.ttl", "expected an integer, got a boolean"),
    ({"ipv4": {"ttl": 6.5}}, "packet.ipv4.ttl", "expected an integer, got a number"),
    ({"ipv4": {"src": "10.0.0.256"}}, "packet.ipv4.src", "not an IPv4 address"),
    ({"ipv4": {"src": 167772161}}, "packet.ipv4.src", "expected a string"),
    ({"ipv4": {"flags": "DF,XX"}}, "packet.ipv4.flags", "'XX' is not an IPv4 flag"),
    ({"ipv4": {"options_hex": "010101"}}, "packet.ipv4.options_hex", "multiple of 4"),
    ({"ipv4": {"proto": 17}, "tcp": {}}, "packet.ipv4.proto", "contradicts the tcp layer"),
    ({"ipv4": {"frag_offset": 1}, "udp": {}}, "packet.ipv4.frag_offset", "carries no udp header"),
    ({"ipv6": {"src": "fd00::g"}}, "packet.ipv6.src", "not an IPv6 address"),
    ({"ipv6": {"flow_label": 0x100000}}, "packet.ipv6.flow_label", "out of range"),
    ({"ipv4": {}, "ipv6": {}}, "packet", "ipv4 and ipv6 cannot both be given"),
    ({"ipv4": {}, "tcp": {}, "udp": {}}, "packet", "tcp and udp cannot both be given"),
    ({"tcp": {}}, "packet.tcp", "tcp needs ipv4 or ipv6"),
    ({"ipv6": {}, "icmp": {}}, "packet.icmp", "icmp needs ipv4, not ipv6"),
    ({"ipv4": {}, "icmpv6": {}}, "packet.icmpv6", "icmpv6 needs ipv6, not ipv4"),
    ({"ipv4": {}, "tcp": {"flags": "SX"}}, "packet.tcp.flags", "'X' is not a TCP flag"),
    ({"ipv4": {}, "tcp": {"flags": 0x200}}, "packet.tcp.flags", "out of range"),
    ({"ipv4": {}, "udp": {"dport": "http"}}, "packet.udp.dport", "expected an integer"),
    ({"ipv4": {}, "udp": {"dport": -1}}, "packet.udp.dport", "out of range"),
    ({"ipv4": {}, "icmp": {"seq": 70000}}, "packet.icmp.seq", "out of range"),
    ({"ipv4": "yes"}, "packet.ipv4", "expected an object, got a string"),
    ({"payload": "a", "payload_hex": "00"}, "packet", "cannot both be given"),
    ({"payload_hex": "0g"}, "packet.payload_hex", "'g' is not a hex digit"),
    ({"payload": "\ud800"}, "packet.payload", "lone surrogate"),
    ({"payload": 5}, "packet.payload", "expected a string"),
    ({"ipv4": {}, "payload_hex": "00" * 65516}, "packet.ipv4", "IPv4 allows at most 65535"),
    ({"ipv6": {}, "payload_hex": "00" * 65536}, "packet.ipv6", "at most 65535"),
    ({"payload_hex": "00" * 65536}, "packet", "the playground takes at most 65536"),
])
def test_it_names_the_field_of_a_bad_spec(spec, path, problem):
    with pytest.raises(InputError) as caught:
        build_packet(spec)
    assert caught.value.path == path
    assert problem in caught.value.problem


def test_it_prefixes_errors_with_the_path_it_is_given():
    with pytest.raises(InputError) as caught:
        build_packet({"ipv4": {"ttl": -1}}, "events[3].packet")
    assert str(caught.value).startswith("events[3].packet.ipv4.ttl: ")


JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() |
                    st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) |
                    st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
LAYER_KEYS = ["eth", "vlan", "ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6", "payload",
              "payload_hex"]
FIELD_KEYS = ["src", "dst", "type", "id", "pcp", "dei", "ttl", "tos", "flags", "frag_offset",
              "proto", "options_hex", "hop_limit", "traffic_class", "flow_label", "next_header",
              "sport", "dport", "seq", "ack", "window", "urgent", "code"]
LAYERS = st.dictionaries(st.sampled_from(FIELD_KEYS), JSON, max_size=4)
SPECS = st.dictionaries(st.sampled_from(LAYER_KEYS), LAYERS | JSON | st.lists(LAYERS, max_size=3),
                        max_size=5)


@given(JSON | SPECS)
def test_any_json_value_gives_a_packet_or_an_input_error(spec):
    try:
        data = build_packet(spec)
    except InputError as error:
        assert error.path.startswith("packet") and error.problem
    else:
        assert isinstance(data, bytes) and len(data) >= 14
