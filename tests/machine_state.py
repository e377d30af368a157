"""One comparable picture of everything a Machine's run has changed.

Used wherever two runs must be proven identical (time travel, fast mode): a
plain dict of registers, shadow flags, control state, every memory region's
bytes and written-bytes mask, maps, outputs and the environment.
"""

from __future__ import annotations

from vm_service.machine import Machine


def machine_state(machine: Machine) -> dict:
    return {
        "program": id(machine.program),
        "regs": list(machine.regs),
        "written": list(machine.written),
        "pc": machine.pc,
        "instructions": machine.instructions,
        "result": machine.result,
        "loops_left": machine.loops_left,
        "tail_calls": machine.tail_calls,
        "frames": [(f.return_pc, dict(f.saved), f.stack.base, f.loops_left,
                    None if f.loop is None else vars(f.loop).copy()) for f in machine.frames],
        "stack": machine.stack.base,
        "regions": [(r.name, r.kind.value, r.base, bytes(r.data), r.writable,
                     None if r.written is None else bytes(r.written))
                    for r in machine.memory.regions],
        "maps": [_map_state(m) for m in machine.maps],
        "output": [dict(record) for record in machine.output],
        "env": dict(vars(machine.env)),
    }


def _map_state(bpf_map) -> object:
    snapshot = getattr(bpf_map, "snapshot", None)
    return snapshot() if snapshot else repr(bpf_map)
