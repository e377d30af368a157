"""Helpers, one family at a time: small assembled programs on a raw Machine.

Each test runs kernel-syntax assembly (``call bpf_ktime_get_ns``) with
``implementations(prog_type)`` and checks r0, memory, ``machine.output`` and
error codes. The kernel sections at the end run the same programs through
bpf(2) (``BPF_PROG_TEST_RUN`` of a socket filter) and compare what both leave
in an output map; they skip without a usable bpf().
"""

from __future__ import annotations

import ctypes
import os
import re
import struct

import pytest

from vm_service import kernel
from vm_service.asm import assemble
from vm_service.environment import Environment
from vm_service.helpers import ProgType, helper_name, implementations
from vm_service.helpers import bprintf
from vm_service.helpers.clock import initial_jiffies
from vm_service.helpers.task import TASK_FORMAT
from vm_service.machine import Machine
from vm_service.maps import (BPF_EXIST, BPF_F_CURRENT_CPU, BPF_NOEXIST, E2BIG, EAGAIN, EEXIST,
                             EINVAL, ENOENT, ENOSPC, EOPNOTSUPP, MapFlag, MapSpec, MapType,
                             create_map)
from vm_service.memory import RegionKind
from vm_service.program import Program

EFAULT, ERANGE = 14, 34
MASK64 = (1 << 64) - 1


def run(text: str, *maps, prog_type: ProgType | None = None, env: Environment | None = None,
        mem: bytes = b"") -> tuple[Machine, object]:
    machine = Machine.raw(assemble(text).program(), mem, helpers=implementations(prog_type),
                          helper_name=helper_name, maps=list(maps),
                          env=env or Environment())
    return machine, machine.run()


def r0(text: str, *maps, **options) -> int:
    machine, event = run(text, *maps, **options)
    assert event.kind == "exit", event
    return event.r0


def signed(value: int) -> int:
    return value - (1 << 64) if value >> 63 else value


def stack(machine: Machine, offset: int, size: int) -> bytes:
    """Bytes of the current frame at fp+offset (offset < 0)."""
    data = machine.stack.data
    return bytes(data[len(data) + offset:len(data) + offset + size])


def array(value_size: int = 8, entries: int = 4, name: str = "arr", flags: int = 0):
    return create_map(MapSpec(MapType.ARRAY, 4, value_size, entries, flags, name))


def hash_map(value_size: int = 8, entries: int = 4):
    return create_map(MapSpec(MapType.HASH, 4, value_size, entries, name="h"))


def u32(n: int) -> bytes:
    return struct.pack("<I", n)


def u64(n: int) -> bytes:
    return struct.pack("<Q", n & MASK64)


# -- program types ---------------------------------------------------------------------------

def test_a_helper_the_program_type_lacks_faults_with_the_kernels_message():
    machine, event = run("call bpf_probe_read\nexit")
    assert event.kind == "fault"
    assert event.message == "program of this type cannot use helper bpf_probe_read#4"


def test_raw_mode_offers_only_the_helpers_every_program_type_has():
    raw, kprobe = implementations(None), implementations(ProgType.KPROBE)
    assert 4 not in raw and 25 not in raw and 1 in raw
    assert {4, 25, 45} <= set(kprobe)
    assert 25 not in implementations(ProgType.SK_REUSEPORT)


def test_an_id_the_kernel_does_not_know_is_an_invalid_func():
    machine, event = run("call 9999\nexit")
    assert event.message == "invalid func unknown#9999"


# -- maps ------------------------------------------------------------------------------------

LOOKUP_KEY_1 = """
    *(u32 *)(r10 - 4) = 1
    r1 = map[idx:0]
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
"""


def test_map_lookup_returns_a_pointer_into_the_live_value():
    counts = array(name="counts")
    machine, event = run(LOOKUP_KEY_1 + """
        if r0 == 0 goto out
        r1 = 42
        *(u64 *)(r0 + 0) = r1
    out:
        exit
    """, counts)
    assert event.kind == "exit" and event.r0 != 0
    assert counts.lookup(u32(1)) == u64(42)
    region = machine.memory.find(event.r0, 8, "read")[0]
    assert region.name == "counts[1]" and region.kind is RegionKind.MAP_VALUE


def test_map_lookup_of_a_missing_key_returns_null():
    assert r0(LOOKUP_KEY_1 + "exit", hash_map()) == 0


def test_map_lookup_past_an_arrays_end_returns_null():
    assert r0(LOOKUP_KEY_1.replace("= 1", "= 4") + "exit", array()) == 0


def test_a_read_only_prog_map_hands_out_read_only_values():
    frozen = array(flags=MapFlag.RDONLY_PROG)
    machine, event = run(LOOKUP_KEY_1 + """
        if r0 == 0 goto out
        *(u64 *)(r0 + 0) = 1
    out:
        exit
    """, frozen)
    assert event.kind == "fault" and "read-only" in event.message


UPDATE = """
    *(u32 *)(r10 - 4) = {key}
    *(u64 *)(r10 - 16) = {value}
    r1 = map[idx:0]
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = {flags}
    call bpf_map_update_elem
"""


def store_r0(slot: int) -> str:
    return f"*(u64 *)(r10 - {slot}) = r0\n"


def test_map_update_honours_noexist_and_exist():
    table = hash_map()
    machine, event = run(
        UPDATE.format(key=7, value=1, flags=BPF_NOEXIST) + store_r0(24)
        + UPDATE.format(key=7, value=2, flags=BPF_NOEXIST) + store_r0(32)
        + UPDATE.format(key=8, value=3, flags=BPF_EXIST) + store_r0(40)
        + UPDATE.format(key=7, value=4, flags=BPF_EXIST) + "exit", table)
    results = [signed(int.from_bytes(stack(machine, -s, 8), "little")) for s in (24, 32, 40)]
    assert results == [0, -EEXIST, -ENOENT] and event.r0 == 0
    assert table.lookup(u32(7)) == u64(4)


def test_map_update_of_an_array_with_unknown_flags_is_einval():
    assert signed(r0(UPDATE.format(key=0, value=1, flags=3) + "exit", array())) == -EINVAL


def test_map_update_of_a_full_hash_is_e2big():
    text = "".join(UPDATE.format(key=k, value=k, flags=0) for k in range(4))
    assert signed(r0(text + UPDATE.format(key=9, value=9, flags=0) + "exit", hash_map())) == -E2BIG


DELETE = """
    *(u32 *)(r10 - 4) = {key}
    r1 = map[idx:0]
    r2 = r10
    r2 += -4
    call bpf_map_delete_elem
"""


def test_map_delete_removes_and_then_answers_enoent():
    table = hash_map()
    table.user_update(u32(3), u64(1))
    machine, event = run(DELETE.format(key=3) + store_r0(24) + DELETE.format(key=3) + "exit", table)
    assert stack(machine, -24, 8) == u64(0) and signed(event.r0) == -ENOENT
    assert table.lookup(u32(3)) is None


def test_map_delete_on_an_array_is_einval():
    assert signed(r0(DELETE.format(key=0) + "exit", array())) == -EINVAL


def test_a_bad_key_pointer_faults_as_the_verifier_would_refuse_it():
    machine, event = run("r1 = map[idx:0]\nr2 = 0x1000\ncall bpf_map_lookup_elem\nexit", array())
    assert event.kind == "fault" and event.addr == 0x1000 and event.size == 4
    assert event.message.startswith("R2 (bpf_map_lookup_elem argument 2)")


def test_a_map_of_the_wrong_type_is_refused_with_the_kernels_message():
    ring = create_map(MapSpec(MapType.RINGBUF, 0, 0, 4096))
    machine, event = run(LOOKUP_KEY_1 + "exit", ring)
    assert event.message == "cannot pass map_type 27 into func bpf_map_lookup_elem#1"
    machine, event = run("r1 = map[idx:0]\nr2 = r10\nr2 += -8\nr3 = 0\n"
                         "call bpf_map_push_elem\nexit", hash_map())
    assert event.message == "cannot pass map_type 1 into func bpf_map_push_elem#87"


def test_a_register_that_is_no_map_faults():
    machine, event = run("r1 = 5\nr2 = r10\ncall bpf_map_lookup_elem\nexit")
    assert event.kind == "fault" and event.message == "0x5 is not a map"


def test_lookup_in_a_map_of_maps_returns_the_inner_map():
    inner = MapSpec(MapType.ARRAY, 4, 8, 2, name="inner")
    outer = create_map(MapSpec(MapType.ARRAY_OF_MAPS, 4, 4, 1, name="outer", inner=inner))
    leaf = create_map(inner)
    leaf.update(u32(1), u64(99))
    assert outer.user_update(u32(0), leaf) == 0
    machine, event = run("""
        *(u32 *)(r10 - 4) = 0
        r1 = map[idx:0]
        r2 = r10
        r2 += -4
        call bpf_map_lookup_elem
        if r0 == 0 goto out
        *(u32 *)(r10 - 8) = 1
        r1 = r0
        r2 = r10
        r2 += -8
        call bpf_map_lookup_elem
        if r0 == 0 goto out
        r0 = *(u64 *)(r0 + 0)
    out:
        exit
    """, outer)
    assert event.kind == "exit" and event.r0 == 99


PUSH = """
    *(u64 *)(r10 - 8) = {value}
    r1 = map[idx:0]
    r2 = r10
    r2 += -8
    r3 = {flags}
    call bpf_map_push_elem
"""
TAKE = """
    r1 = map[idx:0]
    r2 = r10
    r2 += -{slot}
    call bpf_map_{op}_elem
"""


@pytest.mark.parametrize("kind, first", [(MapType.QUEUE, 1), (MapType.STACK, 3)])
def test_push_then_pop_and_peek_in_the_maps_order(kind, first):
    queue = create_map(MapSpec(kind, 0, 8, 3))
    text = "".join(PUSH.format(value=v, flags=0) for v in (1, 2, 3))
    machine, event = run(text + PUSH.format(value=4, flags=0) + store_r0(40)
                         + TAKE.format(slot=16, op="peek") + TAKE.format(slot=24, op="pop")
                         + TAKE.format(slot=32, op="pop") + "exit", queue)
    assert signed(int.from_bytes(stack(machine, -40, 8), "little")) == -E2BIG
    assert stack(machine, -16, 8) == u64(first) and stack(machine, -24, 8) == u64(first)
    assert stack(machine, -32, 8) == u64(2) and event.r0 == 0


def test_push_with_exist_drops_the_oldest_element():
    queue = create_map(MapSpec(MapType.QUEUE, 0, 8, 2))
    text = "".join(PUSH.format(value=v, flags=BPF_EXIST) for v in (1, 2, 3))
    machine, event = run(text + TAKE.format(slot=16, op="pop") + "exit", queue)
    assert stack(machine, -16, 8) == u64(2)


def test_pop_of_an_empty_queue_zeroes_the_destination_and_answers_enoent():
    queue = create_map(MapSpec(MapType.QUEUE, 0, 8, 2))
    machine, event = run("r1 = -1\n*(u64 *)(r10 - 16) = r1\n" + TAKE.format(slot=16, op="pop")
                         + "exit", queue)
    assert signed(event.r0) == -ENOENT and stack(machine, -16, 8) == bytes(8)


# -- trace_printk and snprintf -------------------------------------------------------------------

def fmt_on_stack(fmt: bytes, at: int = 64) -> str:
    """Store ``fmt`` (NUL added) at fp-at, 8 bytes at a time."""
    raw = fmt + b"\0"
    raw += bytes(-len(raw) % 8)
    assert len(raw) <= at
    lines = []
    for i in range(0, len(raw), 8):
        lines.append(f"r1 = 0x{int.from_bytes(raw[i:i + 8], 'little'):x} ll")
        lines.append(f"*(u64 *)(r10 - {at - i}) = r1")
    return "\n".join(lines) + "\n"


def printk_program(fmt: bytes, *args: int, size: int | None = None) -> str:
    setup = "".join(f"r{3 + i} = {a:#x} ll\n" for i, a in enumerate(args))
    return (fmt_on_stack(fmt) + f"r1 = r10\nr1 += -64\nr2 = {size or len(fmt) + 1}\n" + setup
            + "call bpf_trace_printk\nexit")


def test_trace_printk_records_the_text_and_returns_its_length():
    machine, event = run(printk_program(b"x=%d y=%u\n", -3 & MASK64, 7))
    assert event.r0 == len("x=-3 y=7\n")
    assert machine.output == [{"kind": "trace_printk", "text": "x=-3 y=7\n",
                               "pc": machine.result.pc - 1, "step": machine.instructions - 1}]


def test_trace_printk_takes_at_most_three_arguments():
    machine, event = run(printk_program(b"%d %d %d %d", 1, 2, 3))
    assert signed(event.r0) == -EINVAL and machine.output == []


def test_trace_printk_needs_a_nul_inside_fmt_size():
    machine, event = run(printk_program(b"abcdefgh", size=8))
    assert signed(event.r0) == -EINVAL


def test_trace_printk_with_a_zero_size_faults_as_the_verifier_would():
    machine, event = run(printk_program(b"hi", size=1).replace("r2 = 1", "r2 = 0"))
    assert event.kind == "fault" and "zero-sized" in event.message


def test_trace_printk_of_a_string_reads_it_from_memory():
    text = fmt_on_stack(b"hello", at=16) + printk_program(b"<%s>").replace(
        "call", "r3 = r10\nr3 += -16\ncall")
    machine, event = run(text)
    assert machine.output[0]["text"] == "<hello>" and event.r0 == 7


# Formats rendered by the two passes, against what the kernel prints (the kernel
# tests below check the same table on a live kernel).
STRING_AT = 0xFFFF_8885_0000_0000   # where format_cases() maps its strings (RODATA)
FORMATS = [
    (b"%d", [5], "5"),
    (b"%d", [-3 & MASK64], "-3"),
    (b"%i|%u", [0xFFFF_FFFF, 0xFFFF_FFFF], "-1|4294967295"),
    (b"%d", [0x1_0000_0002], "2"),
    (b"%ld %lld", [-1 & MASK64, 1 << 63], "-1 -9223372036854775808"),
    (b"%lu %llu", [-1 & MASK64, 12345678901234], "18446744073709551615 12345678901234"),
    (b"%x %X %lx %llX", [255, 255, 0xDEAD_BEEF_CAFE, 0xABC], "ff FF deadbeefcafe ABC"),
    (b"[%5d][%-5d][%05d][%+d][% d]", [42, 42, 42, 42, 42], "[   42][42   ][00042][+42][ 42]"),
    (b"[%05d][%-05d][%+5d][%+x]", [-42 & MASK64, -42 & MASK64, 7, 7], "[-0042][-42  ][   +7][7]"),
    (b"[%08x][%-8X]", [0xBEEF, 0xBEEF], "[0000beef][BEEF    ]"),
    (b"%c%c%c", [ord("a"), 0x142, ord("c")], "aBc"),
    (b"[%3c][%-3c]", [ord("x"), ord("y")], "[  x][y  ]"),
    (b"100%% %d%%", [5], "100% 5%"),
    (b"%px", [0x1234], "0000000000001234"),
    (b"[%20px]", [0xFFFF_8880_1234_5678], "[    ffff888012345678]"),
    (b"%p %pK", [0, 0], "0000000000000000 0000000000000000"),
    (b"%p", [-1 & MASK64], "ffffffffffffffff"),
    (b"%pS %ps %pB", [0x1234, 0, 0x10], "0x1234 0x0 0x10"),
    (b"%s|%5s|%-5s|", [STRING_AT, STRING_AT + 8, STRING_AT + 8], "hello|   ab|ab   |"),
    (b"[%s]", [0], "[]"),
    (b"%pks,%pus", [STRING_AT, STRING_AT], "hello,"),
    (b"%pI4 %pi4", [STRING_AT + 16, STRING_AT + 16], "10.0.0.1 010.000.000.001"),
    (b"%pI6", [STRING_AT + 24], "fe80:0000:0000:0000:0000:0000:0000:0001"),
    (b"%pi6", [STRING_AT + 24], "fe800000000000000000000000000001"),
    (b"%pI4", [0], "0.0.0.0"),
    (b"%pI4abc|", [STRING_AT + 16], "10.0.0.1|"),
    (b"tab\tand\nnewline", [], "tab\tand\nnewline"),
    (b"%p%d|%p%%", [0, 5, 0], "00000000000000005|0000000000000000%"),
    (b"%pKx%d", [0, 4], "00000000000000004"),
    (b"%p\xa1", [0], "0000000000000000\xa1"),
    (b"caf\xc3\xa9 \x80\xff", [], "caf\xc3\xa9 \x80\xff"),
    (b"%s\xa1", [STRING_AT], "hello\xa1"),
]
STRINGS = b"hello\0\0\0" + b"ab\0\0\0\0\0\0" + bytes([10, 0, 0, 1]) + bytes(4) \
    + bytes.fromhex("fe800000000000000000000000000001")
REFUSED = [
    (b"%f", [1], -EINVAL), (b"%.2d", [1], -EINVAL), (b"%hd", [1], -EINVAL),
    (b"%#x", [1], -EINVAL), (b"%sx", [STRING_AT], -EINVAL), (b"%pA", [1], -EINVAL),
    (b"%pI5", [1], -EINVAL), (b"%lc", [1], -EINVAL), (b"%d", [], -EINVAL),
    (b"\x01", [], -EINVAL), (b"\x7f", [], -EINVAL), (b"%d %d", [1], -EINVAL),
    (b"%s\xe9", [STRING_AT], -EINVAL),
    (b"%*d", [1, 2], -EINVAL),
]


def format_with(fmt: bytes, args: list[int], size: int = 256) -> tuple[bytes, int] | int:
    machine = Machine.raw(Program.from_instructions(assemble("exit").instructions))
    region = machine.memory.add("strings", RegionKind.RODATA, STRINGS, writable=False)
    assert region.base == STRING_AT
    prepared = bprintf.prepare(fmt, args, machine.memory)
    if isinstance(prepared, int):
        return prepared
    return bprintf.bstr_printf(fmt, prepared, size)


@pytest.mark.parametrize("fmt, args, text", FORMATS, ids=[repr(f[0]) for f in FORMATS])
def test_formats_render_as_the_kernel_renders_them(fmt, args, text):
    written, length = format_with(fmt, args)
    assert written == text.encode("latin-1") + b"\0" and length == len(text)


@pytest.mark.parametrize("fmt, args, errno", REFUSED, ids=[repr(f[0]) for f in REFUSED])
def test_formats_the_kernel_refuses_are_refused(fmt, args, errno):
    assert format_with(fmt, args) == errno


def test_plain_pointers_print_a_stable_32_bit_hash():
    written, length = format_with(b"%p", [0xFFFF_8880_0000_1000])
    again, _ = format_with(b"%p", [0xFFFF_8880_0000_1000])
    assert written == again and length == 16 and written.startswith(b"00000000")


def test_output_past_the_buffer_is_counted_but_dropped():
    assert format_with(b"%d-%s", [12345, STRING_AT], size=4) == (b"123\0", 11)
    assert format_with(b"abc", [], size=0) == (b"", 3)


def test_a_long_string_argument_is_cut_to_the_argument_buffer():
    machine = Machine.raw(Program.from_instructions(assemble("exit").instructions))
    base = machine.memory.add("long", RegionKind.RODATA, b"x" * 600 + b"\0").base
    args = bprintf.prepare(b"%s", [base], machine.memory)
    assert bprintf.bstr_printf(b"%s", args, 1024)[1] == bprintf.MAX_BPRINTF_BIN_ARGS - 1


def test_too_many_numbers_for_the_argument_buffer_is_enospc():
    machine = Machine.raw(Program.from_instructions(assemble("exit").instructions))
    base = machine.memory.add("long", RegionKind.RODATA, b"y" * 510 + b"\0").base
    assert bprintf.prepare(b"%s%d", [base, 1], machine.memory) == -ENOSPC


SNPRINTF = """
    r1 = r10
    r1 += -{out}
    r2 = {size}
    r3 = r10
    r3 += -{fmt}
    r4 = {data}
    r5 = {data_len}
    call bpf_snprintf
"""


def snprintf_program(fmt: bytes, args: list[int], size: int, data_len: int | None = None) -> str:
    text = fmt_on_stack(fmt, at=128)
    for k, value in enumerate(args):
        text += f"r1 = {value:#x} ll\n*(u64 *)(r10 - {256 - 8 * k}) = r1\n"
    data = "r10\nr4 += -256" if args else "0"
    n = 8 * len(args) if data_len is None else data_len
    return text + SNPRINTF.format(out=64, size=size, fmt=128, data=data, data_len=n) + "exit"


def test_snprintf_returns_the_full_length_plus_one_and_truncates():
    machine, event = run(snprintf_program(b"n=%d!", [123456], 6))
    assert event.r0 == len("n=123456!") + 1
    assert stack(machine, -64, 6) == b"n=123\0"


def test_snprintf_with_a_null_buffer_and_size_zero_only_measures():
    text = snprintf_program(b"%u", [7777], 0).replace("r1 = r10\nr1 += -64", "r1 = 0")
    assert r0(text) == 5


def test_snprintf_with_more_than_twelve_arguments_is_einval():
    assert signed(r0(snprintf_program(b"x", [0] * 13, 16))) == -EINVAL


def test_snprintf_data_len_not_whole_u64s_is_refused_as_by_the_verifier():
    machine, event = run(snprintf_program(b"%d", [1], 16, data_len=7))
    assert event.kind == "fault" and "not a multiple of 8" in event.message


@pytest.mark.parametrize("fmt, args, errno", REFUSED, ids=[repr(f[0]) for f in REFUSED])
def test_snprintf_of_a_bad_format_is_refused_as_by_the_verifier(fmt, args, errno):
    machine, event = run(snprintf_program(fmt, [1] * len(args), 64))
    assert event.kind == "fault" and event.message == "Invalid format string"


def test_snprintf_needs_a_constant_string():
    text = snprintf_program(b"%d", [1], 16).replace("r3 += -128", "r3 = 0x10")
    machine, event = run(text)
    assert event.kind == "fault" and "not a constant string" in event.message


# -- clocks ----------------------------------------------------------------------------------

def test_ktime_follows_the_virtual_clock():
    env = Environment(clock_ns=5_000, ns_per_insn=10, boot_offset_ns=7)
    machine, event = run("call bpf_ktime_get_ns\nr6 = r0\ncall bpf_ktime_get_boot_ns\n"
                         "r0 -= r6\nexit", env=env)
    assert event.r0 == 10 * 2 + 7  # two instructions later, plus the time suspended


def test_jiffies_count_hz_ticks_from_initial_jiffies():
    env = Environment(clock_ns=3_000_000_000, ns_per_insn=0, hz=250)
    assert r0("call bpf_jiffies64\nexit", env=env) == initial_jiffies(250) + 750
    assert initial_jiffies(250) == 0xFFFE_DB08


# -- the task and the CPU --------------------------------------------------------------------

def test_task_ids_come_from_the_environment():
    env = Environment(pid=11, tgid=22, uid=33, gid=44, cpu=1)
    assert r0("call bpf_get_current_pid_tgid\nexit", env=env) == (22 << 32) | 11
    assert r0("call bpf_get_current_uid_gid\nexit", env=env) == (44 << 32) | 33
    assert r0("call bpf_get_smp_processor_id\nexit", env=env) == 1


def test_prandom_is_a_seeded_u32_sequence():
    program = "call bpf_get_prandom_u32\nr6 = r0\ncall bpf_get_prandom_u32\nr0 ^= r6\nexit"
    first, again = r0(program, env=Environment(seed=9)), r0(program, env=Environment(seed=9))
    assert first == again and first != r0(program, env=Environment(seed=10))
    assert r0("call bpf_get_prandom_u32\nexit", env=Environment(seed=9)) < 1 << 32


COMM = "r1 = -1\n*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r1\n" \
       "r1 = r10\nr1 += -16\nr2 = {size}\ncall bpf_get_current_comm\nexit"


def test_get_current_comm_pads_with_zeros():
    machine, event = run(COMM.format(size=16), env=Environment(comm="bash"))
    assert event.r0 == 0 and stack(machine, -16, 16) == b"bash" + bytes(12)


def test_get_current_comm_cuts_the_name_to_fit_with_a_nul():
    machine, event = run(COMM.format(size=4), env=Environment(comm="playground"))
    assert stack(machine, -16, 16) == b"pla\0" + b"\xff" * 12


def test_get_current_comm_keeps_fifteen_bytes_as_the_kernel_does():
    machine, event = run(COMM.format(size=16), env=Environment(comm="a-very-long-task-name"))
    assert stack(machine, -16, 16) == b"a-very-long-tas\0"


def test_get_current_task_points_at_a_read_only_task_struct():
    env = Environment(pid=5, tgid=6, uid=7, gid=8, cpu=1, comm="init")
    machine, event = run("call bpf_get_current_task\nr6 = r0\ncall bpf_get_current_task\n"
                         "r0 -= r6\nr7 = r6\nexit", env=env)
    assert event.r0 == 0
    task = machine.memory.read_bytes(machine.regs[7], TASK_FORMAT.size)
    assert TASK_FORMAT.unpack(task) == (5, 6, 7, 8, 1, b"init" + bytes(12))
    machine, event = run("call bpf_get_current_task\n*(u32 *)(r0 + 0) = 1\nexit")
    assert event.kind == "fault" and "read-only" in event.message


# -- probe_read ------------------------------------------------------------------------------

PROBE = """
    r1 = -1
    *(u64 *)(r10 - 8) = r1
    *(u64 *)(r10 - 16) = r1
    r1 = 0x6f6c6c6568 ll
    *(u64 *)(r10 - 32) = r1
    r1 = r10
    r1 += -16
    r2 = {size}
    r3 = {src}
    call bpf_probe_read_{kind}
    exit
"""
HELLO = "r10\nr3 += -32"


@pytest.mark.parametrize("kind", ["kernel", "kernel_str"])
def test_probe_read_kernel_copies_from_kernel_memory(kind):
    machine, event = run(PROBE.format(size=8, src=HELLO, kind=kind))
    if kind == "kernel":
        assert event.r0 == 0 and stack(machine, -16, 8) == b"hello\0\0\0"
    else:
        assert event.r0 == 6 and stack(machine, -16, 16) == b"hello\0" + b"\xff" * 10


def test_probe_read_str_cuts_at_size_with_a_nul():
    machine, event = run(PROBE.format(size=3, src=HELLO, kind="kernel_str"))
    assert event.r0 == 3 and stack(machine, -16, 4) == b"he\0\xff"


@pytest.mark.parametrize("src, errno", [(0, -ERANGE), (0x1000, -ERANGE),
                                        (0x8000_0000_0000_0000, -ERANGE),
                                        (0xFFFF_8000_0000_0000, -EFAULT)])
@pytest.mark.parametrize("kind", ["kernel", "kernel_str"])
def test_probe_read_kernel_of_a_bad_address_fails_and_zeroes(kind, src, errno):
    machine, event = run(PROBE.format(size=16, src=f"{src:#x} ll", kind=kind))
    assert signed(event.r0) == errno and stack(machine, -16, 16) == bytes(16)


@pytest.mark.parametrize("kind", ["user", "user_str"])
def test_probe_read_user_of_a_kernel_pointer_is_efault(kind):
    machine, event = run(PROBE.format(size=8, src=HELLO, kind=kind))
    assert signed(event.r0) == -EFAULT and stack(machine, -16, 8) == bytes(8)


def test_probe_read_into_memory_too_small_faults_as_the_verifier_would():
    machine, event = run(PROBE.format(size=17, src=HELLO, kind="kernel"))
    assert event.kind == "fault" and event.size == 17


@pytest.mark.parametrize("kind", ["", "_str"])
def test_legacy_probe_read_picks_kernel_or_user_by_address(kind):
    text = PROBE.format(size=8, src=HELLO, kind="kernel" + kind).replace(
        "bpf_probe_read_kernel", "bpf_probe_read")
    machine, event = run(text, prog_type=ProgType.KPROBE)
    assert event.r0 == (0 if not kind else 6) and stack(machine, -16, 5) == b"hello"
    user = PROBE.format(size=8, src="0x1000", kind="x").replace("bpf_probe_read_x", "bpf_probe_read")
    assert signed(r0(user, prog_type=ProgType.KPROBE)) == -EFAULT


# -- strncmp ---------------------------------------------------------------------------------

def strncmp_program(other: str, size: int) -> str:
    return fmt_on_stack(b"abcd", at=8) + fmt_on_stack(other.encode(), at=24) + f"""
        r1 = r10
        r1 += -8
        r2 = {size}
        r3 = r10
        r3 += -24
        call bpf_strncmp
        exit
    """


@pytest.mark.parametrize("other, size, result", [
    ("abcd", 5, 0), ("abce", 5, -1), ("abcc", 5, 1), ("abcz", 3, 0), ("ab", 5, 1),
    ("abcde", 4, 0), ("abcde", 5, -1), ("", 1, 1)])
def test_strncmp_compares_like_the_kernels(other, size, result):
    assert signed(r0(strncmp_program(other, size))) == result


# -- ring buffers ----------------------------------------------------------------------------

RESERVE = """
    r1 = map[idx:0]
    r2 = {size}
    r3 = {flags}
    call bpf_ringbuf_reserve
"""


def ring(size: int = 4096):
    return create_map(MapSpec(MapType.RINGBUF, 0, 0, size, name="events"))


def test_reserve_fill_submit_publishes_the_record():
    events = ring()
    machine, event = run(RESERVE.format(size=8, flags=0) + """
        if r0 == 0 goto out
        r1 = 0x1122334455667788 ll
        *(u64 *)(r0 + 0) = r1
        r1 = r0
        r2 = 0
        call bpf_ringbuf_submit
        r1 = map[idx:0]
        r2 = 3
        call bpf_ringbuf_query
    out:
        exit
    """, events)
    assert event.kind == "exit" and event.r0 == 16   # the producer moved by header + data
    assert events.consume() == [u64(0x1122334455667788)]
    assert [o["kind"] for o in machine.output] == ["ringbuf"]
    assert machine.output[0]["data"] == u64(0x1122334455667788).hex()
    assert not [r for r in machine.memory.regions if r.kind is RegionKind.RINGBUF]


def test_a_reserved_record_is_a_ringbuf_region():
    machine, event = run(RESERVE.format(size=24, flags=0) + "exit", ring())
    region = machine.memory.find(event.r0, 24, "write")[0]
    assert region.kind is RegionKind.RINGBUF and region.name == "events record@0"


def test_reserve_with_flags_or_too_big_returns_null():
    assert r0(RESERVE.format(size=8, flags=1) + "exit", ring()) == 0
    assert r0(RESERVE.format(size=4096, flags=0) + "exit", ring()) == 0


def test_discard_drops_the_record():
    events = ring()
    machine, event = run(RESERVE.format(size=8, flags=0)
                         + "r1 = r0\nr2 = 0\ncall bpf_ringbuf_discard\nexit", events)
    assert event.kind == "exit" and events.consume() == [] and machine.output == []


def test_a_submitted_record_cannot_be_touched_again():
    text = RESERVE.format(size=8, flags=0) + "r6 = r0\nr1 = r0\nr2 = 0\ncall bpf_ringbuf_submit\n"
    machine, event = run(text + "*(u64 *)(r6 + 0) = 1\nexit", ring())
    assert event.kind == "fault"
    machine, event = run(text + "r1 = r6\nr2 = 0\ncall bpf_ringbuf_submit\nexit", ring())
    assert event.kind == "fault" and "not a ring-buffer record" in event.message


def test_submit_needs_the_records_start():
    machine, event = run(RESERVE.format(size=8, flags=0)
                         + "r1 = r0\nr1 += 4\nr2 = 0\ncall bpf_ringbuf_submit\nexit", ring())
    assert event.kind == "fault" and "zero offset" in event.message


OUTPUT = """
    *(u64 *)(r10 - 8) = {value}
    r1 = map[idx:0]
    r2 = r10
    r2 += -8
    r3 = 8
    r4 = {flags}
    call bpf_ringbuf_output
"""


def test_ringbuf_output_copies_and_answers_eagain_when_full():
    events = ring(4096)
    text = "".join(OUTPUT.format(value=v, flags=0) for v in range(255))
    machine, event = run(text + store_r0(16) + OUTPUT.format(value=1, flags=0) + "exit", events)
    assert stack(machine, -16, 8) == u64(0) and signed(event.r0) == -EAGAIN
    assert len(events.consume()) == 255 and len(machine.output) == 255


def test_ringbuf_output_with_unknown_flags_is_einval():
    assert signed(r0(OUTPUT.format(value=1, flags=4) + "exit", ring())) == -EINVAL


def test_ringbuf_query_reports_the_size():
    assert r0("r1 = map[idx:0]\nr2 = 1\ncall bpf_ringbuf_query\nexit", ring(8192)) == 8192


# -- perf_event_output -----------------------------------------------------------------------

PERF = """
    *(u64 *)(r10 - 8) = 0x1234
    r1 = 0
    r2 = map[idx:0]
    r3 = {flags} ll
    r4 = r10
    r4 += -8
    r5 = 8
    call bpf_perf_event_output
    exit
"""


def perf_array(attach: bool = True):
    perf = create_map(MapSpec(MapType.PERF_EVENT_ARRAY, 4, 4, 2, name="perf"))
    if attach:
        perf.attach_all()
    return perf


def test_perf_event_output_to_the_current_cpu():
    perf = perf_array()
    machine, event = run(PERF.format(flags=BPF_F_CURRENT_CPU), perf, prog_type=ProgType.KPROBE,
                         env=Environment(cpu=1))
    assert event.r0 == 0 and perf.consume() == [(1, u64(0x1234) + bytes(4))]
    assert machine.output[0]["kind"] == "perf_event" and machine.output[0]["index"] == 1


@pytest.mark.parametrize("flags, attach, errno", [
    (0, False, -ENOENT), (2, True, -E2BIG), (1, True, -EOPNOTSUPP), (1 << 32, True, -EINVAL)])
def test_perf_event_output_errors(flags, attach, errno):
    machine, event = run(PERF.format(flags=flags), perf_array(attach), prog_type=ProgType.KPROBE)
    assert signed(event.r0) == errno and machine.output == []


# -- bpf_loop --------------------------------------------------------------------------------

LOOP = """
    *(u64 *)(r10 - 8) = 0
    r1 = {count}
    r2 = subprog[callback]
    r3 = r10
    r3 += -8
    r4 = {flags}
    call bpf_loop
    r6 = *(u64 *)(r10 - 8)
    exit
callback:
    r3 = *(u64 *)(r2 + 0)
    r3 += r1
    *(u64 *)(r2 + 0) = r3
    r0 = 0
    if r1 != {stop} goto more
    r0 = 1
more:
    exit
"""


def test_bpf_loop_calls_back_until_the_callback_says_stop():
    machine, event = run(LOOP.format(count=10, flags=0, stop=6))
    assert event.r0 == 7 and machine.regs[6] == sum(range(7))
    machine, event = run(LOOP.format(count=10, flags=0, stop=99))
    assert event.r0 == 10 and machine.regs[6] == sum(range(10))


@pytest.mark.parametrize("count, flags, result", [
    (0, 0, 0), (3, 1, -EINVAL), ((1 << 23) + 1, 1, -EINVAL),
    ((1 << 23) + 1, 0, -E2BIG & 0xFFFF_FFFF),  # inlined by the verifier: a 32-bit -E2BIG
])
def test_bpf_loop_edge_cases(count, flags, result):
    machine, event = run(LOOP.format(count=count, flags=flags, stop=99))
    assert signed(event.r0) == result and machine.regs[6] == 0


# -- bpf_tail_call ---------------------------------------------------------------------------

def prog_array(*programs):
    array_map = create_map(MapSpec(MapType.PROG_ARRAY, 4, 4, 4, name="jmp"))
    for index, program in enumerate(programs):
        if program is not None:
            array_map.set(index, program)
    return array_map


TAIL = "r1 = 0\nr2 = map[idx:0]\nr3 = {index}\ncall bpf_tail_call\n"
COUNT = "r1 = map[idx:1]+0\nr2 = *(u64 *)(r1 + 0)\nr2 += 1\n*(u64 *)(r1 + 0) = r2\n"


def test_tail_call_runs_the_slots_program_and_never_returns():
    target = assemble("r0 = 77\nexit").program()
    assert r0(TAIL.format(index=0) + "r0 = 1\nexit", prog_array(target)) == 77


@pytest.mark.parametrize("index", ["1", "4", "0xffffffff"])
def test_tail_call_to_an_empty_slot_or_past_the_end_falls_through(index):
    target = assemble("r0 = 77\nexit").program()
    assert r0(TAIL.format(index=index) + "r0 = 1\nexit", prog_array(target)) == 1


def test_tail_calls_stop_after_thirty_three():
    counter = array(entries=1, name="count")
    looping = assemble(COUNT + TAIL.format(index=0) + "r0 = 9\nexit").program()
    jumps = prog_array(looping)
    # empty slots fall through without using up the budget (as the x86-64 JIT does)
    entry = TAIL.format(index=1) * 5 + TAIL.format(index=0) + "r0 = 1\nexit"
    assert r0(entry, jumps, counter) == 9
    assert counter.lookup(u32(0)) == u64(33)


def test_tail_call_through_a_map_of_another_type_is_refused():
    machine, event = run(TAIL.format(index=0) + "exit", array())
    assert event.message == "cannot pass map_type 2 into func bpf_tail_call#12"


# -- the kernel as the oracle ----------------------------------------------------------------

AVAILABLE, WHY = kernel.available()
OUT_SIZE = 256
PACKET = bytes(64)
MAP_REF = re.compile(r"\$(out|ro)\+(\d+)")


@pytest.fixture(scope="module")
def bpf_ok():
    if not AVAILABLE:
        pytest.skip(f"the kernel cannot serve as the oracle: {WHY}")


class Both:
    """The same program on the Machine and in the kernel, with an output map and read-only data.

    In program text ``$out+N`` is a pointer to byte N of the output map's value
    and ``$ro+N`` to byte N of the read-only data (a frozen BPF_F_RDONLY_PROG
    array, as constant strings need). Both sides start with ``out_init`` in the
    output map; ``run`` returns the output map's bytes from each side.
    """

    def __init__(self, rodata: bytes = b"\0", out_init: bytes = b"\xaa" * OUT_SIZE,
                 prog_type: ProgType = ProgType.SOCKET_FILTER):
        self.rodata = rodata + bytes(-len(rodata) % 8)
        self.out_init = out_init
        self.prog_type = prog_type

    def text(self, template: str, refs: dict[str, str]) -> str:
        return MAP_REF.sub(lambda m: f"{refs[m.group(1)]}+{m.group(2)}", template)

    def machine(self, template: str) -> tuple[bytes, object]:
        out = array(OUT_SIZE, 1, "out")
        out.user_update(u32(0), self.out_init)
        ro = create_map(MapSpec(MapType.ARRAY, 4, len(self.rodata), 1, MapFlag.RDONLY_PROG, "ro"))
        ro.user_update(u32(0), self.rodata)
        ro.freeze()
        text = self.text(template, {"out": "map[idx:0]", "ro": "map[idx:1]"})
        machine, event = run(text, out, ro, prog_type=self.prog_type)
        assert event.kind == "exit", event
        return bytes(out.lookup(u32(0))), event

    def kernel(self, template: str) -> bytes:
        out = kernel.map_create(kernel.MapType.ARRAY, 4, OUT_SIZE, 1, name="pg_out")
        ro = kernel.map_create(kernel.MapType.ARRAY, 4, len(self.rodata), 1,
                               flags=MapFlag.RDONLY_PROG, name="pg_ro")
        try:
            kernel.map_update(out, u32(0), self.out_init)
            kernel.map_update(ro, u32(0), self.rodata)
            kernel.map_freeze(ro)
            text = self.text(template, {"out": f"map[id:{out}][0]", "ro": f"map[id:{ro}][0]"})
            text = text.replace("map[idx:0]", f"map[id:{out}]")
            code = assemble(text).program().encode()
            with kernel.prog_load(code, int(self.prog_type)) as loaded:
                loaded.check()
                kernel.test_run(loaded.fd, PACKET)
            return kernel.map_lookup(out, u32(0))
        finally:
            kernel.close(out)
            kernel.close(ro)

    def compare(self, template: str, kernel_comparisons) -> bytes:
        mine, _ = self.machine(template)
        theirs = self.kernel(template)
        kernel_comparisons()
        assert mine == theirs, f"machine {mine.hex()}\nkernel  {theirs.hex()}"
        return theirs


SAVE_R0 = "r6 = $out+0\n*(u64 *)(r6 + 0) = r0\nr0 = 0\nexit\n"


def snprintf_case(fmt: bytes, args: list, size: int = 96) -> tuple[bytes, str]:
    """rodata: fmt at 0, strings after; args are ints or ("str", offset into STRINGS)."""
    fmt_area = fmt + b"\0"
    fmt_area += bytes(-len(fmt_area) % 8)
    rodata = fmt_area + STRINGS
    lines = []
    for k, arg in enumerate(args):
        if isinstance(arg, tuple):
            lines.append(f"r1 = $ro+{len(fmt_area) + arg[1]}")
        else:
            lines.append(f"r1 = {arg & MASK64:#x} ll")
        lines.append(f"*(u64 *)(r10 - {8 * (len(args) - k)}) = r1")
    data = f"r4 = r10\nr4 += -{8 * len(args)}" if args else "r4 = 0"
    lines += ["r1 = $out+8", f"r2 = {size}", "r3 = $ro+0", data, f"r5 = {8 * len(args)}",
              "call bpf_snprintf", SAVE_R0]
    return rodata, "\n".join(lines)


def as_kernel_args(args: list) -> list:
    """FORMATS' pointers into STRINGS become rodata references."""
    return [("str", a - STRING_AT)
            if isinstance(a, int) and STRING_AT <= a < STRING_AT + len(STRINGS) else a
            for a in args]


KERNEL_FORMATS = [(f, a) for f, a, _ in FORMATS] + [
    (b"%p %d", [0, 5]), (b"%-+ 07d|", [3]), (b"%pS|%10pS|%-6ps|", [0x1234, 0x1234, 0x12]),
    (b"%pI4", [("str", 0)]), (b"%s %s %s %s", [("str", 0)] * 4), (b"%c", [0]),
    (b"%lld %llx", [1 << 40, 1 << 40]), (b"%pSx|%pi6abc|", [0x10, ("str", 24)]),
    (b"%30s|%-30s|", [("str", 0), ("str", 8)]), (b"%pus", [0x1000]),
]


@pytest.mark.kernel
@pytest.mark.parametrize("fmt, args", KERNEL_FORMATS, ids=[repr(f) for f, _ in KERNEL_FORMATS])
def test_snprintf_formats_as_the_kernel_does(bpf_ok, kernel_comparisons, fmt, args):
    rodata, text = snprintf_case(fmt, as_kernel_args(args))
    Both(rodata).compare(text, kernel_comparisons)


@pytest.mark.kernel
@pytest.mark.parametrize("size", [0, 1, 5, 9])
@pytest.mark.parametrize("fmt, args", [(b"v=%d", [123456]), (b"%pI4|%d", [("str", 16), 42]),
                                       (b"%pks|%d", [("str", 0), 7])])
def test_snprintf_truncation_as_the_kernel_does(bpf_ok, kernel_comparisons, size, fmt, args):
    rodata, text = snprintf_case(fmt, args, size)
    if size == 0:
        text = text.replace("r1 = $out+8", "r1 = 0")
    Both(rodata).compare(text, kernel_comparisons)


@pytest.mark.kernel
def test_snprintf_with_thirteen_arguments_is_einval_as_in_the_kernel(bpf_ok, kernel_comparisons):
    rodata, text = snprintf_case(b"%d", [1] * 13)
    Both(rodata).compare(text, kernel_comparisons)


@pytest.mark.kernel
@pytest.mark.parametrize("fmt, data_len", [(f, 8 * len(a)) for f, a, _ in REFUSED] + [(b"%d", 7)],
                         ids=[repr(f) for f, _, _ in REFUSED] + ["data_len 7"])
def test_snprintf_refusals_are_the_verifiers(bpf_ok, kernel_comparisons, fmt, data_len):
    rodata, text = snprintf_case(fmt, [1] * -(-data_len // 8))
    text = text.replace(f"r5 = {8 * -(-data_len // 8)}", f"r5 = {data_len}")
    both = Both(rodata)
    with pytest.raises(AssertionError, match="Invalid format string|not a multiple of 8"):
        both.machine(text)
    with pytest.raises(kernel.KernelError) as refused:
        both.kernel(text)
    kernel_comparisons()
    assert refused.value.errno == 22
    assert ("Invalid format string" in refused.value.log) == (data_len % 8 == 0)


def printk_case(fmt: bytes, args: list[int], size: int | None = None) -> tuple[bytes, str]:
    rodata = fmt + b"\0" + STRINGS
    regs = [f"r{3 + k} = $ro+{len(fmt) + 1 + a[1]}" if isinstance(a, tuple)
            else f"r{3 + k} = {a & MASK64:#x} ll" for k, a in enumerate(args)]
    text = "\n".join(["r1 = $ro+0", f"r2 = {size or len(fmt) + 1}", *regs,
                      "call bpf_trace_printk", SAVE_R0])
    return rodata, text


PRINTK_CASES = [(b"hello %d\n", [42]), (b"%d %d %d", [1, 2, 3]), (b"%d %d %d %d", [1, 2, 3]),
                (b"%s!", [("str", 0)]), (b"%pI4", [("str", 16)]), (b"%z", [1]),
                (b"x" * 1500 + b"%d", [1]), (b"%lld", [1 << 62]), (b"", []),
                (b"%p%d", [0, 1, 2])] + [(f, a) for f, a, _ in REFUSED if len(a) <= 3]


@pytest.mark.kernel
@pytest.mark.parametrize("fmt, args", PRINTK_CASES, ids=[repr(f[:16]) for f, _ in PRINTK_CASES])
def test_trace_printk_returns_what_the_kernel_returns(bpf_ok, kernel_comparisons, fmt, args):
    rodata, text = printk_case(fmt, args)
    Both(rodata).compare(text, kernel_comparisons)


@pytest.mark.kernel
def test_trace_printk_without_a_nul_in_fmt_size_as_the_kernel(bpf_ok, kernel_comparisons):
    rodata, text = printk_case(b"abcdef", [], size=6)
    Both(rodata).compare(text, kernel_comparisons)


@pytest.mark.kernel
@pytest.mark.parametrize("s1, size, s2", [(b"abcd", 5, b"abcd"), (b"abcd", 4, b"abce"),
                                          (b"abcd", 3, b"abz"), (b"ab\xff", 3, b"ab\x01"),
                                          (b"abcd", 5, b""), (b"\0bc", 3, b"")])
def test_strncmp_as_the_kernel(bpf_ok, kernel_comparisons, s1, size, s2):
    s1_area = s1 + bytes(8 - len(s1))
    rodata = s1_area + s2 + b"\0"
    text = f"r1 = $ro+0\nr2 = {size}\nr3 = $ro+8\ncall bpf_strncmp\n" + SAVE_R0
    Both(rodata).compare(text, kernel_comparisons)


PROBE_SOURCES = {"rodata": "$ro+0", "rodata_end": "$ro+8", "null": "0", "user": "0x1000",
                 "hole": "0xffff800000000000 ll", "noncanonical": "0x8000000000000000 ll"}


@pytest.mark.kernel
@pytest.mark.parametrize("helper", ["bpf_probe_read_kernel", "bpf_probe_read_kernel_str",
                                    "bpf_probe_read_user", "bpf_probe_read_user_str"])
@pytest.mark.parametrize("source", list(PROBE_SOURCES))
@pytest.mark.parametrize("size", [0, 4, 16])
def test_probe_read_as_the_kernel(bpf_ok, kernel_comparisons, helper, source, size):
    rodata = b"hello, world!!\0\0" + b"0123456789abcdef"  # $ro+8 is "world!!\0"
    text = (f"r1 = $out+8\nr2 = {size}\nr3 = {PROBE_SOURCES[source]}\n"
            f"call {helper}\n" + SAVE_R0)
    Both(rodata).compare(text, kernel_comparisons)


MAP_ERRORS = """
    *(u32 *)(r10 - 4) = 1
    *(u64 *)(r10 - 16) = 5
    r1 = map[idx:2]
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = {flags}
    call bpf_map_update_elem
    r6 = $out+{slot}
    *(u64 *)(r6 + 0) = r0
"""
MAP_DELETE = """
    *(u32 *)(r10 - 4) = 1
    r1 = map[idx:2]
    r2 = r10
    r2 += -4
    call bpf_map_delete_elem
    r6 = $out+{slot}
    *(u64 *)(r6 + 0) = r0
"""


@pytest.mark.kernel
@pytest.mark.parametrize("kind", [MapType.HASH, MapType.ARRAY])
def test_map_helper_error_codes_as_the_kernel(bpf_ok, kernel_comparisons, kind):
    """update NOEXIST/EXIST/bad flags and delete twice, on a third map (idx 2 / its fd)."""
    steps = [MAP_ERRORS.format(flags=BPF_EXIST, slot=0), MAP_ERRORS.format(flags=BPF_NOEXIST, slot=8),
             MAP_ERRORS.format(flags=BPF_NOEXIST, slot=16), MAP_ERRORS.format(flags=3, slot=24),
             MAP_DELETE.format(slot=32), MAP_DELETE.format(slot=40)]
    template = "".join(steps) + "r0 = 0\nexit\n"
    both = Both()
    mine_map = create_map(MapSpec(kind, 4, 8, 4, name="t"))
    out = array(OUT_SIZE, 1, "out")
    ro = array(8, 1, "ro")
    machine, event = run(both.text(template, {"out": "map[idx:0]", "ro": "map[idx:1]"}),
                         out, ro, mine_map, prog_type=ProgType.SOCKET_FILTER)
    assert event.kind == "exit", event
    fd = kernel.map_create(kernel.MapType(int(kind)), 4, 8, 4, name="pg_t")
    outfd = kernel.map_create(kernel.MapType.ARRAY, 4, OUT_SIZE, 1, name="pg_out")
    try:
        text = both.text(template, {"out": f"map[id:{outfd}][0]", "ro": ""})
        text = text.replace("map[idx:2]", f"map[id:{fd}]")
        with kernel.prog_load(assemble(text).program().encode()) as loaded:
            loaded.check()
            kernel.test_run(loaded.fd, PACKET)
        theirs = kernel.map_lookup(outfd, u32(0))[:48]
    finally:
        kernel.close(fd)
        kernel.close(outfd)
    kernel_comparisons()
    assert bytes(out.lookup(u32(0)))[:48] == theirs


BTF_LOAD = 18
BTF_KIND_INT, BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO = 1, 12, 13


def functions_btf(count: int) -> bytes:
    """BTF declaring ``count`` static functions ``int f<i>(void)``: what func_info needs.

    A program with bpf-to-bpf functions (a bpf_loop callback) must say where
    each starts, as func_info records naming BTF FUNC types.
    """
    strings = b"\0int\0" + b"".join(f"f{i}\0".encode() for i in range(count))
    types = struct.pack("<IIII", 1, BTF_KIND_INT << 24, 4, (1 << 24) | 32)      # 1: int
    types += struct.pack("<III", 0, BTF_KIND_FUNC_PROTO << 24, 1)              # 2: int (void)
    offset = len(b"\0int\0")
    for i in range(count):                                                     # 3...: f<i>
        types += struct.pack("<III", offset, BTF_KIND_FUNC << 24, 2)
        offset += len(f"f{i}\0")
    header = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strings))
    return header + types + strings


class BtfLoadAttr(ctypes.Structure):
    _fields_ = [("btf", ctypes.c_uint64), ("btf_log_buf", ctypes.c_uint64),
                ("btf_size", ctypes.c_uint32), ("btf_log_size", ctypes.c_uint32),
                ("btf_log_level", ctypes.c_uint32)]


def load_with_functions(code: bytes, starts: list[int]) -> int:
    """BPF_PROG_LOAD of a socket filter whose functions begin at ``starts`` (slot numbers)."""
    blob = ctypes.create_string_buffer(functions_btf(len(starts)))
    attr = BtfLoadAttr(btf=ctypes.addressof(blob), btf_size=len(blob.raw) - 1)
    btf_fd = kernel._libc().syscall(kernel.syscall_number(), BTF_LOAD, ctypes.byref(attr),
                                    ctypes.sizeof(attr))
    assert btf_fd >= 0, f"BPF_BTF_LOAD failed: errno {ctypes.get_errno()}"
    try:
        records = b"".join(struct.pack("<II", start, 3 + i) for i, start in enumerate(starts))
        info = ctypes.create_string_buffer(records)
        insns = ctypes.create_string_buffer(code)
        license_ = ctypes.create_string_buffer(b"GPL")
        log = ctypes.create_string_buffer(1 << 16)
        load = kernel.ProgLoadAttr(
            prog_type=kernel.ProgType.SOCKET_FILTER, insn_cnt=len(code) // 8,
            insns=ctypes.addressof(insns), license=ctypes.addressof(license_), log_level=1,
            log_size=1 << 16, log_buf=ctypes.addressof(log), prog_btf_fd=btf_fd,
            func_info_rec_size=8, func_info=ctypes.addressof(info), func_info_cnt=len(starts))
        try:
            return kernel.bpf(kernel.Cmd.PROG_LOAD, load)
        except kernel.KernelError as error:
            raise kernel.KernelError(error.errno, "the verifier refused the program",
                                     log.value.decode()) from None
    finally:
        os.close(btf_fd)


@pytest.mark.kernel
@pytest.mark.parametrize("count, stop, flags", [
    (10, 6, 0), (10, 99, 0), (0, 99, 0), (3, 99, 1), ((1 << 23) + 1, 99, 1),
    # flags a known 0: the verifier inlines the call (64-bit nr_loops, 32-bit -E2BIG)
    ((1 << 23) + 1, 99, 0), ("0x100000003 ll", 99, 0)])
def test_bpf_loop_as_the_kernel(bpf_ok, kernel_comparisons, count, stop, flags):
    """r0 and the callback's running sum, after bpf_loop, on both sides."""
    template = LOOP.format(count=count, flags=flags, stop=stop).replace(
        "    r6 = *(u64 *)(r10 - 8)\n    exit\n",
        "    r6 = $out+0\n    *(u64 *)(r6 + 0) = r0\n    r7 = *(u64 *)(r10 - 8)\n"
        "    *(u64 *)(r6 + 8) = r7\n    r0 = 0\n    exit\n")
    both = Both()
    mine, _ = both.machine(template)
    out = kernel.map_create(kernel.MapType.ARRAY, 4, OUT_SIZE, 1, name="pg_out")
    try:
        kernel.map_update(out, u32(0), both.out_init)
        program = assemble(both.text(template, {"out": f"map[id:{out}][0]"})).program()
        fd = load_with_functions(program.encode(), program.subprogram_starts())
        try:
            kernel.test_run(fd, PACKET)
        finally:
            os.close(fd)
        theirs = kernel.map_lookup(out, u32(0))
    finally:
        kernel.close(out)
    kernel_comparisons()
    assert mine[:16] == theirs[:16]


@pytest.mark.kernel
@pytest.mark.parametrize("empty_calls", [0, 5, 40])
def test_the_tail_call_limit_is_the_kernels(bpf_ok, kernel_comparisons, empty_calls):
    """Slot 0 runs a program that counts itself and tail-calls slot 0 again; slot 1 is empty."""
    counted = ("r6 = r1\nr7 = {count}\nr1 = *(u64 *)(r7 + 0)\nr1 += 1\n*(u64 *)(r7 + 0) = r1\n"
               "r1 = r6\nr2 = {jumps}\nr3 = 0\ncall bpf_tail_call\nr0 = 9\nexit")
    entry = ("r6 = r1\n" + "r1 = r6\nr2 = {jumps}\nr3 = 1\ncall bpf_tail_call\n" * empty_calls
             + "r1 = r6\nr2 = {jumps}\nr3 = 0\ncall bpf_tail_call\nr0 = 1\nexit")
    # the Machine
    counter = array(entries=1, name="count")
    jumps = create_map(MapSpec(MapType.PROG_ARRAY, 4, 4, 2, name="jmp"))
    refs = {"count": "map[idx:1]+0", "jumps": "map[idx:0]"}
    jumps.set(0, assemble(counted.format(**refs)).program())
    mine = r0(entry.format(**refs), jumps, counter)
    mine_count = int.from_bytes(counter.lookup(u32(0)), "little")
    # the kernel
    count_fd = kernel.map_create(kernel.MapType.ARRAY, 4, 8, 1, name="pg_count")
    jumps_fd = kernel.map_create(kernel.MapType.PROG_ARRAY, 4, 4, 2, name="pg_jmp")
    refs = {"count": f"map[id:{count_fd}][0]+0", "jumps": f"map[id:{jumps_fd}]"}
    try:
        with kernel.prog_load(assemble(counted.format(**refs)).program().encode()) as target:
            kernel.map_update(jumps_fd, u32(0), u32(target.check()))
            with kernel.prog_load(assemble(entry.format(**refs)).program().encode()) as loaded:
                theirs = kernel.test_run(loaded.check(), PACKET).retval
        theirs_count = int.from_bytes(kernel.map_lookup(count_fd, u32(0)), "little")
    finally:
        kernel.close(count_fd)
        kernel.close(jumps_fd)
    kernel_comparisons()
    assert (mine, mine_count) == (theirs, theirs_count)


def trace_vprintk_case(fmt: bytes, args: list[int], data_len: int | None = None,
                       null_data: bool = False) -> tuple[bytes, str]:
    """rodata: the format; the u64 arguments on the stack; r0 (the length) saved to $out."""
    rodata = fmt + b"\0"
    lines = []
    for k, arg in enumerate(args):
        lines += [f"r1 = {arg & MASK64:#x} ll", f"*(u64 *)(r10 - {8 * (len(args) - k)}) = r1"]
    data = "r3 = 0" if null_data or not args else f"r3 = r10\nr3 += -{8 * len(args)}"
    length = 8 * len(args) if data_len is None else data_len
    lines += ["r1 = $ro+0", f"r2 = {len(rodata)}", data, f"r4 = {length}",
              "call bpf_trace_vprintk", SAVE_R0]
    return rodata, "\n".join(lines)


@pytest.mark.kernel
@pytest.mark.parametrize("fmt, args, data_len, null_data", [
    (b"%d %d %d %d", [1, 2, 3, 4], None, False),
    (b"%llx|%5d|%s", [0xdead, 42, 0], None, False),
    (b"twelve %d", [7] * 12, None, False),
    (b"thirteen %d", [7] * 13, None, False),         # more than 12: -EINVAL
    (b"odd %d", [7, 8], 12, False),                   # not a multiple of 8: -EINVAL
    (b"no data", [], 0, True),
    (b"%d %d", [1], None, False),                     # fewer arguments than the format wants
], ids=["four", "mixed", "twelve", "thirteen", "odd length", "none", "short"])
def test_trace_vprintk_returns_what_the_kernel_returns(bpf_ok, kernel_comparisons, fmt, args,
                                                       data_len, null_data):
    rodata, text = trace_vprintk_case(fmt, args, data_len, null_data)
    Both(rodata).compare(text, kernel_comparisons)


def test_trace_vprintk_prints_like_trace_printk():
    rodata, text = trace_vprintk_case(b"%d-%d-%d-%d-%d", [1, 2, 3, 4, 5])
    out = array(OUT_SIZE, 1, "out")
    ro = create_map(MapSpec(MapType.ARRAY, 4, len(rodata) + (-len(rodata) % 8), 1,
                            MapFlag.RDONLY_PROG, "ro"))
    ro.user_update(u32(0), rodata + bytes(-len(rodata) % 8))
    machine, event = run(Both().text(text, {"out": "map[idx:0]", "ro": "map[idx:1]"}), out, ro,
                         prog_type=ProgType.SOCKET_FILTER)
    assert event.kind == "exit"
    assert [line["text"] for line in machine.output] == ["1-2-3-4-5"]


@pytest.mark.kernel
def test_trace_vprintk_with_null_data_and_a_length_is_refused_as_by_the_verifier(
        bpf_ok, kernel_comparisons):
    rodata, text = trace_vprintk_case(b"null %d", [], 8, null_data=True)
    with pytest.raises(kernel.KernelError) as refused:
        Both(rodata).kernel(text)
    kernel_comparisons()
    assert "R3 type=scalar expected=fp" in refused.value.log
    with pytest.raises(AssertionError, match="R3 is NULL but R4"):
        Both(rodata).machine(text)


def test_get_current_task_btf_points_at_the_same_task_as_get_current_task():
    text = "call bpf_get_current_task\nr6 = r0\ncall bpf_get_current_task_btf\nr0 -= r6\nexit\n"
    assert r0(text) == 0
    assert r0("call bpf_get_current_task_btf\nexit\n") != 0
