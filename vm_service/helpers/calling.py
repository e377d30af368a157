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
  kernel further insists on a read-only map value; raw mode has none to offer);
* ``ARG_PTR_TO_CTX`` is the program's context, unmodified, when the run has
  one (``machine.context``, see ``vm_service.progtypes``); raw mode has none,
  and takes any value;
* a buffer is never the context itself: the verifier refuses to pass ctx as
  memory (``R3 type=ctx expected=fp, pkt, ...``).

The implementation receives what the kernel's helper would: the map itself
(a ``BpfMap``) for ``ARG_CONST_MAP_PTR``, and the key or value bytes for a
key or a value the helper reads; every other argument stays the register's
number. A violation ends the run like the verifier's rejection would: a
``MemoryFault`` (which keeps the address for the UI) or a ``MachineFault``,
naming the register.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

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


def compatible(map_type: int, helper_id: int) -> bool:
    """The verifier's map/helper pairing (``check_map_func_compatibility``)."""
    allowed_helpers = MAP_ONLY.get(map_type)
    allowed_maps = HELPER_ONLY.get(helper_id)
    return not ((allowed_helpers is not None and helper_id not in allowed_helpers) or (
        allowed_maps is not None and map_type not in allowed_maps))


def incompatible_map_types(helper_id: int) -> frozenset[int]:
    """The map types a helper refuses, decided once: only types the tables name can be."""
    named = set(MAP_ONLY) | {t for types in HELPER_ONLY.values() for t in types}
    allowed_maps = HELPER_ONLY.get(helper_id)
    if allowed_maps is not None:  # every other type is refused too
        return frozenset(t for t in range(256) if not compatible(t, helper_id))
    return frozenset(t for t in named if not compatible(t, helper_id))


def check_map_compatible(bpf_map, proto: "HelperProto") -> None:
    """The verifier's map/helper pairing, with its message."""
    map_type = map_type_of(bpf_map)
    if not compatible(map_type, proto.id):
        raise MachineFault(f"cannot pass map_type {map_type} into func {proto.name}#{proto.id}")


# What the verifier lists as acceptable for a memory argument, in its words.
MEMORY_TYPES = "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"


def _check_range(machine: "Machine", proto: "HelperProto", reg: int, addr: int, size: int,
                 access: str) -> None:
    try:
        region, _ = machine.memory.find(addr, size, access)
    except MemoryFault as fault:
        raise MemoryFault(fault.addr, fault.size, fault.access, fault.region,
                          f"R{reg} ({proto.name} argument {reg}): {fault.reason}") from None
    if region.hook is not None:
        raise MachineFault(f"R{reg} type={region.hook.type_name} expected={MEMORY_TYPES}")
    if access == "write" and not region.writable:
        raise MemoryFault(addr, size, access, region,
                          f"R{reg} ({proto.name} argument {reg}): {region.name} is read-only, "
                          f"but the helper writes {size} bytes at 0x{addr:x}")


# step(machine, value, bpf_map, next_value) -> what the implementation receives for value
Step = Callable[["Machine", int, object, int], object]


def compile_arguments(proto: "HelperProto") -> Callable[..., tuple] | None:
    """The argument checks of ``proto`` as one function, decided once per prototype.

    ``resolve(machine, r1, r2, r3, r4, r5)`` checks the registers and returns the
    five arguments the implementation receives (maps, keys and read values
    turned into objects and bytes). None when the prototype has nothing to check.
    Helper calls sit in programs' hot loops, so the kinds and flags are read here,
    once, and the checks are written out as one straight Python function.
    """
    namespace: dict[str, Step] = {}
    lines = []
    bpf_map = "None"
    for index, kind in enumerate(proto.args):
        step = _step_for(proto, index, kind)
        if step is None:
            continue
        reg, following = f"r{index + 1}", f"r{index + 2}" if index < 4 else "0"
        namespace[f"step{reg}"] = step
        lines.append(f"    {reg} = step{reg}(machine, {reg}, {bpf_map}, {following})")
        if kind.base is ArgBase.ARG_CONST_MAP_PTR:
            bpf_map = reg
    if not lines:
        return None
    source = "\n".join(["def resolve(machine, r1, r2, r3, r4, r5):", *lines,
                        "    return r1, r2, r3, r4, r5"])
    exec(compile(source, f"<arguments of {proto.name}>", "exec"), namespace)
    return namespace["resolve"]


def _step_for(proto: "HelperProto", index: int, kind) -> Step | None:
    """The step that checks argument ``index`` of ``proto``, if its kind needs one."""
    base = kind.base
    access = "write" if kind.has(TypeFlag.MEM_WRITE) or kind.has(TypeFlag.MEM_UNINIT) else "read"
    if base is ArgBase.ARG_CONST_MAP_PTR:
        return _map_step(proto)
    if base is ArgBase.ARG_PTR_TO_MAP_KEY:
        return _map_read_step(proto, index, "key_size")
    if base is ArgBase.ARG_PTR_TO_MAP_VALUE and access == "read":
        return _map_read_step(proto, index, "value_size")
    if base is ArgBase.ARG_PTR_TO_MAP_VALUE:
        return _map_range_step(proto, index, access)
    if base is ArgBase.ARG_PTR_TO_MEM:
        return _buffer_step(proto, index, access, kind.has(TypeFlag.PTR_MAYBE_NULL))
    if base is ArgBase.ARG_CONST_SIZE:
        return _nonzero_size_step(index)
    if base is ArgBase.ARG_PTR_TO_CONST_STR:
        return _string_step(proto, index)
    if base is ArgBase.ARG_PTR_TO_CTX:
        return _context_step(proto, index)
    return None


# Each factory below returns one argument's step. (Closures, not functools.partial:
# they run on every helper call, and cost less.)

def _map_step(proto) -> Step:
    refused = incompatible_map_types(proto.id)

    def step(machine, value, bpf_map, following):
        bpf_map = machine.map_at(value)
        if bpf_map.spec.type in refused:
            check_map_compatible(bpf_map, proto)  # raises, with the kernel's message
        return bpf_map
    return step


def _map_read_step(proto, index, size_field) -> Step:
    """A key or value the helper reads: its bytes."""
    reg = index + 1

    def step(machine, value, bpf_map, following):
        try:
            return machine.memory.read_bytes(value, getattr(bpf_map, size_field))
        except MemoryFault as fault:
            raise MemoryFault(fault.addr, fault.size, fault.access, fault.region,
                              f"R{reg} ({proto.name} argument {reg}): {fault.reason}") from None
    return step


def _map_range_step(proto, index, access) -> Step:
    def step(machine, value, bpf_map, following):
        _check_range(machine, proto, index + 1, value, bpf_map.value_size, access)
        return value
    return step


def _buffer_step(proto, index, access, maybe_null) -> Step:
    """A buffer and its size, the next argument."""
    reg = index + 1

    def step(machine, value, bpf_map, size):
        if value == 0 and maybe_null:
            if size:
                raise MachineFault(f"R{reg} is NULL but R{reg + 1} (its size) is {size}")
        elif size:
            _check_range(machine, proto, reg, value, size, access)
        return value
    return step


def _nonzero_size_step(index) -> Step:
    def step(machine, value, bpf_map, following):
        if value == 0:
            raise MachineFault(f"R{index + 1} invalid zero-sized read: u64=[0,0]")
        return value
    return step


def _context_step(proto, index) -> Step:
    reg = index + 1

    def step(machine, value, bpf_map, following):
        context = machine.context
        if context is not None:
            context.require(machine, reg, value, proto.name)
        return value
    return step


def _string_step(proto, index) -> Step:
    def step(machine, value, bpf_map, following):
        _check_string(machine, proto, index + 1, value)
        return value
    return step


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
