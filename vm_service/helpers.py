"""Helpers that need only the Environment (clock, PRNG, CPU, task).

Helper functions take the machine and r1-r5 and return r0. IDs are the kernel's
``enum bpf_func_id`` values. Map, output and context helpers join this table
with the subsystems they need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .machine import Machine


def ktime_get_ns(m: "Machine", *_args: int) -> int:
    return m.env.clock_ns


def ktime_get_boot_ns(m: "Machine", *_args: int) -> int:
    return m.env.clock_ns + m.env.boot_offset_ns


def get_prandom_u32(m: "Machine", *_args: int) -> int:
    return m.env.next_random_u64() >> 32


def get_smp_processor_id(m: "Machine", *_args: int) -> int:
    return m.env.cpu


def get_current_pid_tgid(m: "Machine", *_args: int) -> int:
    return (m.env.tgid << 32) | m.env.pid


def get_current_uid_gid(m: "Machine", *_args: int) -> int:
    return (m.env.gid << 32) | m.env.uid


ENVIRONMENT_HELPERS = {
    5: ktime_get_ns,
    7: get_prandom_u32,
    8: get_smp_processor_id,
    14: get_current_pid_tgid,
    15: get_current_uid_gid,
    125: ktime_get_boot_ns,
}
