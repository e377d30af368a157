"""The kernel's fault-tolerant copies (``*_nofault``), over the Machine's simulated memory.

Helpers that read memory the program does not own (probe_read, the ``%s`` of
trace_printk) never fault in the kernel: they report -EFAULT or -ERANGE. These
functions give the same answers over ``vm_service.memory.Memory``:

* kernel reads refuse user and non-canonical addresses with -ERANGE
  (``copy_from_kernel_nofault_allowed``), and unmapped kernel memory with -EFAULT;
* user reads refuse anything outside user space with -EFAULT (``access_ok``).
  Every simulated region lies in the kernel half, so a user read finds nothing
  there: exactly what the kernel answers for a kernel pointer passed as a user one.

A result is the bytes read, or a negative errno.
"""

from __future__ import annotations

from ..memory import Memory, MemoryFault
from .linux import EFAULT, ERANGE, is_user_address, kernel_read_allowed


def _read(memory: Memory, addr: int, size: int) -> bytes | int:
    try:
        return memory.read_bytes(addr, size)
    except MemoryFault:
        return -EFAULT


def copy_from_kernel(memory: Memory, addr: int, size: int) -> bytes | int:
    """copy_from_kernel_nofault(): ``size`` bytes, -ERANGE (not a kernel address) or -EFAULT."""
    if not kernel_read_allowed(addr):
        return -ERANGE
    return _read(memory, addr, size)


def copy_from_user(memory: Memory, addr: int, size: int) -> bytes | int:
    """copy_from_user_nofault(): ``size`` bytes or -EFAULT."""
    if not is_user_address(addr, size):
        return -EFAULT
    return _read(memory, addr, size)


def _strncpy(memory: Memory, addr: int, count: int) -> bytes | int:
    """Bytes up to and including a NUL, at most ``count``; the last one becomes NUL if cut."""
    out = bytearray()
    while len(out) < count:
        try:
            region, offset = memory.find(addr + len(out), 1, "read")
        except MemoryFault:
            return -EFAULT
        chunk = region.data[offset:offset + count - len(out)]
        nul = chunk.find(0)
        if nul >= 0:
            return bytes(out + chunk[:nul + 1])
        out += chunk
    out[-1] = 0
    return bytes(out)


def strncpy_from_kernel(memory: Memory, addr: int, count: int) -> bytes | int:
    """strncpy_from_kernel_nofault(): the copied bytes (their length is the kernel's result)."""
    if count <= 0:
        return b""
    if not kernel_read_allowed(addr):
        return -ERANGE
    return _strncpy(memory, addr, count)


def strncpy_from_user(memory: Memory, addr: int, count: int) -> bytes | int:
    """strncpy_from_user_nofault(): as the kernel one, for user addresses."""
    if count <= 0:
        return b""
    if not is_user_address(addr):
        return -EFAULT
    return _strncpy(memory, addr, count)
