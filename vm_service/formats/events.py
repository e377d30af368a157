"""EVENTS.json and PACKETS.json -> ``EventInput``s (the formats are in ``docs/formats.md``).

EVENTS.json is a list of events, each an object whose keys are all optional:
``packet_hex`` (or ``packet``, a packet builder spec), ``args``, ``regs``,
``task``, ``cpu``, ``memory``, ``time_ns``. PACKETS.json is a list of hex
strings, shorthand for events with only ``packet_hex``. Unknown keys are
ignored; every value is checked, and errors name the event and the key
(``events[2].task.pid: expected an integer, got a string``).
"""

from __future__ import annotations

from typing import Any

from ..events import EventInput, TaskInput
from ..inputs.builder import build_packet
from ..inputs.errors import InputError
from ..inputs.fields import (U32_MAX, U64_MAX, child, hex_bytes, integer, item, optional,
                             require_list, require_object, string, u64)
from ..inputs.hextext import MAX_PACKET_BYTES
from .jsontext import parse_file

MAX_EVENTS = 10_000
MAX_EVENT_MEMORY = 1 << 20          # bytes of simulated memory one event may describe
PID_MAX_LIMIT = 4 * 1024 * 1024     # include/linux/threads.h on 64-bit: pids stay below it
TASK_COMM_LEN = 16                  # the kernel keeps 15 bytes of a task's name and a NUL

# struct pt_regs on x86_64 (arch/x86/include/asm/ptrace.h), the names kprobes use.
X86_64_PT_REGS = ("r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax", "cx",
                  "dx", "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss")


def parse_events(text: str | bytes) -> list[EventInput]:
    """The events of an EVENTS.json file; FormatError if it is not one."""
    return parse_file(text, "EVENTS.json", events_from_json)


def parse_packets(text: str | bytes) -> list[EventInput]:
    """The packet events of a PACKETS.json file; FormatError if it is not one."""
    return parse_file(text, "PACKETS.json", packets_from_json)


def events_from_json(value: Any, path: str = "events") -> list[EventInput]:
    """Events from decoded JSON (what the web UI sends); InputError naming the bad value."""
    events = require_list(value, path, MAX_EVENTS)
    return [event_from_json(event, item(path, i)) for i, event in enumerate(events)]


def packets_from_json(value: Any, path: str = "packets") -> list[EventInput]:
    packets = require_list(value, path, MAX_EVENTS)
    return [EventInput(packet=packet_bytes(text, item(path, i))) for i, text in enumerate(packets)]


def event_from_json(value: Any, path: str) -> EventInput:
    obj = require_object(value, path)
    return EventInput(
        packet=_packet(obj, path),
        args=tuple(optional(obj, "args", path, _args, [])),
        regs=optional(obj, "regs", path, _regs, {}),
        task=optional(obj, "task", path, _task, None),
        cpu=optional(obj, "cpu", path, lambda v, p: integer(v, p, 0, U32_MAX), None),
        memory=optional(obj, "memory", path, _memory, ()),
        time_ns=optional(obj, "time_ns", path, lambda v, p: integer(v, p, 0, U64_MAX), None),
    )


def packet_bytes(value: Any, path: str) -> bytes:
    """A packet given as hex: 1 to MAX_PACKET_BYTES bytes."""
    data = hex_bytes(value, path)
    if len(data) > MAX_PACKET_BYTES:
        raise InputError(path, f"the packet is {len(data)} bytes; the playground takes at most "
                               f"{MAX_PACKET_BYTES}")
    return data


def _packet(obj: dict, path: str) -> bytes | None:
    if obj.get("packet_hex") is not None and obj.get("packet") is not None:
        raise InputError(path, "packet_hex and packet cannot both be given")
    if obj.get("packet") is not None:
        return build_packet(obj["packet"], child(path, "packet"))
    return optional(obj, "packet_hex", path, packet_bytes, None)


def _args(value: Any, path: str) -> list[int]:
    return [u64(arg, item(path, i)) for i, arg in enumerate(require_list(value, path))]


def _regs(value: Any, path: str) -> dict[str, int]:
    regs = {}
    for name, reg in require_object(value, path).items():
        if name not in X86_64_PT_REGS:
            raise InputError(child(path, name), f"not a struct pt_regs field; x86_64 has "
                                                f"{', '.join(X86_64_PT_REGS)}")
        regs[name] = u64(reg, child(path, name))
    return regs


def _task(value: Any, path: str) -> TaskInput:
    obj = require_object(value, path)

    def pid(v: Any, p: str) -> int:
        return integer(v, p, 0, PID_MAX_LIMIT - 1)

    def uid(v: Any, p: str) -> int:
        return integer(v, p, 0, U32_MAX)

    return TaskInput(pid=optional(obj, "pid", path, pid, None),
                     tgid=optional(obj, "tgid", path, pid, None),
                     uid=optional(obj, "uid", path, uid, None),
                     gid=optional(obj, "gid", path, uid, None),
                     comm=optional(obj, "comm", path, _comm, None))


def _comm(value: Any, path: str) -> str:
    """The task name as the kernel keeps it: the first 15 bytes of UTF-8 (a longer name is cut,
    as prctl(PR_SET_NAME) cuts it, without splitting a character)."""
    text = string(value, path)
    if "\0" in text:
        raise InputError(path, "a task name cannot hold a NUL character")
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(path, "not valid Unicode text (a lone surrogate)") from None
    return raw[:TASK_COMM_LEN - 1].decode("utf-8", "ignore")


def _memory(value: Any, path: str) -> tuple[tuple[int, bytes], ...]:
    """Non-overlapping (address, bytes) ranges that probe_read helpers may read."""
    ranges = []
    for i, entry in enumerate(require_list(value, path)):
        entry_path = item(path, i)
        obj = require_object(entry, entry_path)
        for key in ("addr", "hex"):
            if obj.get(key) is None:
                raise InputError(child(entry_path, key), "missing")
        addr = u64(obj["addr"], child(entry_path, "addr"))
        data = hex_bytes(obj["hex"], child(entry_path, "hex"))
        if addr + len(data) > U64_MAX + 1:
            raise InputError(entry_path, f"{len(data)} bytes at 0x{addr:x} run past the end of "
                                         f"the 64-bit address space")
        ranges.append((addr, data, i))
    if sum(len(data) for _, data, _ in ranges) > MAX_EVENT_MEMORY:
        raise InputError(path, f"more than {MAX_EVENT_MEMORY} bytes of memory in one event")
    ordered = sorted(ranges)
    for (addr, data, i), (next_addr, _, j) in zip(ordered, ordered[1:]):
        if addr + len(data) > next_addr:
            first, second = sorted((i, j))
            raise InputError(item(path, second), f"overlaps {item(path, first)}: each byte of "
                                                 f"memory may be given once")
    return tuple((addr, data) for addr, data, _ in ranges)
