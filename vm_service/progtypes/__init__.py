"""Program types with real contexts: what a program sees when the kernel runs it.

``lookup(name)`` gives a program type by its kernel name (``xdp``,
``socket_filter``, ``sched_cls``, ``sched_act``, ``cgroup_skb``, ``kprobe``,
``kretprobe``, ``tracepoint``, ``raw_tracepoint``, ``perf_event``) or a libbpf
section name (``socket``, ``tc``, ``classifier``, ``action``,
``kprobe/do_sys_open``, ``tp/syscalls/sys_enter_openat``...)::

    spec = progtypes.lookup("tc")
    context = spec.build(spec, machine.memory, event, ctx_in, attach, pid)
    machine.attach_context(context)

The modules, one concept each:

============= ==================================================================
table         the program types as one table (``ProgramTypeSpec`` rows)
fields        context field tables: the verifier's access rules as data
context       the context region and its hook (loads and stores per field)
packet        the kernel's packet buffer: headroom, packet, tailroom, window
skb           ``struct __sk_buff`` and the sk_buff test_run builds
xdp           ``struct xdp_md`` and the xdp_buff test_run builds
tracing       pt_regs, tracepoint records, raw tracepoint args, perf samples
tracepoints   tracepoint record formats (syscalls)
event_memory  the user and kernel memory an event provides, for probe helpers
current_task  the event's task as ``struct task_struct``, for bpf_get_current_task
============= ==================================================================

``vm_service.runner`` runs a program over events with these contexts;
``docs/program-types.md`` describes each type.
"""

from .context import Context, EventError
from .fields import ContextAccessError, CtxField, FieldTable, Grant
from .packet import PacketBuffer
from .table import PROGRAM_TYPES, ProgramTypeSpec, ProgTypeError, lookup, split_section

__all__ = ["PROGRAM_TYPES", "Context", "ContextAccessError", "CtxField", "EventError",
           "FieldTable", "Grant", "PacketBuffer", "ProgTypeError", "ProgramTypeSpec", "lookup",
           "split_section"]
