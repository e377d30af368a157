"""The kernel's vocabulary for helper prototypes: argument and return kinds, program types.

The kernel encodes an argument's kind as one integer: a *base type* in the low
8 bits (``enum bpf_arg_type``: ``ARG_PTR_TO_MEM`` = 4) OR'ed with *type flags*
above them (``enum bpf_type_flag``: ``MEM_RDONLY`` = 1 << 9)::

    bit  31 ........................ 8 7 ........ 0
         | type flags (MEM_RDONLY,   | base type   |
         |  PTR_MAYBE_NULL, ...)     | (ARG_*)     |

so ``ARG_PTR_TO_MEM | MEM_RDONLY`` is a read-only buffer and
``ARG_PTR_TO_UNINIT_MEM`` is ``ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE``. Return
kinds use the same flags over ``enum bpf_return_type``. ``ArgKind`` and
``RetKind`` keep base and flags apart (the verifier will switch on the base) and
print the kernel's spelling; ``value`` is the kernel's integer. All numbers are
Linux 6.18's and ``tests/test_helper_table.py`` checks them against the running
kernel's BTF, which carries these internal enums too.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

BASE_TYPE_BITS = 8


class TypeFlag(enum.IntFlag):
    """``enum bpf_type_flag``: modifiers OR'ed onto a base type."""

    NONE = 0
    PTR_MAYBE_NULL = 1 << 8       # the pointer may be NULL
    MEM_RDONLY = 1 << 9           # the helper only reads the memory
    MEM_RINGBUF = 1 << 10         # memory handed out by a ring buffer
    MEM_USER = 1 << 11
    MEM_PERCPU = 1 << 12
    OBJ_RELEASE = 1 << 13         # the helper releases the reference it is given
    PTR_UNTRUSTED = 1 << 14
    MEM_UNINIT = 1 << 15          # the memory may be uninitialised: the helper fills it
    DYNPTR_TYPE_LOCAL = 1 << 16
    DYNPTR_TYPE_RINGBUF = 1 << 17
    MEM_FIXED_SIZE = 1 << 18
    MEM_ALLOC = 1 << 19
    PTR_TRUSTED = 1 << 20
    MEM_RCU = 1 << 21
    NON_OWN_REF = 1 << 22
    DYNPTR_TYPE_SKB = 1 << 23
    DYNPTR_TYPE_XDP = 1 << 24
    MEM_ALIGNED = 1 << 25
    MEM_WRITE = 1 << 26           # the helper writes the memory
    DYNPTR_TYPE_SKB_META = 1 << 27


class ArgBase(enum.IntEnum):
    """``enum bpf_arg_type``'s base types: what the verifier demands of r1-r5."""

    ARG_DONTCARE = 0              # unused argument
    ARG_CONST_MAP_PTR = 1         # a map (ld_imm64 of a map)
    ARG_PTR_TO_MAP_KEY = 2        # key_size bytes of readable memory
    ARG_PTR_TO_MAP_VALUE = 3      # value_size bytes of memory
    ARG_PTR_TO_MEM = 4            # a buffer whose size is the next argument
    ARG_PTR_TO_ARENA = 5
    ARG_CONST_SIZE = 6            # the size of the previous buffer, > 0
    ARG_CONST_SIZE_OR_ZERO = 7    # the size of the previous buffer, >= 0
    ARG_PTR_TO_CTX = 8            # the program's context (r1 at entry)
    ARG_ANYTHING = 9              # any initialised value
    ARG_PTR_TO_SPIN_LOCK = 10
    ARG_PTR_TO_SOCK_COMMON = 11
    ARG_PTR_TO_SOCKET = 12
    ARG_PTR_TO_BTF_ID = 13
    ARG_PTR_TO_RINGBUF_MEM = 14   # a record from bpf_ringbuf_reserve (ARG_PTR_TO_ALLOC_MEM)
    ARG_CONST_ALLOC_SIZE_OR_ZERO = 15  # a constant allocation size
    ARG_PTR_TO_BTF_ID_SOCK_COMMON = 16
    ARG_PTR_TO_PERCPU_BTF_ID = 17
    ARG_PTR_TO_FUNC = 18          # a bpf function (ld_imm64 src=4)
    ARG_PTR_TO_STACK = 19         # a pointer into the stack
    ARG_PTR_TO_CONST_STR = 20     # a NUL-terminated string in read-only memory
    ARG_PTR_TO_TIMER = 21
    ARG_KPTR_XCHG_DEST = 22
    ARG_PTR_TO_DYNPTR = 23


class RetBase(enum.IntEnum):
    """``enum bpf_return_type``'s base types: what r0 holds after the call."""

    RET_INTEGER = 0               # a scalar
    RET_VOID = 1                  # nothing: r0 is not readable afterwards
    RET_PTR_TO_MAP_VALUE = 2
    RET_PTR_TO_SOCKET = 3
    RET_PTR_TO_TCP_SOCK = 4
    RET_PTR_TO_SOCK_COMMON = 5
    RET_PTR_TO_MEM = 6
    RET_PTR_TO_MEM_OR_BTF_ID = 7
    RET_PTR_TO_BTF_ID = 8


class _Kind:
    """Shared by ArgKind and RetKind: a base type plus flags, spelt as the kernel does."""

    base: enum.IntEnum
    flags: TypeFlag
    NAMES: dict[int, str] = {}  # the kernel's own names for composite values

    @property
    def value(self) -> int:
        return int(self.base) | int(self.flags)

    def has(self, flag: TypeFlag) -> bool:
        return bool(self.flags & flag)

    def __str__(self) -> str:
        if self.value in self.NAMES:
            return self.NAMES[self.value]
        parts = [self.base.name] + [flag.name for flag in TypeFlag
                                    if flag and self.flags & flag]
        return " | ".join(parts)


@dataclass(frozen=True)
class ArgKind(_Kind):
    """One argument's kind: ``ARG_PTR_TO_MEM | MEM_RDONLY`` is ``ArgKind(ARG_PTR_TO_MEM, MEM_RDONLY)``."""

    base: ArgBase
    flags: TypeFlag = TypeFlag.NONE

    def __or__(self, flag: TypeFlag) -> "ArgKind":
        return ArgKind(self.base, self.flags | flag)

    def __repr__(self) -> str:
        return f"ArgKind({self})"


@dataclass(frozen=True)
class RetKind(_Kind):
    """The return kind: ``RET_PTR_TO_MAP_VALUE_OR_NULL`` is ``RET_PTR_TO_MAP_VALUE | PTR_MAYBE_NULL``."""

    base: RetBase
    flags: TypeFlag = TypeFlag.NONE

    def __or__(self, flag: TypeFlag) -> "RetKind":
        return RetKind(self.base, self.flags | flag)

    def __repr__(self) -> str:
        return f"RetKind({self})"


# The names include/linux/bpf.h gives composite kinds (their values are in BTF).
ARG_ANYTHING = ArgKind(ArgBase.ARG_ANYTHING)
ARG_CONST_MAP_PTR = ArgKind(ArgBase.ARG_CONST_MAP_PTR)
ARG_PTR_TO_MAP_KEY = ArgKind(ArgBase.ARG_PTR_TO_MAP_KEY)
ARG_PTR_TO_MAP_VALUE = ArgKind(ArgBase.ARG_PTR_TO_MAP_VALUE)
ARG_PTR_TO_MEM = ArgKind(ArgBase.ARG_PTR_TO_MEM)
ARG_PTR_TO_MEM_OR_NULL = ARG_PTR_TO_MEM | TypeFlag.PTR_MAYBE_NULL
ARG_PTR_TO_UNINIT_MEM = ARG_PTR_TO_MEM | TypeFlag.MEM_UNINIT | TypeFlag.MEM_WRITE
ARG_CONST_SIZE = ArgKind(ArgBase.ARG_CONST_SIZE)
ARG_CONST_SIZE_OR_ZERO = ArgKind(ArgBase.ARG_CONST_SIZE_OR_ZERO)
ARG_CONST_ALLOC_SIZE_OR_ZERO = ArgKind(ArgBase.ARG_CONST_ALLOC_SIZE_OR_ZERO)
ARG_PTR_TO_CTX = ArgKind(ArgBase.ARG_PTR_TO_CTX)
ARG_PTR_TO_FUNC = ArgKind(ArgBase.ARG_PTR_TO_FUNC)
ARG_PTR_TO_STACK_OR_NULL = ArgKind(ArgBase.ARG_PTR_TO_STACK, TypeFlag.PTR_MAYBE_NULL)
ARG_PTR_TO_CONST_STR = ArgKind(ArgBase.ARG_PTR_TO_CONST_STR)
ARG_PTR_TO_RINGBUF_MEM = ArgKind(ArgBase.ARG_PTR_TO_RINGBUF_MEM)
MEM_RDONLY, MEM_UNINIT, MEM_WRITE = TypeFlag.MEM_RDONLY, TypeFlag.MEM_UNINIT, TypeFlag.MEM_WRITE
PTR_MAYBE_NULL, OBJ_RELEASE = TypeFlag.PTR_MAYBE_NULL, TypeFlag.OBJ_RELEASE

RET_INTEGER = RetKind(RetBase.RET_INTEGER)
RET_VOID = RetKind(RetBase.RET_VOID)
RET_PTR_TO_MAP_VALUE_OR_NULL = RetKind(RetBase.RET_PTR_TO_MAP_VALUE, TypeFlag.PTR_MAYBE_NULL)
RET_PTR_TO_RINGBUF_MEM_OR_NULL = RetKind(RetBase.RET_PTR_TO_MEM,
                                         TypeFlag.MEM_RINGBUF | TypeFlag.PTR_MAYBE_NULL)
RET_PTR_TO_BTF_ID_TRUSTED = RetKind(RetBase.RET_PTR_TO_BTF_ID, TypeFlag.PTR_TRUSTED)

ArgKind.NAMES = {kind.value: name for name, kind in {
    "ARG_PTR_TO_MEM_OR_NULL": ARG_PTR_TO_MEM_OR_NULL,
    "ARG_PTR_TO_UNINIT_MEM": ARG_PTR_TO_UNINIT_MEM,
    "ARG_PTR_TO_STACK_OR_NULL": ARG_PTR_TO_STACK_OR_NULL,
}.items()}
RetKind.NAMES = {kind.value: name for name, kind in {
    "RET_PTR_TO_MAP_VALUE_OR_NULL": RET_PTR_TO_MAP_VALUE_OR_NULL,
    "RET_PTR_TO_RINGBUF_MEM_OR_NULL": RET_PTR_TO_RINGBUF_MEM_OR_NULL,
    "RET_PTR_TO_BTF_ID_TRUSTED": RET_PTR_TO_BTF_ID_TRUSTED,
}.items()}


class ProgType(enum.IntEnum):
    """``enum bpf_prog_type`` of Linux 6.18 (``BPF_PROG_TYPE_`` dropped)."""

    UNSPEC = 0
    SOCKET_FILTER = 1
    KPROBE = 2
    SCHED_CLS = 3
    SCHED_ACT = 4
    TRACEPOINT = 5
    XDP = 6
    PERF_EVENT = 7
    CGROUP_SKB = 8
    CGROUP_SOCK = 9
    LWT_IN = 10
    LWT_OUT = 11
    LWT_XMIT = 12
    SOCK_OPS = 13
    SK_SKB = 14
    CGROUP_DEVICE = 15
    SK_MSG = 16
    RAW_TRACEPOINT = 17
    CGROUP_SOCK_ADDR = 18
    LWT_SEG6LOCAL = 19
    LIRC_MODE2 = 20
    SK_REUSEPORT = 21
    FLOW_DISSECTOR = 22
    CGROUP_SYSCTL = 23
    RAW_TRACEPOINT_WRITABLE = 24
    CGROUP_SOCKOPT = 25
    TRACING = 26
    STRUCT_OPS = 27
    EXT = 28
    LSM = 29
    SK_LOOKUP = 30
    SYSCALL = 31
    NETFILTER = 32
