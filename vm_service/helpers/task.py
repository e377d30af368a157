"""The current task and CPU: pid/tgid, uid/gid, comm, the task pointer, the CPU number, the PRNG.

All of it comes from the Environment, so a run is reproducible. bpf_get_current_task
returns the address of a small read-only region standing in for ``struct task_struct``;
its layout is ours (the kernel's depends on its configuration and is reached through
BTF/CO-RE), documented in ``TASK_LAYOUT``.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from ..memory import RegionKind

if TYPE_CHECKING:
    from ..machine import Machine

TASK_COMM_LEN = 16
TASK_REGION = "current task"

# The simulated task_struct, little-endian: offset, C declaration.
TASK_LAYOUT = (
    (0, "u32 pid;          /* thread id */"),
    (4, "u32 tgid;         /* process id */"),
    (8, "u32 uid;"),
    (12, "u32 gid;"),
    (16, "u32 cpu;         /* the CPU it runs on */"),
    (20, "u32 __pad;"),
    (24, "char comm[16];   /* NUL-terminated */"),
)
TASK_FORMAT = struct.Struct("<IIIII4x16s")


def comm_bytes(comm: str) -> bytes:
    """The task's name as the kernel stores it: at most 15 bytes, then NUL padding."""
    return comm.encode("utf-8", "replace")[:TASK_COMM_LEN - 1].ljust(TASK_COMM_LEN, b"\0")


def get_prandom_u32(m: "Machine", *_args: int) -> int:
    """A pseudo-random u32 from the Environment's seeded generator."""
    return m.env.next_random_u64() >> 32


def get_smp_processor_id(m: "Machine", *_args: int) -> int:
    return m.env.cpu


def get_current_pid_tgid(m: "Machine", *_args: int) -> int:
    """tgid << 32 | pid: the process id in the high half, the thread id in the low half."""
    return (m.env.tgid << 32) | m.env.pid


def get_current_uid_gid(m: "Machine", *_args: int) -> int:
    """gid << 32 | uid (in the initial user namespace)."""
    return (m.env.gid << 32) | m.env.uid


def get_current_comm(m: "Machine", buf: int, size: int, *_args: int) -> int:
    """strscpy_pad(): at most size - 1 bytes of the name, NUL-terminated, zero-padded to size."""
    if size:
        name = comm_bytes(m.env.comm).rstrip(b"\0")[:size - 1]
        m.memory.write_bytes(buf, name.ljust(size, b"\0"))
    return 0


def get_current_task(m: "Machine", *_args: int) -> int:
    """The address of the simulated task_struct (see TASK_LAYOUT), mapped read-only on first use."""
    for region in m.memory.regions:
        if region.name == TASK_REGION:
            return region.base
    env = m.env
    data = TASK_FORMAT.pack(env.pid, env.tgid, env.uid, env.gid, env.cpu, comm_bytes(env.comm))
    return m.memory.add(TASK_REGION, RegionKind.RODATA, data, writable=False).base
