"""The current task as the kernel lays it out: ``struct task_struct`` and its ``struct cred``.

``bpf_get_current_task()`` returns the address of the running task's
``struct task_struct``; tracing programs read it with ``bpf_probe_read_kernel``
(or ``BPF_CORE_READ``, which compiles to it): ``task->tgid``, ``task->comm``,
``task->cred->uid``. For each event the runner maps the task the event names
(``EventInput.task``, defaulting to the Environment's) with the offsets of
Linux 6.18 x86-64 from the simulated kernel's type table
(``vm_service/kernel_types.py``), so those reads find what they would in the
kernel. The helper (``helpers/task.py``) returns the region named
``TASK_REGION`` when one is mapped.

Filled: ``pid``, ``tgid``, ``comm``, ``thread_info.cpu``, the priorities
(120: nice 0), ``cred`` and ``real_cred`` (one ``struct cred`` whose uids and
gids are the task's), ``group_leader`` (the task itself when pid == tgid, else a
leader task for tgid). Everything else is zero, ``real_parent`` too: an event
names no parent. As kernel memory, the program reads it only through the probe
helpers (``event_memory.ProbedOnly``).
"""

from __future__ import annotations

from ..environment import Environment
from ..helpers.task import TASK_REGION, comm_bytes
from ..kernel_types import layout, size_of
from ..memory import Memory, Region, RegionKind
from .event_memory import ProbedOnly

# Where the simulated task and its credentials live: kernel addresses just past the
# playground's own regions.
TASK_ADDRESS = 0xFFFF_8886_0000_0000
CRED_ADDRESS = TASK_ADDRESS + 0x1000
LEADER_ADDRESS = TASK_ADDRESS + 0x2000
DEFAULT_PRIO = 120   # MAX_RT_PRIO + NICE_WIDTH / 2: a normal task at nice 0


def _put(buffer: bytearray, struct: str, field: str, value: int | bytes) -> None:
    """Write ``value`` into ``field`` of ``struct`` (a path like "thread_info.cpu")."""
    offset = 0
    for part in field.split("."):
        found = next(f for f in layout(struct) if f.field == part)
        offset += found.offset
        size = found.size
        struct = found.ctype.removeprefix("struct ")
    data = value if isinstance(value, bytes) else (value & ((1 << 8 * size) - 1)).to_bytes(
        size, "little")
    buffer[offset:offset + len(data)] = data


def task_struct(env: Environment, pid: int, leader: int) -> bytes:
    task = bytearray(size_of("task_struct"))
    values = {"pid": pid, "tgid": env.tgid, "comm": comm_bytes(env.comm),
              "thread_info.cpu": env.cpu, "prio": DEFAULT_PRIO, "static_prio": DEFAULT_PRIO,
              "normal_prio": DEFAULT_PRIO, "cred": CRED_ADDRESS, "real_cred": CRED_ADDRESS,
              "group_leader": leader}
    for field, value in values.items():
        _put(task, "task_struct", field, value)
    return bytes(task)


def cred(env: Environment) -> bytes:
    data = bytearray(size_of("cred"))
    for field in ("uid", "suid", "euid", "fsuid"):
        _put(data, "cred", field, env.uid)
    for field in ("gid", "sgid", "egid", "fsgid"):
        _put(data, "cred", field, env.gid)
    return bytes(data)


def map_current_task(memory: Memory, env: Environment) -> Region:
    """Map the current task (and its cred and group leader) for one event."""
    leader = TASK_ADDRESS if env.pid == env.tgid else LEADER_ADDRESS
    regions = [(TASK_REGION, TASK_ADDRESS, task_struct(env, env.pid, leader)),
               ("current task's cred", CRED_ADDRESS, cred(env))]
    if leader != TASK_ADDRESS:
        regions.append(("group leader task", LEADER_ADDRESS,
                        task_struct(env, env.tgid, LEADER_ADDRESS)))
    mapped = []
    for name, address, data in regions:
        region = memory.add(name, RegionKind.KERNEL, data, writable=False, at=address)
        region.hook = ProbedOnly()
        mapped.append(region)
    return mapped[0]
