"""Linux constants the helpers answer with: errno values and the x86-64 address space.

The engine speaks Linux whatever the host is, so errno values are spelt out
here rather than taken from Python's ``errno`` (which follows the host).
"""

from __future__ import annotations

EPERM = 1
ENOENT = 2
E2BIG = 7
EAGAIN = 11
EFAULT = 14
EBUSY = 16
EEXIST = 17
EINVAL = 22
ENOSPC = 28
ERANGE = 34
EOPNOTSUPP = 95

# x86-64 with 4-level paging. User space is [0, TASK_SIZE_MAX); the kernel's
# nofault readers refuse anything below TASK_SIZE_MAX + PAGE_SIZE (-ERANGE),
# as they refuse non-canonical addresses and the vsyscall page.
PAGE_SIZE = 4096
TASK_SIZE_MAX = (1 << 47) - PAGE_SIZE
KERNEL_START = 0xFFFF_8000_0000_0000       # the first canonical kernel address
VSYSCALL_PAGE = 0xFFFF_FFFF_FF60_0000


def is_user_address(addr: int, size: int = 1) -> bool:
    """What access_ok() accepts: [addr, addr + size) lies in user space."""
    return addr + size <= TASK_SIZE_MAX


def kernel_read_allowed(addr: int) -> bool:
    """copy_from_kernel_nofault_allowed(): a canonical kernel address, not the vsyscall page."""
    return addr >= KERNEL_START and addr & ~(PAGE_SIZE - 1) != VSYSCALL_PAGE
