"""One comparable picture of everything a Machine's run has changed.

Used wherever two runs must be proven identical (fast mode against step mode,
time travel against a fresh run): plain data that compares by value.
"""

from __future__ import annotations

import dataclasses
import enum

from vm_service.machine import Machine
from vm_service.memory import Region
from vm_service.program import Program


def plain(value):
    """Run state as plain data (dicts, lists, bytes, numbers) that compares by value."""
    if isinstance(value, Region):
        return {"name": value.name, "kind": value.kind.value, "base": value.base,
                "data": bytes(value.data), "writable": value.writable,
                "written": None if value.written is None else bytes(value.written)}
    if isinstance(value, Program):
        return value.encode()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "__dict__") and not callable(value):
        return {key: plain(item) for key, item in vars(value).items()}
    return value


def machine_state(m: Machine) -> dict:
    """Everything a run can change, as plain data."""
    return {
        "program": m.program,  # compares by value (and fast when it is the same object)
        "regs": list(m.regs), "written": list(m.written), "pc": m.pc,
        "instructions": m.instructions, "result": m.result and m.result.to_dict(),
        "frames": plain(m.frames), "stack": plain(m.stack),
        "memory": plain(m.memory.regions), "next_base": plain(m.memory._next_base),
        "maps": plain(m.maps), "output": plain(m.output), "env": plain(vars(m.env)),
        "loops_left": m.loops_left, "tail_calls": m.tail_calls,
        "packet": plain(m.packet),
    }


