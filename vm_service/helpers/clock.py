"""Time: bpf_ktime_get_ns, bpf_ktime_get_boot_ns, bpf_jiffies64, from the virtual clock.

The Environment's clock is CLOCK_MONOTONIC and advances by ``ns_per_insn`` per
executed instruction, so a run reads the same times every time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..semantics import MASK64

if TYPE_CHECKING:
    from ..machine import Machine

NSEC_PER_SEC = 1_000_000_000


def initial_jiffies(hz: int) -> int:
    """INITIAL_JIFFIES: jiffies start 5 minutes before their 32-bit wrap, to catch wrap bugs."""
    return (-300 * hz) & 0xFFFF_FFFF


def ktime_get_ns(m: "Machine", *_args: int) -> int:
    """Nanoseconds of CLOCK_MONOTONIC (time since boot, without suspend)."""
    return m.env.clock_ns


def ktime_get_boot_ns(m: "Machine", *_args: int) -> int:
    """Nanoseconds of CLOCK_BOOTTIME (since boot, including time suspended)."""
    return m.env.clock_ns + m.env.boot_offset_ns


def jiffies64(m: "Machine", *_args: int) -> int:
    """The 64-bit jiffies counter: INITIAL_JIFFIES plus HZ ticks per second of uptime."""
    env = m.env
    return (initial_jiffies(env.hz) + env.clock_ns * env.hz // NSEC_PER_SEC) & MASK64
