"""bpf_probe_read{,_user,_kernel}{,_str}: copy memory the program does not own, never faulting.

Each copies from an arbitrary address into the program's buffer (``dst``,
``size`` bytes, checked writable before the call). They follow the kernel:

* a failed copy returns a negative errno and zeroes all ``size`` bytes of dst;
* kernel reads of a user or non-canonical address give -ERANGE, of unmapped
  kernel memory -EFAULT; user reads of anything not in user space give -EFAULT
  (see ``access.py``: every simulated region is kernel memory);
* the plain variants return 0; the ``_str`` variants return the number of
  bytes copied including the NUL, cut at ``size`` (whose last byte then becomes
  the NUL), and leave the rest of dst untouched;
* the legacy bpf_probe_read/bpf_probe_read_str read user memory below
  TASK_SIZE and kernel memory above it, as on x86-64.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from . import access
from .linux import TASK_SIZE_MAX

if TYPE_CHECKING:
    from ..machine import Machine
    from ..memory import Memory


def _copy(m: "Machine", dst: int, size: int, data: bytes | int) -> int:
    if isinstance(data, int):
        m.memory.write_bytes(dst, bytes(size))
        return data
    m.memory.write_bytes(dst, data)
    return 0


def _copy_str(m: "Machine", dst: int, size: int, data: bytes | int) -> int:
    if isinstance(data, int):
        m.memory.write_bytes(dst, bytes(size))
        return data
    m.memory.write_bytes(dst, data)
    return len(data)


def _compat(user: Callable, kernel: Callable) -> Callable:
    def read(memory: "Memory", addr: int, size: int):
        return (user if addr < TASK_SIZE_MAX else kernel)(memory, addr, size)
    return read


def probe_read_kernel(m: "Machine", dst: int, size: int, src: int, *_args: int) -> int:
    return _copy(m, dst, size, access.copy_from_kernel(m.memory, src, size))


def probe_read_user(m: "Machine", dst: int, size: int, src: int, *_args: int) -> int:
    return _copy(m, dst, size, access.copy_from_user(m.memory, src, size))


def probe_read(m: "Machine", dst: int, size: int, src: int, *_args: int) -> int:
    read = _compat(access.copy_from_user, access.copy_from_kernel)
    return _copy(m, dst, size, read(m.memory, src, size))


def probe_read_kernel_str(m: "Machine", dst: int, size: int, src: int, *_args: int) -> int:
    return _copy_str(m, dst, size, access.strncpy_from_kernel(m.memory, src, size))


def probe_read_user_str(m: "Machine", dst: int, size: int, src: int, *_args: int) -> int:
    return _copy_str(m, dst, size, access.strncpy_from_user(m.memory, src, size))


def probe_read_str(m: "Machine", dst: int, size: int, src: int, *_args: int) -> int:
    read = _compat(access.strncpy_from_user, access.strncpy_from_kernel)
    return _copy_str(m, dst, size, read(m.memory, src, size))
