"""Runs over events: one program on its attach point, handling events one after another.

A ``ProgramInstance`` is what the kernel holds once a program is loaded and
attached: the program, its type, its attach point and its maps, which persist
from one event to the next. Each event (a packet, a probe hit: an
``EventInput``) gets a fresh ``Machine`` whose context and packet the program
type builds from the event (``vm_service.progtypes``), with the event's task,
CPU and time in the Environment::

    instance = ProgramInstance(program, "xdp", maps=[counters])
    for result in run_events(instance, events):
        print(result.return_code_name, result.packet_out.hex())

``run_event`` runs one event to the end (fast mode by default: the same
result as stepping). The debugger steps instead: ``instance.start(event)``
gives an ``EventRun`` whose ``machine`` it steps, then ``result()``.

Between events the Environment's clock and random generator carry on; an
event's ``time_ns`` sets the clock, its ``task`` and ``cpu`` hold for that
event only. The task is also mapped as the kernel lays out ``struct
task_struct`` (``progtypes/current_task.py``): what bpf_get_current_task()
points to.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from .environment import Environment
from .events import EventInput
from .fast import run_fast
from .helpers import helper_name, implementations
from .machine import DEFAULT_LIMIT, Event, Machine
from .maps.base import BpfMap, MapSnapshot, diff
from .program import Program
from .progtypes import (Context, EventError, ProgramTypeSpec, ProgTypeError, lookup,
                        split_section)
from .progtypes.current_task import map_current_task
from .progtypes.event_memory import map_event_memory


@dataclass
class EventResult:
    """What one event's run produced.

    ``exit`` is the terminal event as a dict (kind, pc, message...);
    ``packet_out`` the packet as BPF_PROG_TEST_RUN's data_out would hold it
    (None for types without a packet); ``ctx_out`` likewise its ctx_out;
    ``output`` the trace_printk lines, ring-buffer and perf records;
    ``map_changes`` one entry per map that changed, with its element changes;
    ``redirect`` the target of a bpf_redirect the return code made effective.
    """

    r0: int
    exit: dict
    instructions: int
    packet_out: bytes | None
    output: list[dict]
    map_changes: list[dict]
    return_code_name: str | None = None
    redirect: dict | None = None
    ctx_out: bytes | None = None

    def to_dict(self) -> dict:
        return {
            "r0": self.r0,
            "exit": self.exit,
            "instructions": self.instructions,
            "packet_out_hex": None if self.packet_out is None else self.packet_out.hex(),
            "output": self.output,
            "map_changes": self.map_changes,
            "return_code": self.return_code_name,
            "redirect": self.redirect,
            "ctx_out_hex": None if self.ctx_out is None else self.ctx_out.hex(),
        }


def _hex_or(value) -> str | int | None:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return value


def map_changes(maps: list[BpfMap], before: list[MapSnapshot]) -> list[dict]:
    """Per changed map: its index (the ld_imm64 number), name and element changes, in hex."""
    out = []
    for index, (bpf_map, old) in enumerate(zip(maps, before)):
        changes = diff(old, bpf_map.snapshot())
        if changes:
            out.append({"map": index, "name": bpf_map.spec.name, "changes": [
                {"kind": c.kind, "key": _hex_or(c.key), "old": _hex_or(c.old),
                 "new": _hex_or(c.new)} for c in changes]})
    return out


@dataclass
class EventRun:
    """One event being handled: its Machine (to run or step) and what to compare against."""

    instance: "ProgramInstance"
    machine: Machine
    before: list[MapSnapshot]

    @property
    def context(self) -> Context:
        """The run's context (the machine's: a restored snapshot brings its own)."""
        return self.machine.context

    def run(self, fast: bool = True) -> Event:
        """Run to the end (or the instruction limit)."""
        return run_fast(self.machine) if fast else self.machine.run()

    def result(self) -> EventResult:
        """The result so far (call it after the run ends); the instance's clock moves on."""
        machine, context = self.machine, self.context
        spec = self.instance.spec
        event = machine.result or Event("paused", machine.pc, "the run has not ended")
        self.instance._carry_on(machine.env)
        r0 = machine.regs[0]
        exited = event.kind == "exit"
        redirect = None
        if exited and context.redirect is not None and spec.redirect_code is not None \
                and r0 & 0xFFFF_FFFF == spec.redirect_code:
            redirect = context.redirect
        return EventResult(
            r0=r0, exit=event.to_dict(), instructions=machine.instructions,
            packet_out=context.packet_out(), output=list(machine.output),
            map_changes=map_changes(self.instance.maps, self.before),
            return_code_name=spec.return_code_name(r0) if exited else None,
            redirect=redirect, ctx_out=context.ctx_out())


class ProgramInstance:
    """A program attached somewhere: its type, attach point and maps, shared by its events.

    ``prog_type`` is a kernel name or libbpf section name (``"xdp"``,
    ``"tc"``, ``"kprobe/do_sys_open"``, ``"tp/syscalls/sys_enter_openat"``);
    an attach point in it is used unless ``attach`` is given; ``retprobe``
    makes a kprobe a kretprobe (as the loader reports ``kretprobe/`` sections).
    ``maps`` are the program's maps by ld_imm64 index.
    """

    def __init__(self, program: Program, prog_type: str | ProgramTypeSpec, *,
                 maps: list[BpfMap] | tuple[BpfMap, ...] = (), attach: str = "",
                 retprobe: bool = False, env: Environment | None = None,
                 limit: int = DEFAULT_LIMIT):
        if isinstance(prog_type, ProgramTypeSpec):
            spec, named = prog_type, ""
        else:
            spec, named = split_section(prog_type)
        if retprobe:
            if spec.name not in ("kprobe", "kretprobe"):
                raise ProgTypeError(f"only kprobes have return probes, not {spec.name}")
            spec = lookup("kretprobe")
        self.program = program
        self.spec = spec
        self.attach = attach or named
        self.maps = list(maps)
        self.env = env or Environment()
        self.limit = limit
        self.helpers = implementations(spec.prog_type)
        self.sockets = 0   # BPF_PROG_TEST_RUN gives each packet a socket of its own

    def start(self, event: EventInput, *, ctx_in: bytes | None = None,
              limit: int | None = None) -> EventRun:
        """A Machine ready to handle ``event``, at its first instruction.

        ``ctx_in`` is what BPF_PROG_TEST_RUN's ctx_in would be (a ``struct
        __sk_buff`` or ``struct xdp_md``: mark, cb, metadata length...).
        Bad events raise ``EventError`` with the reason the kernel would give.
        """
        if ctx_in is not None and not self.spec.has_packet:
            raise EventError(f"ctx_in is a packet program's struct __sk_buff or struct xdp_md; "
                             f"a {self.spec.name} program's context comes from the event")
        env = self._event_env(event)
        machine = Machine(self.program, env=env, helpers=self.helpers, helper_name=helper_name,
                          maps=self.maps, limit=self.limit if limit is None else limit)
        map_current_task(machine.memory, env)
        map_event_memory(machine.memory, event.memory)
        context = self.spec.build(self.spec, machine.memory, event, ctx_in, self.attach, env.pid)
        if context.packet is not None:
            self.sockets += 1
            context.socket_cookie = self.sockets
        machine.attach_context(context)
        return EventRun(self, machine, [m.snapshot() for m in self.maps])

    def run_event(self, event: EventInput, *, fast: bool = True, ctx_in: bytes | None = None,
                  limit: int | None = None) -> EventResult:
        run = self.start(event, ctx_in=ctx_in, limit=limit)
        run.run(fast)
        return run.result()

    def _event_env(self, event: EventInput) -> Environment:
        env = copy.copy(self.env)    # keeps the random generator's state, unlike replace()
        if event.time_ns is not None:
            env.clock_ns = event.time_ns
        if event.cpu is not None:
            cpus = min((m.ncpus for m in self.maps), default=None)
            if cpus is not None and not 0 <= event.cpu < cpus:
                raise EventError(f"the event runs on CPU {event.cpu}, but the program's maps "
                                 f"were made for {cpus} CPU(s)")
            env.cpu = event.cpu
        task = event.task
        if task is not None:
            for name in ("pid", "tgid", "uid", "gid", "comm"):
                value = getattr(task, name)
                if value is not None:
                    setattr(env, name, value)
        return env

    def _carry_on(self, env: Environment) -> None:
        """The next event starts where this one's clock and random generator ended."""
        self.env.clock_ns = env.clock_ns
        self.env.prng_state = env.prng_state


def run_events(instance: ProgramInstance, events, *, fast: bool = True) -> list[EventResult]:
    """Handle ``events`` in order with one instance, its maps carried from one to the next."""
    return [instance.run_event(event, fast=fast) for event in events]
