"""The examples in docs/formats.md are valid: each parses with the parser of its section."""

from __future__ import annotations

import json
import re
from pathlib import Path

from vm_service.formats import create_maps, parse_events, parse_maps, parse_packets
from vm_service.inputs import build_packet, describe_packet
from vm_service.maps import MapType

DOC = Path(__file__).resolve().parent.parent / "docs" / "formats.md"


def examples() -> dict[str, str]:
    """The first ```json block of each '## ' section, by section title."""
    found = {}
    for section in re.split(r"^## ", DOC.read_text(), flags=re.M)[1:]:
        title, _, body = section.partition("\n")
        block = re.search(r"```json\n(.*?)```", body, re.S)
        if block:
            found[title.strip()] = block.group(1)
    return found


EXAMPLES = examples()


def test_every_format_section_has_an_example():
    assert set(EXAMPLES) == {"MAPS.json", "EVENTS.json", "PACKETS.json", "Packet builder"}


def test_the_maps_example_creates_its_maps():
    config = parse_maps(EXAMPLES["MAPS.json"])
    maps = create_maps(config)
    assert [m.type for m in maps] == [MapType.HASH, MapType.ARRAY, MapType.LPM_TRIE,
                                      MapType.PROG_ARRAY, MapType.ARRAY_OF_MAPS]
    assert maps[1].frozen and maps[4].lookup(bytes(4)) is maps[0]


def test_the_events_example_parses():
    events = parse_events(EXAMPLES["EVENTS.json"])
    assert len(events) == 3 and events[0].packet and events[1].packet
    assert events[2].task.comm == "curl" and events[2].args[2] == 2**64 - 1


def test_the_packets_example_parses_into_ethernet_frames():
    for event in parse_packets(EXAMPLES["PACKETS.json"]):
        assert describe_packet(event.packet)[0].name == "eth"


def test_the_builder_example_builds_what_it_says():
    layers = describe_packet(build_packet(json.loads(EXAMPLES["Packet builder"])))
    assert [layer.name for layer in layers] == ["eth", "vlan", "ipv4", "tcp", "payload"]
