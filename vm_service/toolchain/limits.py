"""The resource limits of one compile, measured against zig's clang 22.

zig is one static 185 MiB binary and needs about 190 MiB of address space to
start at all (below that clang crashes on start); compiling a gallery
example with the bundled headers peaks at about 40 MiB resident. One GiB of
address space leaves room for real programs, while a macro bomb that
allocates without end stops with "out of memory" in well under a second at
256 MiB. The source limit bounds what the pre-scan and clang read; the output
limit is the largest file clang may write (the object and its diagnostics),
enforced by the kernel (``RLIMIT_FSIZE``); the diagnostics limit is how much
of clang's text a result keeps.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    source_bytes: int = 256 * 1024
    wall_seconds: float = 10.0
    cpu_seconds: int = 8
    memory_bytes: int = 1024 * 1024 * 1024   # RLIMIT_AS of clang
    output_bytes: int = 8 * 1024 * 1024      # RLIMIT_FSIZE: the object and the diagnostics file
    diagnostics_bytes: int = 64 * 1024       # raw text kept for the result

    def __post_init__(self):
        for name in ("source_bytes", "wall_seconds", "cpu_seconds", "memory_bytes", "output_bytes", "diagnostics_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive")


DEFAULT_LIMITS = Limits()
