"""The contexts of tracing programs: registers, tracepoint records, raw arguments, samples.

* kprobe / kretprobe: ``struct pt_regs`` (x86-64, 168 bytes). A kprobe's
  ``args`` go to the registers of the x86-64 calling convention (di, si, dx,
  cx, r8, r9); a kretprobe's ``args[0]`` is the return value, in ax. The
  event's ``regs`` set any register by name. The verifier allows any aligned
  read inside the struct and no write (``kprobe_prog_is_valid_access``).
* tracepoint: the tracepoint's record (``tracepoints.py``); the common header
  is not readable, the rest is, at any aligned size.
* raw_tracepoint: ``struct bpf_raw_tracepoint_args { __u64 args[]; }``, the
  tracepoint's arguments as 64-bit values. The verifier allows 12; the kernel
  refuses to attach a program that reads more than the tracepoint has, so
  reading past the event's ``args`` is a fault.
* perf_event: ``struct bpf_perf_event_data { regs; __u64 sample_period; __u64
  addr; }``: the registers read as whole u64s only, the two counters at any
  size (``pe_prog_is_valid_access``). ``args`` are (sample_period, addr).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import EventInput
from ..machine import MachineFault
from ..memory import Memory
from .context import Context, EventError
from .fields import CtxField, FieldTable, Grant
from .tracepoints import TRACE_ENTRY_SIZE, TRACEPOINT_IDS, TracepointFormat, tracepoint

if TYPE_CHECKING:
    from .table import ProgramTypeSpec

# struct pt_regs of x86-64, in memory order; each 8 bytes.
PT_REGS = ("r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax", "cx", "dx",
           "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss")
PT_REGS_SIZE = 8 * len(PT_REGS)
ARG_REGS = ("di", "si", "dx", "cx", "r8", "r9")    # the x86-64 calling convention
RETURN_REG = "ax"
# The names with an "r"/"e" prefix people also write.
REG_ALIASES = {**{f"r{name}": name for name in ("ax", "bx", "cx", "dx", "si", "di", "bp", "sp",
                                                   "ip")},
               "eflags": "flags"}
MAX_RAW_TP_ARGS = 12                               # MAX_BPF_FUNC_ARGS
U64 = (1 << 64) - 1

PT_REGS_TABLE = FieldTable("struct pt_regs", PT_REGS_SIZE, tuple(
    CtxField(name, 8 * i, 8, Grant.NARROW) for i, name in enumerate(PT_REGS)))
PERF_EVENT_TABLE = FieldTable("struct bpf_perf_event_data", PT_REGS_SIZE + 16, (
    *(CtxField(f"regs.{name}", 8 * i, 8, Grant.EXACT) for i, name in enumerate(PT_REGS)),
    CtxField("sample_period", PT_REGS_SIZE, 8, Grant.NARROW),
    CtxField("addr", PT_REGS_SIZE + 8, 8, Grant.NARROW),
))


def register_values(event: EventInput, from_args: tuple[str, ...], what: str) -> bytes:
    """pt_regs bytes: ``event.args`` in the registers ``from_args``, then ``event.regs``."""
    if len(event.args) > len(from_args):
        raise EventError(f"{what} takes at most {len(from_args)} argument(s) in registers "
                         f"({', '.join(from_args)}); the event has {len(event.args)}")
    values = dict(zip(from_args, event.args))
    for name, value in event.regs.items():
        reg = REG_ALIASES.get(name.lower(), name.lower())
        if reg not in PT_REGS:
            raise EventError(f"unknown register {name!r}; struct pt_regs has "
                             f"{', '.join(PT_REGS)}")
        values[reg] = value
    return b"".join((values.get(name, 0) & U64).to_bytes(8, "little") for name in PT_REGS)


class RegsContext(Context):
    """kprobe and kretprobe: the probed function's registers."""

    def __init__(self, spec: "ProgramTypeSpec", memory: Memory, event: EventInput):
        retprobe = spec.name == "kretprobe"
        data = register_values(event, (RETURN_REG,) if retprobe else ARG_REGS,
                               "a kretprobe (its return value)" if retprobe else "a kprobe")
        super().__init__(spec, PT_REGS_TABLE, memory, data)


class PerfEventContext(Context):
    """perf_event: the sampled registers, the sample period and the sampled address."""

    def __init__(self, spec: "ProgramTypeSpec", memory: Memory, event: EventInput):
        if len(event.args) > 2:
            raise EventError("a perf_event sample takes at most 2 args: sample_period, addr")
        counters = (tuple(event.args) + (0, 0))[:2]
        regs = register_values(EventInput(regs=event.regs), (), "a perf_event sample")
        data = regs + b"".join((v & U64).to_bytes(8, "little") for v in counters)
        super().__init__(spec, PERF_EVENT_TABLE, memory, data)


class RawTracepointContext(Context):
    """raw_tracepoint: the tracepoint's arguments, u64 each."""

    def __init__(self, spec: "ProgramTypeSpec", memory: Memory, event: EventInput,
                 attach: str = ""):
        if len(event.args) > MAX_RAW_TP_ARGS:
            raise EventError(f"a raw tracepoint has at most {MAX_RAW_TP_ARGS} arguments, "
                             f"not {len(event.args)}")
        self.attach = attach
        self.count = len(event.args)
        table = FieldTable("struct bpf_raw_tracepoint_args", 8 * MAX_RAW_TP_ARGS, tuple(
            CtxField(f"args[{i}]", 8 * i, 8, Grant.NARROW,
                     kind="plain" if i < self.count else "absent")
            for i in range(MAX_RAW_TP_ARGS)))
        data = b"".join((v & U64).to_bytes(8, "little") for v in event.args)
        super().__init__(spec, table, memory, data.ljust(table.size, b"\0"))

    def computed(self, field: CtxField) -> int:
        where = f" {self.attach}" if self.attach else ""
        raise MachineFault(f"{field.name}: the raw tracepoint{where} has {self.count} "
                           f"argument(s); the kernel refuses to attach a program that reads "
                           f"more")


class TracepointContext(Context):
    """tracepoint: the record of the tracepoint named by the attach point."""

    def __init__(self, spec: "ProgramTypeSpec", memory: Memory, event: EventInput,
                 attach: str = "", pid: int = 0):
        if not attach:
            raise EventError("a tracepoint program needs its tracepoint, e.g. "
                             "tracepoint/syscalls/sys_enter_openat")
        try:
            self.format = tracepoint(attach)
            record = self.format.record(TRACEPOINT_IDS[self.format.name], pid, event.args)
        except (KeyError, ValueError) as error:
            raise EventError(str(error.args[0])) from None
        super().__init__(spec, tracepoint_table(self.format), memory, record)


def tracepoint_table(format: TracepointFormat) -> FieldTable:
    """A tracepoint record's access rules: the common header no, the rest at any size."""
    return FieldTable(f"the record of {format.name}", format.size, (
        CtxField("common", 0, TRACE_ENTRY_SIZE, Grant.NONE),
        CtxField("fields", TRACE_ENTRY_SIZE, format.size - TRACE_ENTRY_SIZE, Grant.NARROW),
    ))
