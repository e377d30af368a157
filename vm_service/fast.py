"""The fast run mode: ``run_fast(machine, budget, breakpoints)`` behaves exactly as
``machine.run(budget, breakpoints)`` without paying for one ``step()`` per instruction.

Each bpf function is translated once into Python (``fast_translate``: one Python
function per ``Unit`` of blocks), compiled on first entry and cached per Program
object. The driver below mirrors ``Machine.run``: before every stretch it checks
the terminal result, the budget and the breakpoints in the same order, then
either lets the translated code run whole blocks (as many as fit in the budget
and the instruction limit, stopping at breakpoints) or executes one instruction
with ``machine.step()``. Step mode handles everything the translation leaves
out: calls, helpers, exit, bpf_loop and tail calls, atomics, legacy loads,
memory faults, the last instructions before a budget or limit, blocks holding a
breakpoint, and starts in the middle of a block.

A machine whose behaviour the translation cannot know (a subclass overriding how
instructions execute, another Environment clock, another Memory) runs in step
mode: ``fast_eligible`` says which. So do registers poked out of the unsigned
64-bit range from outside, which the translated code assumes.
"""

from __future__ import annotations

import bisect
import weakref
from typing import Callable, Iterable

from .environment import Environment
from .fast_translate import Unit, UnitWriter, plan
from .machine import CLOBBERED_FLAGS, Event, Machine, fault_event
from .memory import Memory
from .opcodes import Kind
from .program import Program
from .semantics import MASK64, alu, endian

# How each register-mask value reads back: WRITTEN_BITS[mask] = registers set in it.
WRITTEN_BITS = tuple(tuple(reg for reg in range(11) if mask >> reg & 1) for mask in range(1 << 11))
ONES = {size: bytes([1] * size) for size in (1, 2, 4, 8)}
# The methods the translation re-implements; overriding any of them means step mode.
INLINED = ("step", "_end", "_set", "_set_dst", "_operand", "_alu", "_jump", "_load", "_store",
           "_lddw", "map_address", "_call", "helper", "helper_returned")
INLINED_KINDS = {Kind.ALU: "_alu", Kind.JUMP: "_jump", Kind.LOAD: "_load",
                 Kind.STORE: "_store", Kind.LDDW: "_lddw", Kind.CALL: "_call"}


def fast_eligible(machine: Machine) -> bool:
    """True when the translated code is known to do what this machine's step() does."""
    cls = type(machine)
    if any(getattr(cls, name) is not getattr(Machine, name) for name in INLINED):
        return False
    if any(name in vars(machine) for name in INLINED):
        return False
    execute = getattr(machine, "_execute", {})
    for kind, name in INLINED_KINDS.items():
        if getattr(execute.get(kind), "__func__", None) is not getattr(Machine, name):
            return False
    return type(machine.env) is Environment and type(machine.memory) is Memory


# -- translations, cached per Program object -------------------------------------


class Translation:
    """A Program's bpf functions as Python, each unit compiled on first entry."""

    def __init__(self, program: Program) -> None:
        self.units = plan(program)
        self.entries: dict[int, Unit] = {
            start: unit for unit in self.units for start in unit.blocks}
        self.starts = sorted(self.entries)
        self.compiled: dict[int, Callable | None] = {}
        self.guards: dict[frozenset[int], frozenset[int]] = {}

    def function_at(self, pc: int) -> Callable | None:
        """The compiled function that can start at ``pc`` (a block start), else None."""
        unit = self.entries.get(pc)
        if unit is None:
            return None
        try:
            return self.compiled[unit.start]
        except KeyError:
            compiled = self.compiled[unit.start] = compile_unit(unit)
            return compiled

    def guard(self, stops: frozenset[int]) -> frozenset[int]:
        """Block starts the translated code must not run from: breakpoints, and blocks
        with a breakpoint inside (step mode runs those, stopping where ``run`` would)."""
        guard = self.guards.get(stops)
        if guard is None:
            inner = set()
            for stop in stops:
                index = bisect.bisect_right(self.starts, stop) - 1
                if index >= 0:
                    start = self.starts[index]
                    if start < stop <= self.entries[start].blocks[start].last_pc:
                        inner.add(start)
            if len(self.guards) > 32:
                self.guards.clear()
            guard = self.guards[stops] = stops | frozenset(inner)
        return guard


def compile_unit(unit: Unit) -> Callable | None:
    """Compile one unit; None if Python cannot (it then runs in step mode)."""
    name = f"bpf_insn_{unit.start}"
    namespace = {"FB": int.from_bytes, "ALU": alu, "ENDIAN": endian}
    try:
        source = UnitWriter(unit).source(name)
        exec(compile(source, f"<bpf code at insn {unit.start}>", "exec"), namespace)
    except (RecursionError, MemoryError):  # too deep or too large for CPython
        return None
    return namespace[name]


_TRANSLATIONS: dict[int, tuple[weakref.ref, Translation]] = {}


def translation(program: Program) -> Translation:
    """The cached Translation of this Program object (dropped when the Program is)."""
    entry = _TRANSLATIONS.get(id(program))
    if entry is not None and entry[0]() is program:
        return entry[1]
    result = Translation(program)
    key = id(program)
    _TRANSLATIONS[key] = (weakref.ref(program), result)
    weakref.finalize(program, _TRANSLATIONS.pop, key, None)
    return result


# -- memory fast paths -------------------------------------------------------------


def memory_access(memory: Memory) -> tuple[Callable, Callable]:
    """LD(addr, size) -> int | None and ST(addr, size, blob) -> True if not stored.

    The same lookup as ``Memory.find``; where it would fault (or the region is
    read-only, or hooked: a program's context) they decline, and step() then
    performs the access, through the hook, or the fault.
    """
    bases, regions = memory.bases, memory.regions
    find = bisect.bisect_right
    from_bytes = int.from_bytes

    def load(addr: int, size: int) -> int | None:
        index = find(bases, addr) - 1
        if index >= 0:
            region = regions[index]
            offset = addr - region.base
            data = region.data
            if offset + size <= len(data) and region.hook is None:
                return from_bytes(data[offset:offset + size], "little")
        return None

    def store(addr: int, size: int, blob: bytes) -> bool:
        index = find(bases, addr) - 1
        if index >= 0:
            region = regions[index]
            offset = addr - region.base
            data = region.data
            if offset + size <= len(data) and region.writable and region.hook is None:
                data[offset:offset + size] = blob
                if region.written is not None:
                    region.written[offset:offset + size] = ONES[size]
                return False
        return True

    return load, store


NO_STACK = (0, bytearray(), bytearray(), -1)


def stack_access(machine: Machine) -> tuple[int, bytearray, bytearray, int]:
    """The current stack's base, bytes, written shadow and size, for inline accesses."""
    stack = machine.stack
    if (machine.memory.region_of(stack.data) is stack and stack.writable
            and stack.written is not None and len(stack.written) == len(stack.data)):
        return stack.base, stack.data, stack.written, len(stack.data)
    return NO_STACK


# -- the driver --------------------------------------------------------------------


class _Segments:
    """Runs stretches of translated code for one machine, recording its state after each."""

    def __init__(self, machine: Machine, stops: frozenset[int]) -> None:
        self.machine = machine
        self.stops = stops
        self.program: Program | None = None
        self.translation: Translation | None = None
        self.memory: Memory | None = None
        self.access: tuple[Callable, Callable] | None = None
        self.stack = None
        self.stack_view = NO_STACK

    def run(self, room: int) -> int:
        """Execute at most ``room`` instructions, whole blocks; how many ran (0: step instead)."""
        m = self.machine
        if room <= 0:
            return 0
        if m.program is not self.program:
            self.program, self.translation = m.program, translation(m.program)
        pc = m.pc
        function = self.translation.function_at(pc)
        if function is None:
            return 0
        guard = self.translation.guard(self.stops)
        regs = m.regs
        if pc in guard or len(regs) != 11 or min(regs) < 0 or max(regs) > MASK64:
            return 0
        if m.memory is not self.memory:
            self.memory, self.access = m.memory, memory_access(m.memory)
        if m.stack is not self.stack:
            self.stack, self.stack_view = m.stack, stack_access(m)
        load, store = self.access
        base, data, written, size = self.stack_view
        nmaps = len(m.maps) if m.resolve_pseudo is None else -1
        before = m.instructions
        pc, done, mask, ll = function(regs, m.loops_left, pc, room, guard, base, data, written,
                                      size, nmaps, load, store, self.step, self.call)
        if pc is not None:
            m.pc = pc
            self.record(done, mask, ll)
        return m.instructions - before

    def record(self, done: int, mask: int, ll: int) -> None:
        """Account for ``done`` translated instructions that wrote the registers in ``mask``."""
        m = self.machine
        m.instructions += done
        m.env.clock_ns += done * m.env.ns_per_insn
        m.loops_left = ll
        flags = m.written
        for reg in WRITTEN_BITS[mask]:
            flags[reg] = True

    def step(self, pc: int, done: int, mask: int, ll: int, next_pc: int) -> bool:
        """Record, step the instruction at ``pc``; may translated code go on at next_pc?"""
        m = self.machine
        m.pc = pc
        if done:
            self.record(done, mask, ll)
        stack, program = m.stack, m.program
        m.step()
        return (m.result is None and m.pc == next_pc and m.stack is stack
                and m.program is program)

    def call(self, pc: int, done: int, mask: int, ll: int, helper_id: int,
             r1: int, r2: int, r3: int, r4: int, r5: int) -> int | None:
        """What step() does for a helper call at ``pc``, ``done`` counting the call itself:
        the new r0, or None when it faulted (the machine then holds the fault event)."""
        m = self.machine
        m.pc = pc
        m.instructions += done  # record(), inlined: helper calls are hot
        env = m.env
        env.clock_ns += done * env.ns_per_insn
        m.loops_left = ll
        flags = m.written
        if mask:
            for reg in WRITTEN_BITS[mask]:
                flags[reg] = True
        try:
            helper = m.helpers.get(helper_id) or m.helper(helper_id)
            result = helper(m, r1, r2, r3, r4, r5)
        except Exception as error:  # as step(): any exception is the run's fault
            m.result = fault_event(pc, error)
            return None
        # Machine.helper_returned(), inlined (INLINED names it: an override means step mode).
        r0 = m.regs[0] = result & MASK64
        flags[1:6] = CLOBBERED_FLAGS
        flags[0] = not getattr(helper, "returns_void", False)
        m.pc = pc + 1
        return r0


def run_fast(machine: Machine, budget: int | None = None, breakpoints: Iterable[int] = ()) -> Event:
    """``machine.run(budget, breakpoints)``, with whole blocks run as translated Python.

    Same event, same machine state afterwards: the equivalence tests
    (tests/test_fast.py) compare both modes on every conformance vector and on
    generated programs.
    """
    if not fast_eligible(machine):
        return machine.run(budget, breakpoints)
    stops = frozenset(breakpoints)
    segments = _Segments(machine, stops)
    executed = 0
    while (stop := machine.stop_before_next(executed, budget, stops)) is None:
        room = machine.limit - machine.instructions
        if budget is not None:
            room = min(room, budget - executed)
        done = segments.run(room)
        if done:
            executed += done
            continue
        machine.step()
        executed += 1
    return stop
