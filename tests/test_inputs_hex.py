"""Hex text as users paste it: vm_service.inputs.hextext."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vm_service.errors import VmError
from vm_service.inputs import MAX_PACKET_BYTES, InputError, packet_from_hex, parse_hex

PACKET = bytes.fromhex("4500001c00000000401166cf0a0000010a000002")


@pytest.mark.parametrize("text", [
    "4500001c00000000401166cf0a0000010a000002",                       # Wireshark hex stream
    "4500001c00000000401166cf\n0a0000010a000002\n",                   # xxd -p lines
    "45 00 00 1c 00 00 00 00 40 11 66 cf 0a 00 00 01 0a 00 00 02",
    "45:00:00:1c:00:00:00:00:40:11:66:cf:0a:00:00:01:0a:00:00:02",
    "45-00-00-1c-00-00-00-00-40-11-66-cf-0a-00-00-01-0a-00-00-02",
    "0x45, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x66, 0xcf, 0x0a, 0x00, "
    "0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,",                             # a C array body
    "0x4500001C00000000401166CF0A0000010A000002",                     # one prefix, upper case
    "  4500 001c 0000 0000\t4011 66cf 0a00 0001 0a00 0002  ",          # words, odd spacing
])
def test_it_accepts_hex_as_people_paste_it(text):
    assert packet_from_hex(text) == PACKET


@pytest.mark.parametrize("text, where, what", [
    ("45 0g", "character 5 (line 1, column 5)", "'g' is not a hex digit"),
    ("4500\n00zz", "character 8 (line 2, column 3)", "'z' is not a hex digit"),
    ("45 0", "character 4 (line 1, column 4)", "odd number of hex digits"),
    ("450", "character 1 (line 1, column 1)", "odd number of hex digits"),
    ("45 0x", "character 4 (line 1, column 4)", "'0x' without hex digits"),
    ("45 00x1", "character 6 (line 1, column 6)", "'x' is not a hex digit"),
    ("\\x45\\x00", "character 1 (line 1, column 1)", "'\\\\' is not a hex digit"),
    ("00000000: 4500 001c  E...", "character 23 (line 1, column 23)", "'.' is not a hex digit"),
])
def test_it_names_the_position_of_a_bad_character(text, where, what):
    with pytest.raises(InputError) as caught:
        packet_from_hex(text)
    assert str(caught.value).startswith(where)
    assert what in str(caught.value)


@pytest.mark.parametrize("text", ["", "   \n", ":-,"])
def test_it_refuses_a_packet_without_bytes(text):
    with pytest.raises(InputError, match="no hex digits"):
        packet_from_hex(text)


def test_it_allows_no_bytes_where_empty_is_meaningful():
    assert parse_hex("", allow_empty=True) == b""


def test_it_refuses_a_packet_over_the_size_limit():
    assert len(packet_from_hex("00" * MAX_PACKET_BYTES)) == MAX_PACKET_BYTES
    with pytest.raises(InputError, match=f"{MAX_PACKET_BYTES + 1} bytes"):
        packet_from_hex("00" * (MAX_PACKET_BYTES + 1))


STYLES = {
    "stream": lambda data: data.hex(),
    "spaced": lambda data: data.hex(" "),
    "colons": lambda data: data.hex(":"),
    "dashes": lambda data: data.hex("-"),
    "c_array": lambda data: ", ".join(f"0x{byte:02X}" for byte in data),
    "xxd": lambda data: "\n".join(data[i:i + 30].hex() for i in range(0, len(data), 30)),
    "prefixed": lambda data: "0x" + data.hex(),
}


@given(st.binary(min_size=1, max_size=200), st.sampled_from(sorted(STYLES)))
def test_it_reads_back_every_style_it_accepts(data, style):
    assert parse_hex(STYLES[style](data)) == data


@given(st.text(max_size=60))
def test_it_raises_only_input_errors_on_any_text(text):
    try:
        parse_hex(text, allow_empty=True)
    except InputError as error:
        assert isinstance(error, VmError) and error.problem
