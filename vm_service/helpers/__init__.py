"""BPF helpers: the prototype table and the playground's implementations.

``implementations(prog_type)`` gives a Machine the helpers a program of that
type may call, keyed by the kernel's helper id; pass ``helper_name`` too, so a
known helper the type may not call faults with the kernel's message::

    machine = Machine.raw(program, helpers=implementations(None), helper_name=helper_name)

``None`` is raw mode: every helper all program types share. Each call first
checks its arguments against the prototype as the verifier would have
(``calling.py``), then runs the implementation, one module per family. An
implementation receives the machine and r1-r5, with a map argument as the map
itself and a key or value the helper reads as its bytes, as the kernel's
helpers receive a ``struct bpf_map *`` and a pointer to the key:

=========== ===============================================================
map_ops     map_lookup/update/delete_elem, map_push/pop/peek_elem
printk      trace_printk, snprintf (formatting in bprintf: the kernel's rules)
clock       ktime_get_ns, ktime_get_boot_ns, jiffies64
task        get_current_pid_tgid/uid_gid/comm/task, smp_processor_id, prandom
probe       probe_read{,_user,_kernel}{,_str}
ringbuf     ringbuf_output/reserve/submit/discard/query
perf        perf_event_output
strings     strncmp
control     tail_call, loop (markers: the Machine runs them)
=========== ===============================================================
"""

from __future__ import annotations

from ..helper_ids import helper_name
from ..machine import Helper, Machine, MachineFault
from ..maps.base import MapError
from .calling import compile_arguments
from .kinds import RET_VOID, ArgKind, ProgType, RetKind
from .prototypes import PROTOTYPES, HelperProto

__all__ = ["ENVIRONMENT_HELPERS", "PROTOTYPES", "ArgKind", "HelperProto", "ProgType", "RetKind",
           "bind", "helper_name", "implementations"]


def bind(proto: HelperProto) -> Helper:
    """The Machine-facing helper: argument checks, then the implementation."""
    impl = proto.impl
    resolve = compile_arguments(proto)

    def call(machine: Machine, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
        args = (r1, r2, r3, r4, r5) if resolve is None else resolve(machine, r1, r2, r3, r4, r5)
        try:
            return impl(machine, *args)
        except MapError as error:
            raise MachineFault(f"{proto.name}: {error.message}") from None
        except ValueError as error:  # a call the map model cannot take (a CPU it lacks)
            raise MachineFault(f"{proto.name}: {error}") from None

    call.__name__ = call.__qualname__ = proto.name
    call.proto = proto  # type: ignore[attr-defined]
    call.returns_void = proto.ret == RET_VOID  # type: ignore[attr-defined]
    return call


_BOUND: dict[int, Helper] = {helper_id: bind(proto) for helper_id, proto in PROTOTYPES.items()}


def implementations(prog_type: ProgType | None = None) -> dict[int, Helper]:
    """Helper id -> callable, for the helpers a ``prog_type`` program may call (None: raw mode)."""
    return {helper_id: _BOUND[helper_id] for helper_id, proto in PROTOTYPES.items()
            if proto.allowed_in(prog_type)}


# The helpers that need only the Environment; kept for callers written before the table.
ENVIRONMENT_HELPERS: dict[int, Helper] = {helper_id: _BOUND[helper_id]
                                          for helper_id in (5, 7, 8, 14, 15, 125)}
