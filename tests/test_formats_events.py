"""EVENTS.json and PACKETS.json: every key parsed into EventInput, every bad value named."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vm_service.events import EventInput, TaskInput
from vm_service.formats import (FormatError, X86_64_PT_REGS, events_from_json, parse_events,
                                parse_packets)
from vm_service.inputs import InputError, build_packet


def events(value) -> list[EventInput]:
    return parse_events(json.dumps(value))


def test_it_reads_every_key_of_an_event():
    [event] = events([{
        "packet_hex": "02 00 00 00 00 02",
        "args": [1, "0x10", "42", -1],
        "regs": {"di": "0xffff888100000000", "si": 2, "ip": -2},
        "task": {"pid": 100, "tgid": 99, "uid": 1000, "gid": 1001, "comm": "curl"},
        "cpu": 1,
        "memory": [{"addr": "0x7ffc0000", "hex": "2f746d70 00"}, {"addr": 4096, "hex": "01"}],
        "time_ns": "5000000000",
        "comment": "unknown keys are ignored",
    }])
    assert event == EventInput(
        packet=bytes.fromhex("020000000002"),
        args=(1, 16, 42, 2**64 - 1),
        regs={"di": 0xFFFF888100000000, "si": 2, "ip": 2**64 - 2},
        task=TaskInput(pid=100, tgid=99, uid=1000, gid=1001, comm="curl"),
        cpu=1,
        memory=((0x7FFC0000, b"/tmp\0"), (4096, b"\1")),
        time_ns=5_000_000_000)


def test_an_empty_event_keeps_every_default():
    assert events([{}, {"task": {}, "cpu": None}]) == [EventInput(), EventInput(task=TaskInput())]


def test_an_event_may_describe_its_packet_with_the_builder():
    spec = {"ipv4": {"dst": "10.9.9.9"}, "udp": {"dport": 53}, "payload": "q"}
    [event] = events([{"packet": spec}])
    assert event.packet == build_packet(spec)


def test_it_cuts_a_long_task_name_as_the_kernel_does():
    [event] = events([{"task": {"comm": "a-very-long-process-name"}}])
    assert event.task.comm == "a-very-long-pro"
    [event] = events([{"task": {"comm": "ééééééééé"}}])     # 18 bytes of UTF-8
    assert event.task.comm == "ééééééé" and len(event.task.comm.encode()) == 14


def test_packets_json_is_a_list_of_hex_packets():
    assert parse_packets('["0102", "aa:bb:cc"]') == [EventInput(packet=b"\1\2"),
                                                     EventInput(packet=b"\xaa\xbb\xcc")]


@pytest.mark.parametrize("value, message", [
    ({}, "EVENTS.json: events: expected an array, got an object"),
    ([1], "EVENTS.json: events[0]: expected an object, got a number"),
    ([{}, {"packet_hex": "zz"}],
     "EVENTS.json: events[1].packet_hex: character 1 (line 1, column 1): 'z' is not a hex digit"),
    ([{"packet_hex": ""}], "EVENTS.json: events[0].packet_hex: no hex digits"),
    ([{"packet_hex": "00" * 65537}], "EVENTS.json: events[0].packet_hex: the packet is 65537 bytes"),
    ([{"packet_hex": "00", "packet": {}}],
     "EVENTS.json: events[0]: packet_hex and packet cannot both be given"),
    ([{"packet": {"ipv4": {"ttl": 300}}}], "EVENTS.json: events[0].packet.ipv4.ttl: 300 is out of range"),
    ([{"args": 5}], "EVENTS.json: events[0].args: expected an array, got a number"),
    ([{"args": [1, "ten"]}], "EVENTS.json: events[0].args[1]: expected an integer, got the string 'ten'"),
    ([{"args": [2**64]}], "EVENTS.json: events[0].args[0]: 18446744073709551616 is out of range"),
    ([{"args": [-2**63 - 1]}], "EVENTS.json: events[0].args[0]: -9223372036854775809 is out of range"),
    ([{"args": [1.5]}], "EVENTS.json: events[0].args[0]: expected an integer, got a number"),
    ([{"args": [True]}], "EVENTS.json: events[0].args[0]: expected an integer, got a boolean"),
    ([{"args": ["9" * 5000]}], "EVENTS.json: events[0].args[0]: expected an integer, got a string "
                               "of 5000 characters"),
    ([{"regs": [1]}], "EVENTS.json: events[0].regs: expected an object, got an array"),
    ([{"regs": {"rdi": 1}}], "EVENTS.json: events[0].regs.rdi: not a struct pt_regs field"),
    ([{"regs": {"di": "0x"}}], "EVENTS.json: events[0].regs.di: expected an integer"),
    ([{"task": {"pid": "x"}}], "EVENTS.json: events[0].task.pid: expected an integer, got the string 'x'"),
    ([{"task": {"pid": 4194304}}], "EVENTS.json: events[0].task.pid: 4194304 is out of range"),
    ([{"task": {"tgid": -1}}], "EVENTS.json: events[0].task.tgid: -1 is out of range"),
    ([{"task": {"uid": 2**32}}], "EVENTS.json: events[0].task.uid: 4294967296 is out of range"),
    ([{"task": {"comm": 7}}], "EVENTS.json: events[0].task.comm: expected a string, got a number"),
    ([{"task": {"comm": "a\u0000b"}}], "EVENTS.json: events[0].task.comm: a task name cannot hold a NUL"),
    ([{"task": "init"}], "EVENTS.json: events[0].task: expected an object, got a string"),
    ([{"cpu": -1}], "EVENTS.json: events[0].cpu: -1 is out of range"),
    ([{"time_ns": -5}], "EVENTS.json: events[0].time_ns: -5 is out of range"),
    ([{"memory": {}}], "EVENTS.json: events[0].memory: expected an array, got an object"),
    ([{"memory": [{"hex": "00"}]}], "EVENTS.json: events[0].memory[0].addr: missing"),
    ([{"memory": [{"addr": 1}]}], "EVENTS.json: events[0].memory[0].hex: missing"),
    ([{"memory": [{"addr": 1, "hex": ""}]}], "EVENTS.json: events[0].memory[0].hex: no hex digits"),
    ([{"memory": [{"addr": "0xffffffffffffffff", "hex": "0102"}]}],
     "EVENTS.json: events[0].memory[0]: 2 bytes at 0xffffffffffffffff run past the end"),
    ([{"memory": [{"addr": 16, "hex": "0000"}, {"addr": 0, "hex": "00" * 17}]}],
     "EVENTS.json: events[0].memory[1]: overlaps events[0].memory[0]"),
    ([{"memory": [{"addr": 0, "hex": "00" * 600000}, {"addr": 1 << 32, "hex": "00" * 600000}]}],
     "EVENTS.json: events[0].memory: more than 1048576 bytes"),
    ([{}] * 10001, "EVENTS.json: events: 10001 items; at most 10000 are allowed"),
])
def test_it_names_the_event_and_key_of_a_bad_value(value, message):
    with pytest.raises(FormatError) as caught:
        events(value)
    assert str(caught.value).startswith(message), str(caught.value)
    assert caught.value.kind == "EVENTS.json"


def test_adjacent_memory_ranges_do_not_overlap():
    [event] = events([{"memory": [{"addr": 2, "hex": "0203"}, {"addr": 0, "hex": "0001"}]}])
    assert event.memory == ((2, b"\2\3"), (0, b"\0\1"))


@pytest.mark.parametrize("text, message", [
    ('[{"cpu": 1,}]', "EVENTS.json: line 1, column 12: invalid JSON: Expecting property name"),
    ('[\n  {"cpu": 1}\n  {"cpu": 2}\n]', "EVENTS.json: line 3, column 3: invalid JSON: Expecting ','"),
    ("[NaN]", "EVENTS.json: invalid JSON: NaN is not a JSON number"),
    ("[" + "1" * 5000 + "]", "EVENTS.json: invalid JSON: "),
    ("[" * 100000, "EVENTS.json: invalid JSON: nested too deeply"),
    (b"[\xff]", "EVENTS.json: not UTF-8 text: byte 1 is 0xff"),
])
def test_it_gives_the_line_and_column_of_invalid_json(text, message):
    with pytest.raises(FormatError) as caught:
        parse_events(text)
    assert str(caught.value).startswith(message), str(caught.value)


def test_a_json_syntax_error_carries_its_line_and_column():
    with pytest.raises(FormatError) as caught:
        parse_events('[\n{"cpu": }]')
    assert (caught.value.line, caught.value.column) == (2, 9)


def test_it_accepts_a_utf8_byte_order_mark():
    assert parse_events(b"\xef\xbb\xbf[{}]") == [EventInput()]


@pytest.mark.parametrize("value, message", [
    ({"x": 1}, "PACKETS.json: packets: expected an array, got an object"),
    (["0102", 3], "PACKETS.json: packets[1]: expected a string, got a number"),
    (["01 0"], "PACKETS.json: packets[0]: character 4 (line 1, column 4): '0' has an odd number"),
])
def test_packets_json_errors_name_the_packet(value, message):
    with pytest.raises(FormatError) as caught:
        parse_packets(json.dumps(value))
    assert str(caught.value).startswith(message), str(caught.value)


def test_decoded_json_from_the_web_gets_input_errors_with_its_own_root():
    with pytest.raises(InputError) as caught:
        events_from_json([{"cpu": "one"}], "message.events")
    assert not isinstance(caught.value, FormatError)
    assert caught.value.path == "message.events[0].cpu"


def test_the_register_table_is_x86_64_struct_pt_regs():
    assert len(X86_64_PT_REGS) == 21 and X86_64_PT_REGS[14] == "di"


JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() |
                    st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=4) |
                    st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
EVENT_KEYS = ["packet_hex", "packet", "args", "regs", "task", "cpu", "memory", "time_ns"]
NEAR_EVENTS = st.lists(st.dictionaries(st.sampled_from(EVENT_KEYS), JSON, max_size=4), max_size=3)


@given(JSON | NEAR_EVENTS)
def test_any_json_value_gives_events_or_a_format_error(value):
    for parse in (parse_events, parse_packets):
        try:
            parsed = parse(json.dumps(value))
        except FormatError as error:
            assert error.kind in ("EVENTS.json", "PACKETS.json") and error.problem
        else:
            assert all(isinstance(event, EventInput) for event in parsed)
