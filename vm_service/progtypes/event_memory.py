"""Memory an event provides: the user and kernel data a tracing program may probe.

A kprobe's argument is often a pointer (a filename, a struct); the event
gives the bytes behind it as ``memory``: (address, bytes) pairs. Each becomes
a region at its own address, user memory below the top of x86-64 user space,
kernel memory above. As in the kernel, a program reads it only through the
probe helpers (``bpf_probe_read_user``, ``bpf_probe_read_kernel_str``...):
the verifier refuses to dereference a scalar, so a direct load or store faults
with its message, and the helper layer refuses it as a buffer argument.
"""

from __future__ import annotations

from ..helpers.linux import TASK_SIZE_MAX
from ..memory import LayoutError, Memory, MemoryFault, Region, RegionKind
from .context import EventError


class ProbedOnly:
    """The hook of event memory: instructions may not touch it, helpers may copy it."""

    type_name = "scalar"

    def load(self, region: Region, offset: int, size: int) -> int:
        raise MemoryFault(region.base + offset, size, "read", region, self._message(region))

    def store(self, region: Region, offset: int, size: int, value: int) -> None:
        raise MemoryFault(region.base + offset, size, "write", region, self._message(region))

    @staticmethod
    def _message(region: Region) -> str:
        helper = "bpf_probe_read_user" if region.kind is RegionKind.USER else "bpf_probe_read_kernel"
        return (f"invalid mem access 'scalar': {region.name} is read with {helper}(), "
                f"a program cannot dereference it")


def map_event_memory(memory: Memory, pairs) -> list[Region]:
    """Map each (address, bytes) pair at its address; EventError if they cannot be placed."""
    regions = []
    for address, data in pairs:
        user = address < TASK_SIZE_MAX
        kind = RegionKind.USER if user else RegionKind.KERNEL
        name = f"{'user' if user else 'kernel'} memory at 0x{address:x}"
        if user and address + len(data) > TASK_SIZE_MAX:
            raise EventError(f"{name} runs past the end of user space (0x{TASK_SIZE_MAX:x})")
        try:
            region = memory.add(name, kind, bytes(data), writable=False, at=address)
        except LayoutError as error:
            raise EventError(str(error)) from None
        region.hook = ProbedOnly()
        regions.append(region)
    return regions
