"""Calling a helper: what the verifier would have proven about its arguments, checked at run time.

The kernel never runs a helper on arguments its prototype forbids: the verifier
rejects the program first. Raw bytecode has no verifier in front of it, so each
call checks the same facts here, from the prototype, before the implementation
runs. An implementation may then trust its arguments:

* ``ARG_CONST_MAP_PTR`` is a map the program references, of a type this helper
  accepts (``check_map_func_compatibility``);
* ``ARG_PTR_TO_MAP_KEY`` / ``ARG_PTR_TO_MAP_VALUE`` point at key_size /
  value_size bytes of readable memory (writable for ``MEM_UNINIT | MEM_WRITE``);
* ``ARG_PTR_TO_MEM`` followed by ``ARG_CONST_SIZE[_OR_ZERO]`` is a buffer of
  that many readable bytes (writable with ``MEM_WRITE``), or NULL if
  ``PTR_MAYBE_NULL``; ``ARG_CONST_SIZE`` may not be 0;
* ``ARG_PTR_TO_CONST_STR`` is a NUL-terminated string in mapped memory (the
  kernel further insists on a read-only map value; raw mode has none to offer).

A violation ends the run like the verifier's rejection would: a ``MemoryFault``
(which keeps the address for the UI) or a ``MachineFault``, naming the register.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable, Sequence

from ..machine import MachineFault
from ..memory import MemoryFault
from .kinds import ArgBase, TypeFlag

if TYPE_CHECKING:
    from ..machine import Machine
    from .prototypes import HelperProto

# enum bpf_map_type numbers of the map types the compatibility table names.
PROG_ARRAY, PERF_EVENT_ARRAY, ARRAY_OF_MAPS, HASH_OF_MAPS = 3, 4, 12, 13
QUEUE, STACK, RINGBUF, BLOOM_FILTER, USER_RINGBUF = 22, 23, 27, 30, 31

# Helper ids, for the table below.
MAP_LOOKUP, TAIL_CALL, PERF_EVENT_OUTPUT = 1, 12, 25
PUSH, POP, PEEK = 87, 88, 89
RINGBUF_OUTPUT, RINGBUF_RESERVE, RINGBUF_QUERY = 130, 131, 134

# check_map_func_compatibility, first half: map types that accept only some helpers.
MAP_ONLY: dict[int, frozenset[int]] = {
    PROG_ARRAY: frozenset({TAIL_CALL}),
    PERF_EVENT_ARRAY: frozenset({22, PERF_EVENT_OUTPUT, 55, 111, 121}),
    RINGBUF: frozenset({RINGBUF_OUTPUT, RINGBUF_RESERVE, RINGBUF_QUERY, 198, 199, 200}),
    USER_RINGBUF: frozenset({209}),
    QUEUE: frozenset({PUSH, POP, PEEK}),
    STACK: frozenset({PUSH, POP, PEEK}),
    BLOOM_FILTER: frozenset({PUSH, PEEK}),
    ARRAY_OF_MAPS: frozenset({MAP_LOOKUP}),   # programs only look inner maps up
    HASH_OF_MAPS: frozenset({MAP_LOOKUP}),
}
# ... second half: helpers that accept only some map types.
HELPER_ONLY: dict[int, frozenset[int]] = {
    TAIL_CALL: frozenset({PROG_ARRAY}),
    PERF_EVENT_OUTPUT: frozenset({PERF_EVENT_ARRAY}),
    RINGBUF_OUTPUT: frozenset({RINGBUF}),
    RINGBUF_RESERVE: frozenset({RINGBUF}),
    RINGBUF_QUERY: frozenset({RINGBUF}),
    POP: frozenset({QUEUE, STACK}),
    PUSH: frozenset({QUEUE, STACK, BLOOM_FILTER}),
    PEEK: frozenset({QUEUE, STACK, BLOOM_FILTER}),
}


def map_type_of(bpf_map) -> int:
    return int(bpf_map.spec.type)


def check_map_compatible(bpf_map, proto: "HelperProto") -> None:
    """The verifier's map/helper pairing, with its message."""
    map_type = map_type_of(bpf_map)
    allowed_helpers = MAP_ONLY.get(map_type)
    allowed_maps = HELPER_ONLY.get(proto.id)
    if (allowed_helpers is not None and proto.id not in allowed_helpers) or (
            allowed_maps is not None and map_type not in allowed_maps):
        raise MachineFault(f"cannot pass map_type {map_type} into func {proto.name}#{proto.id}")


def _check_range(machine: "Machine", proto: "HelperProto", reg: int, addr: int, size: int,
                 access: str) -> None:
    try:
        region, _ = machine.memory.find(addr, size, access)
    except MemoryFault as fault:
        raise MemoryFault(fault.addr, fault.size, fault.access, fault.region,
                          f"R{reg} ({proto.name} argument {reg}): {fault.reason}") from None
    if access == "write" and not region.writable:
        raise MemoryFault(addr, size, access, region,
                          f"R{reg} ({proto.name} argument {reg}): {region.name} is read-only, "
                          f"but the helper writes {size} bytes at 0x{addr:x}")


def compile_checks(proto: "HelperProto") -> Callable[["Machine", Sequence[int]], None]:
    """The argument checks of ``proto`` as one function, decided once per prototype.

    Helper calls sit in programs' hot loops, so the kinds and flags are read here,
    not on every call.
    """
    steps: list[Callable] = []
    for index, kind in enumerate(proto.args):
        reg, base = index + 1, kind.base
        access = "write" if kind.has(TypeFlag.MEM_WRITE) or kind.has(TypeFlag.MEM_UNINIT) else "read"
        if base is ArgBase.ARG_CONST_MAP_PTR:
            steps.append(partial(_map_step, proto, index))
        elif base is ArgBase.ARG_PTR_TO_MAP_KEY:
            steps.append(partial(_map_range_step, proto, index, "key_size", "read"))
        elif base is ArgBase.ARG_PTR_TO_MAP_VALUE:
            steps.append(partial(_map_range_step, proto, index, "value_size", access))
        elif base is ArgBase.ARG_PTR_TO_MEM:
            steps.append(partial(_buffer_step, proto, index, access,
                                 kind.has(TypeFlag.PTR_MAYBE_NULL)))
        elif base is ArgBase.ARG_CONST_SIZE:
            steps.append(partial(_nonzero_size_step, reg))
        elif base is ArgBase.ARG_PTR_TO_CONST_STR:
            steps.append(partial(_string_step, proto, index))

    def check(machine: "Machine", args: Sequence[int]) -> None:
        bpf_map = None
        for step in steps:
            bpf_map = step(machine, args, bpf_map)
    return check


def _map_step(proto, index, machine, args, bpf_map):
    bpf_map = machine.map_at(args[index])
    check_map_compatible(bpf_map, proto)
    return bpf_map


def _map_range_step(proto, index, size_field, access, machine, args, bpf_map):
    _check_range(machine, proto, index + 1, args[index], getattr(bpf_map.spec, size_field), access)
    return bpf_map


def _buffer_step(proto, index, access, maybe_null, machine, args, bpf_map):
    reg, value, size = index + 1, args[index], args[index + 1]
    if value == 0 and maybe_null:
        if size:
            raise MachineFault(f"R{reg} is NULL but R{reg + 1} (its size) is {size}")
    elif size:
        _check_range(machine, proto, reg, value, size, access)
    return bpf_map


def _nonzero_size_step(reg, machine, args, bpf_map):
    if args[reg - 1] == 0:
        raise MachineFault(f"R{reg} invalid zero-sized read: u64=[0,0]")
    return bpf_map


def _string_step(proto, index, machine, args, bpf_map):
    _check_string(machine, proto, index + 1, args[index])
    return bpf_map


def _check_string(machine: "Machine", proto: "HelperProto", reg: int, addr: int) -> None:
    try:
        region, offset = machine.memory.find(addr, 1, "read")
    except MemoryFault as fault:
        raise MemoryFault(fault.addr, fault.size, fault.access, fault.region,
                          f"R{reg} ({proto.name} argument {reg}) is not a constant string: "
                          f"{fault.reason}") from None
    if region.data.find(0, offset) < 0:
        raise MachineFault(f"R{reg} ({proto.name} argument {reg}): string at 0x{addr:x} is "
                           f"not zero-terminated inside {region.name}")
