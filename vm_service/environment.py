"""The deterministic world a program runs in: virtual clock, seeded PRNG, CPU and task.

The same program with the same inputs and Environment gives the same run, which
is what makes stepping backwards and sharing a run possible. All state is plain
integers so a snapshot is a copy.
"""

from __future__ import annotations

from dataclasses import dataclass

MASK64 = 0xFFFF_FFFF_FFFF_FFFF


@dataclass
class Environment:
    seed: int = 0
    clock_ns: int = 1_000_000_000   # virtual CLOCK_MONOTONIC at the start of the run
    ns_per_insn: int = 1            # the clock advances by this per executed instruction (Machine.step)
    boot_offset_ns: int = 0         # CLOCK_BOOTTIME - CLOCK_MONOTONIC (time spent suspended)
    cpu: int = 0
    pid: int = 4242                 # thread id (the kernel's pid)
    tgid: int = 4242                # process id (the kernel's tgid)
    uid: int = 1000
    gid: int = 1000
    comm: str = "playground"        # the task's name; the kernel keeps 15 bytes and a NUL
    hz: int = 250                   # CONFIG_HZ, the jiffies rate (Debian kernels use 250)

    def __post_init__(self) -> None:
        self.prng_state = self.seed & MASK64

    def next_random_u64(self) -> int:
        """splitmix64: a tiny, well-mixed generator whose whole state is one integer."""
        self.prng_state = (self.prng_state + 0x9E3779B97F4A7C15) & MASK64
        z = self.prng_state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)
