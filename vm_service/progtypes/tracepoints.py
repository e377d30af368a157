"""Tracepoint record formats: what a tracepoint program's context points at.

A tracepoint program receives the tracepoint's raw record, laid out as the
event's ``format`` file in tracefs describes it
(``/sys/kernel/tracing/events/<category>/<name>/format``): the common header
``struct trace_entry`` (u16 type, u8 flags, u8 preempt_count, s32 pid), then
the event's own fields. The verifier keeps the program out of the common
header (``tp_prog_is_valid_access``: offsets below 8 are refused) and lets it
read the rest at any aligned size.

The playground knows the raw syscall tracepoints and the per-syscall ones for
a useful set of x86-64 system calls. Every ``syscalls/sys_enter_<name>``
record is the syscall number (an int, then 4 bytes of padding) and each
argument as 8 bytes from offset 16; every ``sys_exit_<name>`` record the
number and the return value (a long at 16). ``tests/test_context_tracing.py``
checks these layouts against the running kernel's tracefs.

``common_type`` is the event's id, which the kernel assigns at boot; the
playground numbers its tracepoints itself (``TRACEPOINT_IDS``).
"""

from __future__ import annotations

from dataclasses import dataclass

TRACE_ENTRY_SIZE = 8   # struct trace_entry

# name: (x86-64 syscall number, the arguments as the tracepoint format declares them)
SYSCALLS: dict[str, tuple[int, tuple[str, ...]]] = {
    "read": (0, ("unsigned int fd", "char * buf", "size_t count")),
    "write": (1, ("unsigned int fd", "const char * buf", "size_t count")),
    "open": (2, ("const char * filename", "int flags", "umode_t mode")),
    "close": (3, ("unsigned int fd",)),
    "mmap": (9, ("unsigned long addr", "unsigned long len", "unsigned long prot",
                 "unsigned long flags", "unsigned long fd", "unsigned long off")),
    "mprotect": (10, ("unsigned long start", "size_t len", "unsigned long prot")),
    "getpid": (39, ()),
    "socket": (41, ("int family", "int type", "int protocol")),
    "connect": (42, ("int fd", "struct sockaddr * uservaddr", "int addrlen")),
    "accept": (43, ("int fd", "struct sockaddr * upeer_sockaddr", "int * upeer_addrlen")),
    "sendto": (44, ("int fd", "void * buff", "size_t len", "unsigned int flags",
                    "struct sockaddr * addr", "int addr_len")),
    "recvfrom": (45, ("int fd", "void * ubuf", "size_t size", "unsigned int flags",
                      "struct sockaddr * addr", "int * addr_len")),
    "bind": (49, ("int fd", "struct sockaddr * umyaddr", "int addrlen")),
    "listen": (50, ("int fd", "int backlog")),
    "clone": (56, ("unsigned long clone_flags", "unsigned long newsp", "int * parent_tidptr",
                   "int * child_tidptr", "unsigned long tls")),
    "fork": (57, ()),
    "vfork": (58, ()),
    "execve": (59, ("const char * filename", "const char *const * argv",
                    "const char *const * envp")),
    "kill": (62, ("pid_t pid", "int sig")),
    "chdir": (80, ("const char * filename",)),
    "ptrace": (101, ("long request", "long pid", "unsigned long addr", "unsigned long data")),
    "setuid": (105, ("uid_t uid",)),
    "exit_group": (231, ("int error_code",)),
    "openat": (257, ("int dfd", "const char * filename", "int flags", "umode_t mode")),
    "mkdirat": (258, ("int dfd", "const char * pathname", "umode_t mode")),
    "unlinkat": (263, ("int dfd", "const char * pathname", "int flag")),
    "accept4": (288, ("int fd", "struct sockaddr * upeer_sockaddr", "int * upeer_addrlen",
                      "int flags")),
    "bpf": (321, ("int cmd", "union bpf_attr * uattr", "unsigned int size")),
    "execveat": (322, ("int fd", "const char * filename", "const char *const * argv",
                       "const char *const * envp", "int flags")),
}


@dataclass(frozen=True)
class TraceField:
    """One field of a record after the common header: its declaration, offset and size.

    An array field (``unsigned long args[6]``) has ``count`` elements, which an
    event fills one by one as ``args[0]``, ``args[1]``...
    """

    decl: str        # as the format file spells it: "const char * filename"
    offset: int
    size: int
    count: int = 1

    @property
    def name(self) -> str:
        return self.decl.split()[-1].split("[")[0]

    @property
    def inputs(self) -> tuple[str, ...]:
        """The names an event's args fill: the field, or each element of an array."""
        if self.count == 1:
            return (self.name,)
        return tuple(f"{self.name}[{i}]" for i in range(self.count))


@dataclass(frozen=True)
class TracepointFormat:
    """A tracepoint's record. ``inputs`` are the fields an event's ``args`` fill, in order;
    ``fixed`` the fields the tracepoint itself fills (the syscall number)."""

    name: str                                   # "syscalls/sys_enter_openat"
    size: int                                   # bytes of the record
    fields: tuple[TraceField, ...]
    inputs: tuple[str, ...]
    fixed: tuple[tuple[str, int], ...] = ()

    def __deepcopy__(self, memo: dict) -> "TracepointFormat":
        return self   # immutable: machine snapshots share it

    def field(self, name: str) -> TraceField:
        return next(f for f in self.fields if f.name == name)

    def record(self, common_type: int, pid: int, args: tuple[int, ...]) -> bytes:
        """The record for one event: the common header, the fixed fields, then ``args``."""
        if len(args) > len(self.inputs):
            raise ValueError(f"{self.name} takes {len(self.inputs)} argument(s) "
                             f"({', '.join(self.inputs) or 'none'}), not {len(args)}")
        data = bytearray(self.size)
        data[0:2] = common_type.to_bytes(2, "little")
        data[4:8] = (pid & 0xFFFFFFFF).to_bytes(4, "little")
        values = dict(self.fixed)
        values.update(zip(self.inputs, args))
        for f in self.fields:
            width = f.size // f.count
            for index, name in enumerate(f.inputs):
                value = values.get(name, 0) & ((1 << (8 * width)) - 1)
                at = f.offset + index * width
                data[at:at + width] = value.to_bytes(width, "little")
        return bytes(data)


def _sys_enter(name: str, nr: int, args: tuple[str, ...]) -> TracepointFormat:
    fields = (TraceField("int __syscall_nr", 8, 4),
              *(TraceField(decl, 16 + 8 * i, 8) for i, decl in enumerate(args)))
    inputs = tuple(f.name for f in fields[1:])
    size = 16 + 8 * len(args) if args else 12   # the record ends with its last field
    return TracepointFormat(f"syscalls/sys_enter_{name}", size, fields, inputs,
                            (("__syscall_nr", nr),))


def _sys_exit(name: str, nr: int) -> TracepointFormat:
    fields = (TraceField("int __syscall_nr", 8, 4), TraceField("long ret", 16, 8))
    return TracepointFormat(f"syscalls/sys_exit_{name}", 24, fields, ("ret",),
                            (("__syscall_nr", nr),))


RAW_SYSCALLS = (
    TracepointFormat("raw_syscalls/sys_enter", 64,
                     (TraceField("long id", 8, 8), TraceField("unsigned long args[6]", 16, 48, 6)),
                     ("id", *(f"args[{i}]" for i in range(6)))),
    TracepointFormat("raw_syscalls/sys_exit", 24,
                     (TraceField("long id", 8, 8), TraceField("long ret", 16, 8)), ("id", "ret")),
)

TRACEPOINTS: dict[str, TracepointFormat] = {
    tp.name: tp for tp in (
        *RAW_SYSCALLS,
        *(_sys_enter(name, nr, args) for name, (nr, args) in SYSCALLS.items()),
        *(_sys_exit(name, nr) for name, (nr, _) in SYSCALLS.items()),
    )
}
# The playground's event ids (the kernel assigns its own at boot).
TRACEPOINT_IDS: dict[str, int] = {name: 1000 + i for i, name in enumerate(TRACEPOINTS)}


def tracepoint(name: str) -> TracepointFormat:
    """The format of ``category/name`` (``tp/`` or ``tracepoint/`` prefixes allowed)."""
    for prefix in ("tracepoint/", "tp/"):
        name = name.removeprefix(prefix)
    try:
        return TRACEPOINTS[name]
    except KeyError:
        raise KeyError(f"unknown tracepoint {name!r}; the playground knows "
                       f"raw_syscalls/sys_enter, raw_syscalls/sys_exit and "
                       f"syscalls/sys_enter_* and sys_exit_* for: "
                       f"{', '.join(sorted(SYSCALLS))}") from None
