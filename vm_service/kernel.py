"""The live kernel as an oracle: a small ctypes wrapper over the bpf(2) syscall.

Only what differential testing needs: load a program (capturing the verifier
log), run it with ``BPF_PROG_TEST_RUN``, and create, read, write, walk and
freeze maps (``map_get_next_key``, ``map_lookup_and_delete`` for a queue's
pop; a ``None`` key is the NULL pointer keyless maps want). No dependencies
beyond the standard library, and nothing here is used by the engine itself:
the kernel is the reference the engine is checked against.

Each command fills the member of the kernel's ``union bpf_attr`` that it uses
(see ``include/uapi/linux/bpf.h``) and passes that member's size; the kernel
treats missing trailing fields as zero. ctypes gives every ``c_uint64`` its
natural 8-byte alignment, which is what ``__aligned_u64`` asks for.

Errors are ``KernelError(errno, message, log)``. A verifier rejection is not an
error: ``prog_load`` returns a ``LoadResult`` whose ``fd`` is None, with the
errno and the verifier's log, because a rejection is an answer the oracle gives.
"""

from __future__ import annotations

import ctypes
import enum
import errno as errno_codes
import functools
import os
import platform
from dataclasses import dataclass

from .maps.base import MapType  # the kernel numbers, defined once

# __NR_bpf per machine (platform.machine()). Architectures on the generic
# syscall table (arm64, riscv64, loongarch64) share 280.
SYSCALL_NUMBERS = {
    "x86_64": 321,
    "amd64": 321,
    "aarch64": 280,
    "arm64": 280,
    "riscv64": 280,
    "loongarch64": 280,
}

OBJ_NAME_LEN = 16        # BPF_OBJ_NAME_LEN
ETH_HLEN = 14            # skb-based programs need at least an Ethernet header of data
LOG_SIZE_START = 1 << 16
LOG_SIZE_MAX = 1 << 28   # the kernel refuses log_size above UINT_MAX >> 2 (1 GiB)


class Cmd(enum.IntEnum):
    """``enum bpf_cmd``: the first argument of bpf(2)."""

    MAP_CREATE = 0
    MAP_LOOKUP_ELEM = 1
    MAP_UPDATE_ELEM = 2
    MAP_DELETE_ELEM = 3
    MAP_GET_NEXT_KEY = 4
    PROG_LOAD = 5
    PROG_TEST_RUN = 10
    OBJ_GET_INFO_BY_FD = 15
    BTF_LOAD = 18
    MAP_LOOKUP_AND_DELETE_ELEM = 21
    MAP_FREEZE = 22


class ProgType(enum.IntEnum):
    """``enum bpf_prog_type`` (the ones test_run supports without attaching)."""

    SOCKET_FILTER = 1
    SCHED_CLS = 3
    SCHED_ACT = 4
    XDP = 6
    CGROUP_SKB = 8
    LWT_IN = 10
    RAW_TRACEPOINT = 17
    FLOW_DISSECTOR = 22
    SYSCALL = 31


PERCPU_MAP_TYPES = frozenset({MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH})


class MapFlag(enum.IntFlag):
    """``map_flags`` of BPF_MAP_CREATE (the anonymous enum beside ``BPF_F_NO_PREALLOC``)."""

    NO_PREALLOC = 1 << 0
    NO_COMMON_LRU = 1 << 1
    NUMA_NODE = 1 << 2
    RDONLY = 1 << 3
    WRONLY = 1 << 4
    STACK_BUILD_ID = 1 << 5
    ZERO_SEED = 1 << 6
    RDONLY_PROG = 1 << 7
    WRONLY_PROG = 1 << 8
    CLONE = 1 << 9
    MMAPABLE = 1 << 10
    PRESERVE_ELEMS = 1 << 11
    INNER_MAP = 1 << 12
    LINK = 1 << 13
    PATH_FD = 1 << 14
    VTYPE_BTF_OBJ_FD = 1 << 15
    TOKEN_FD = 1 << 16
    SEGV_ON_FAULT = 1 << 17
    NO_USER_CONV = 1 << 18


class UpdateFlag(enum.IntEnum):
    """``flags`` of BPF_MAP_UPDATE_ELEM."""

    ANY = 0       # create or update
    NOEXIST = 1   # create only
    EXIST = 2     # update only
    LOCK = 4      # BPF_F_LOCK: under the value's bpf_spin_lock (needs BTF)


class LogLevel(enum.IntEnum):
    """``log_level`` of BPF_PROG_LOAD."""

    NONE = 0
    BRANCHES = 1   # states at branch points, then the summary
    EVERY_INSN = 2  # the register state after every instruction
    STATS = 4      # verification statistics


# -- union bpf_attr members ----------------------------------------------------

class MapCreateAttr(ctypes.Structure):
    _fields_ = [
        ("map_type", ctypes.c_uint32),
        ("key_size", ctypes.c_uint32),
        ("value_size", ctypes.c_uint32),
        ("max_entries", ctypes.c_uint32),
        ("map_flags", ctypes.c_uint32),
        ("inner_map_fd", ctypes.c_uint32),
        ("numa_node", ctypes.c_uint32),
        ("map_name", ctypes.c_char * OBJ_NAME_LEN),
        ("map_ifindex", ctypes.c_uint32),
        ("btf_fd", ctypes.c_uint32),
        ("btf_key_type_id", ctypes.c_uint32),
        ("btf_value_type_id", ctypes.c_uint32),
        ("btf_vmlinux_value_type_id", ctypes.c_uint32),
        ("map_extra", ctypes.c_uint64),
    ]


class MapElemAttr(ctypes.Structure):
    _fields_ = [
        ("map_fd", ctypes.c_uint32),
        ("key", ctypes.c_uint64),     # user pointer
        ("value", ctypes.c_uint64),   # user pointer (next_key for GET_NEXT_KEY)
        ("flags", ctypes.c_uint64),
    ]


class ProgLoadAttr(ctypes.Structure):
    _fields_ = [
        ("prog_type", ctypes.c_uint32),
        ("insn_cnt", ctypes.c_uint32),
        ("insns", ctypes.c_uint64),
        ("license", ctypes.c_uint64),
        ("log_level", ctypes.c_uint32),
        ("log_size", ctypes.c_uint32),
        ("log_buf", ctypes.c_uint64),
        ("kern_version", ctypes.c_uint32),
        ("prog_flags", ctypes.c_uint32),
        ("prog_name", ctypes.c_char * OBJ_NAME_LEN),
        ("prog_ifindex", ctypes.c_uint32),
        ("expected_attach_type", ctypes.c_uint32),
        ("prog_btf_fd", ctypes.c_uint32),
        ("func_info_rec_size", ctypes.c_uint32),
        ("func_info", ctypes.c_uint64),
        ("func_info_cnt", ctypes.c_uint32),
        ("line_info_rec_size", ctypes.c_uint32),
        ("line_info", ctypes.c_uint64),
        ("line_info_cnt", ctypes.c_uint32),
        ("attach_btf_id", ctypes.c_uint32),
        ("attach_prog_fd", ctypes.c_uint32),
        ("core_relo_cnt", ctypes.c_uint32),
        ("fd_array", ctypes.c_uint64),
        ("core_relos", ctypes.c_uint64),
        ("core_relo_rec_size", ctypes.c_uint32),
        ("log_true_size", ctypes.c_uint32),  # output (6.4+): the log size the kernel needed
    ]


class TestRunAttr(ctypes.Structure):
    _fields_ = [
        ("prog_fd", ctypes.c_uint32),
        ("retval", ctypes.c_uint32),          # output: the low 32 bits of r0
        ("data_size_in", ctypes.c_uint32),
        ("data_size_out", ctypes.c_uint32),   # in: buffer size; out: bytes written
        ("data_in", ctypes.c_uint64),
        ("data_out", ctypes.c_uint64),
        ("repeat", ctypes.c_uint32),
        ("duration", ctypes.c_uint32),        # output: mean ns per run
        ("ctx_size_in", ctypes.c_uint32),
        ("ctx_size_out", ctypes.c_uint32),
        ("ctx_in", ctypes.c_uint64),
        ("ctx_out", ctypes.c_uint64),
        ("flags", ctypes.c_uint32),
        ("cpu", ctypes.c_uint32),
        ("batch_size", ctypes.c_uint32),
    ]

    __test__ = False  # not a pytest test class, despite the name


class BtfLoadAttr(ctypes.Structure):
    _fields_ = [
        ("btf", ctypes.c_uint64),
        ("btf_log_buf", ctypes.c_uint64),
        ("btf_size", ctypes.c_uint32),
        ("btf_log_size", ctypes.c_uint32),
        ("btf_log_level", ctypes.c_uint32),
    ]


class InfoAttr(ctypes.Structure):
    _fields_ = [
        ("bpf_fd", ctypes.c_uint32),
        ("info_len", ctypes.c_uint32),
        ("info", ctypes.c_uint64),
    ]


class MapInfoStruct(ctypes.Structure):
    """The head of ``struct bpf_map_info``; the kernel fills at most info_len bytes."""

    _fields_ = [
        ("type", ctypes.c_uint32),
        ("id", ctypes.c_uint32),
        ("key_size", ctypes.c_uint32),
        ("value_size", ctypes.c_uint32),
        ("max_entries", ctypes.c_uint32),
        ("map_flags", ctypes.c_uint32),
        ("name", ctypes.c_char * OBJ_NAME_LEN),
    ]


# -- results and errors ----------------------------------------------------------

class KernelError(OSError):
    """A bpf(2) command failed. ``log`` is the verifier's log when there is one."""

    def __init__(self, errno: int, message: str, log: str = ""):
        super().__init__(errno, message)
        self.message = message
        self.log = log

    def __str__(self) -> str:
        name = errno_codes.errorcode.get(self.errno, str(self.errno))
        return f"{self.message}: {name} ({os.strerror(self.errno)})"


@dataclass(frozen=True)
class LoadResult:
    """What BPF_PROG_LOAD answered: an fd if the verifier accepted the program."""

    fd: int | None
    errno: int
    log: str

    @property
    def ok(self) -> bool:
        return self.fd is not None

    def check(self) -> int:
        """The fd; a rejection raises KernelError carrying the verifier's log."""
        if self.fd is None:
            raise KernelError(self.errno, "bpf(PROG_LOAD): the verifier refused the program",
                              self.log)
        return self.fd

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)

    def __enter__(self) -> "LoadResult":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


@dataclass(frozen=True)
class RunResult:
    """What BPF_PROG_TEST_RUN answered. ``retval`` is only the low 32 bits of r0.

    ``ctx_out`` is the context the kernel copied back (``struct __sk_buff``,
    ``struct xdp_md``...), when one was asked for.
    """

    retval: int
    data_out: bytes
    duration: int
    ctx_out: bytes | None = None


@dataclass(frozen=True)
class MapInfo:
    type: int
    id: int
    key_size: int
    value_size: int
    max_entries: int
    flags: int
    name: str


# -- the syscall ---------------------------------------------------------------

@functools.cache
def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def syscall_number() -> int | None:
    """__NR_bpf for this machine, or None if unknown (or not Linux)."""
    if platform.system() != "Linux":
        return None
    return SYSCALL_NUMBERS.get(platform.machine().lower())


def bpf(cmd: Cmd, attr: ctypes.Structure) -> int:
    """Issue one bpf(2) command; returns its non-negative result or raises KernelError."""
    number = syscall_number()
    if number is None:
        raise KernelError(errno_codes.ENOSYS,
                          f"no bpf() syscall number known for {platform.system()} "
                          f"{platform.machine()}")
    result = _libc().syscall(ctypes.c_long(number), ctypes.c_int(cmd), ctypes.byref(attr),
                             ctypes.c_uint(ctypes.sizeof(attr)))
    if result < 0:
        code = ctypes.get_errno()
        raise KernelError(code, f"bpf({Cmd(cmd).name})")
    return result


def _address(buffer) -> int:
    return ctypes.addressof(buffer) if buffer is not None else 0


def close(fd: int) -> None:
    os.close(fd)


# -- programs --------------------------------------------------------------------

def prog_load(code: bytes, prog_type: ProgType = ProgType.SOCKET_FILTER, license: str = "GPL",
              log_level: int = LogLevel.BRANCHES, *, prog_flags: int = 0,
              expected_attach_type: int = 0, name: str = "", btf_fd: int = 0,
              func_info: bytes = b"", attach_btf_id: int = 0) -> LoadResult:
    """Load bytecode; returns the fd, or None with the errno and the verifier's log.

    With a log level the log is always captured; when it does not fit, the
    kernel answers ENOSPC (and since 6.4 says how much it needed), so the load
    is retried with a larger buffer. ``func_info`` are ``struct bpf_func_info``
    records (insn_off, type_id: two u32) into the BTF loaded as ``btf_fd``;
    the kernel wants them for programs that pass callbacks (bpf_loop).
    ``attach_btf_id`` is the kernel BTF id of what a BTF-attached program
    (fentry, fexit, tp_btf, lsm, iter) attaches to: the verifier checks the
    program against it.
    """
    if len(code) % 8:
        raise ValueError(f"bytecode is {len(code)} bytes, not a multiple of 8")
    insns = ctypes.create_string_buffer(bytes(code), len(code) or 1)
    license_buf = ctypes.create_string_buffer(license.encode())
    func_info_buf = _buffer(func_info) if func_info else None
    log_size = LOG_SIZE_START if log_level else 0
    while True:
        log_buf = ctypes.create_string_buffer(log_size) if log_size else None
        attr = ProgLoadAttr(prog_type=prog_type, insn_cnt=len(code) // 8,
                            insns=_address(insns), license=_address(license_buf),
                            log_level=log_level, log_size=log_size, log_buf=_address(log_buf),
                            prog_flags=prog_flags, prog_name=name.encode()[:OBJ_NAME_LEN - 1],
                            expected_attach_type=expected_attach_type, prog_btf_fd=btf_fd,
                            func_info_rec_size=8 if func_info else 0,
                            func_info=_address(func_info_buf), func_info_cnt=len(func_info) // 8,
                            attach_btf_id=attach_btf_id)
        try:
            fd = bpf(Cmd.PROG_LOAD, attr)
        except KernelError as error:
            grow = error.errno == errno_codes.ENOSPC and log_buf is not None
            if grow and log_size < LOG_SIZE_MAX:
                log_size = min(LOG_SIZE_MAX, max(log_size * 2, attr.log_true_size))
                continue
            return LoadResult(None, error.errno, _text(log_buf))
        return LoadResult(fd, 0, _text(log_buf))


def btf_load(data: bytes) -> int:
    """BPF_BTF_LOAD: the kernel checks a BTF blob; returns its fd (the log rides on errors)."""
    blob = _buffer(data)
    log_buf = ctypes.create_string_buffer(LOG_SIZE_START)
    attr = BtfLoadAttr(btf=_address(blob), btf_size=len(data), btf_log_buf=_address(log_buf),
                       btf_log_size=LOG_SIZE_START, btf_log_level=1)
    try:
        return bpf(Cmd.BTF_LOAD, attr)
    except KernelError as error:
        raise KernelError(error.errno, "bpf(BTF_LOAD): the kernel refused the BTF",
                          _text(log_buf)) from None


def _text(buffer) -> str:
    return buffer.value.decode("utf-8", "replace") if buffer is not None else ""


def test_run(fd: int, data: bytes, repeat: int = 1, *, ctx: bytes | None = None,
             data_out_size: int | None = None, ctx_out_size: int = 0,
             flags: int = 0) -> RunResult:
    """Run a loaded program once (or ``repeat`` times) on ``data``.

    skb-based program types need at least ETH_HLEN (14) bytes of data. ``ctx``
    is the context to start from (``ctx_in``); with ``ctx_out_size`` the kernel
    copies the context back (``ctx_out``): without ``ctx`` it then starts from
    a zeroed one, as the kernel does when only ctx_out is given.
    """
    data_in = ctypes.create_string_buffer(bytes(data), len(data) or 1)
    out_size = len(data) + 256 if data_out_size is None else data_out_size
    data_out = ctypes.create_string_buffer(out_size or 1)
    ctx_in = ctypes.create_string_buffer(bytes(ctx), len(ctx) or 1) if ctx is not None else None
    ctx_out = ctypes.create_string_buffer(ctx_out_size) if ctx_out_size else None
    attr = TestRunAttr(prog_fd=fd, data_size_in=len(data), data_size_out=out_size,
                       data_in=_address(data_in), data_out=_address(data_out), repeat=repeat,
                       ctx_size_in=len(ctx) if ctx is not None else 0, ctx_in=_address(ctx_in),
                       ctx_size_out=ctx_out_size, ctx_out=_address(ctx_out), flags=flags)
    bpf(Cmd.PROG_TEST_RUN, attr)
    returned = ctx_out.raw[:min(attr.ctx_size_out, ctx_out_size)] if ctx_out is not None else None
    return RunResult(attr.retval, data_out.raw[:min(attr.data_size_out, out_size)], attr.duration,
                     returned)


test_run.__test__ = False  # not a pytest test function, despite the name


def run_syscall_prog(fd: int, ctx: bytes) -> int:
    """Run a BPF_PROG_TYPE_SYSCALL program once on ``ctx``, on this CPU; its retval.

    Such programs take no packet, no repeat count and no output buffers (any of
    those is EINVAL); they read ``ctx`` and may call map helpers, as programs
    do, which is how tests reach the program-side map operations.
    """
    ctx_in = _buffer(ctx) if ctx else None   # no context: a NULL pointer, or EINVAL
    attr = TestRunAttr(prog_fd=fd, ctx_size_in=len(ctx), ctx_in=_address(ctx_in))
    bpf(Cmd.PROG_TEST_RUN, attr)
    return attr.retval


# -- maps ------------------------------------------------------------------------

def map_create(map_type: MapType, key_size: int, value_size: int, max_entries: int,
               flags: int = 0, name: str | bytes = "", *, inner_map_fd: int = 0) -> int:
    """Create a map; returns its fd.

    ``inner_map_fd`` is the template for map-in-map types. A ``str`` name is
    cut to 15 bytes; ``bytes`` go in as they are (up to 16), so tests can
    pass names the kernel refuses.
    """
    raw = name if isinstance(name, bytes) else name.encode()[:OBJ_NAME_LEN - 1]
    attr = MapCreateAttr(map_type=map_type, key_size=key_size, value_size=value_size,
                         max_entries=max_entries, map_flags=flags, inner_map_fd=inner_map_fd,
                         map_name=raw[:OBJ_NAME_LEN])
    return bpf(Cmd.MAP_CREATE, attr)


def map_freeze(fd: int) -> None:
    """BPF_MAP_FREEZE: from now on the syscall side may only read the map."""
    bpf(Cmd.MAP_FREEZE, InfoAttr(bpf_fd=fd))   # its attr is just map_fd, where bpf_fd sits


def map_info(fd: int) -> MapInfo:
    info = MapInfoStruct()
    attr = InfoAttr(bpf_fd=fd, info_len=ctypes.sizeof(info), info=ctypes.addressof(info))
    bpf(Cmd.OBJ_GET_INFO_BY_FD, attr)
    return MapInfo(info.type, info.id, info.key_size, info.value_size, info.max_entries,
                   info.map_flags, info.name.decode("utf-8", "replace"))


def possible_cpus() -> int:
    """How many CPUs per-CPU map values hold a slot for (/sys/devices/system/cpu/possible)."""
    with open("/sys/devices/system/cpu/possible") as f:
        text = f.read().strip()
    count = 0
    for part in text.split(","):
        low, _, high = part.partition("-")
        count += int(high or low) - int(low) + 1
    return count


def _value_size(fd: int) -> int:
    """Bytes a syscall lookup copies out: per-CPU maps one 8-byte-aligned slot per CPU."""
    info = map_info(fd)
    if info.type in PERCPU_MAP_TYPES:
        return ((info.value_size + 7) // 8 * 8) * possible_cpus()
    return info.value_size


def _key_size(fd: int) -> int:
    return map_info(fd).key_size


def _buffer(data: bytes | None):
    """A C copy of ``data``; None stays a NULL pointer (keyless maps, the first key)."""
    if data is None:
        return None
    return ctypes.create_string_buffer(bytes(data), len(data) or 1)


def map_lookup(fd: int, key: bytes | None, value_size: int | None = None,
               flags: int = 0) -> bytes | None:
    """The value stored under ``key``, or None if there is none.

    ``value_size`` defaults to the map's (for per-CPU maps: one 8-byte-aligned
    slot per possible CPU, as the kernel copies them). Queues and stacks take
    ``key=None`` and answer with a peek.
    """
    size = _value_size(fd) if value_size is None else value_size
    key_buf = _buffer(key)
    value_buf = ctypes.create_string_buffer(size or 1)
    attr = MapElemAttr(map_fd=fd, key=_address(key_buf), value=_address(value_buf), flags=flags)
    try:
        bpf(Cmd.MAP_LOOKUP_ELEM, attr)
    except KernelError as error:
        if error.errno == errno_codes.ENOENT:
            return None
        raise
    return value_buf.raw[:size]


def map_update(fd: int, key: bytes | None, value: bytes, flags: int = UpdateFlag.ANY) -> None:
    """Create or replace an element; queues and stacks take ``key=None`` and push."""
    key_buf = _buffer(key)
    value_buf = _buffer(value)
    bpf(Cmd.MAP_UPDATE_ELEM, MapElemAttr(map_fd=fd, key=_address(key_buf),
                                         value=_address(value_buf), flags=flags))


def map_delete(fd: int, key: bytes | None) -> None:
    key_buf = _buffer(key)
    bpf(Cmd.MAP_DELETE_ELEM, MapElemAttr(map_fd=fd, key=_address(key_buf)))


def map_get_next_key(fd: int, key: bytes | None, key_size: int | None = None) -> bytes | None:
    """The key after ``key`` in the map's own order (None: the first); None at the end."""
    size = _key_size(fd) if key_size is None else key_size
    key_buf = _buffer(key)
    next_buf = ctypes.create_string_buffer(size or 1)
    attr = MapElemAttr(map_fd=fd, key=_address(key_buf), value=_address(next_buf))
    try:
        bpf(Cmd.MAP_GET_NEXT_KEY, attr)
    except KernelError as error:
        if error.errno == errno_codes.ENOENT:
            return None
        raise
    return next_buf.raw[:size]


def map_keys(fd: int, key_size: int | None = None) -> list[bytes]:
    """Every key, walking GET_NEXT_KEY from the start (a bounded walk: no map is that big)."""
    size = _key_size(fd) if key_size is None else key_size
    keys: list[bytes] = []
    key = map_get_next_key(fd, None, size)
    while key is not None and len(keys) < 1 << 20:
        keys.append(key)
        key = map_get_next_key(fd, key, size)
    return keys


def map_lookup_and_delete(fd: int, key: bytes | None, value_size: int | None = None,
                          flags: int = 0) -> bytes | None:
    """Take an element out: a queue's or stack's pop (``key=None``), or a hash element's."""
    size = _value_size(fd) if value_size is None else value_size
    key_buf = _buffer(key)
    value_buf = ctypes.create_string_buffer(size or 1)
    attr = MapElemAttr(map_fd=fd, key=_address(key_buf), value=_address(value_buf), flags=flags)
    try:
        bpf(Cmd.MAP_LOOKUP_AND_DELETE_ELEM, attr)
    except KernelError as error:
        if error.errno == errno_codes.ENOENT:
            return None
        raise
    return value_buf.raw[:size]


# -- can we use it? ----------------------------------------------------------------

# r0 = 0; exit
_TRIVIAL = bytes.fromhex("b700000000000000" "9500000000000000")


@functools.cache
def available() -> tuple[bool, str]:
    """Can this process load and test-run a trivial program? If not, say why."""
    if syscall_number() is None:
        return False, (f"no bpf() syscall on {platform.system()} {platform.machine()} "
                       f"(known: Linux on {', '.join(sorted(set(SYSCALL_NUMBERS)))})")
    release = platform.release()
    try:
        loaded = prog_load(_TRIVIAL, ProgType.SOCKET_FILTER, log_level=LogLevel.BRANCHES)
    except KernelError as error:
        return False, f"bpf(BPF_PROG_LOAD) failed on Linux {release}: {error}"
    if not loaded.ok:
        hint = ""
        if loaded.errno in (errno_codes.EPERM, errno_codes.EACCES):
            hint = ("; needs root or CAP_BPF, and may be blocked by a seccomp filter "
                    "(containers) or kernel.unprivileged_bpf_disabled")
        name = errno_codes.errorcode.get(loaded.errno, str(loaded.errno))
        return False, (f"bpf(BPF_PROG_LOAD) of a trivial socket filter failed on Linux "
                       f"{release}: {name} ({os.strerror(loaded.errno)}){hint}"
                       + (f"; verifier log: {loaded.log.strip()}" if loaded.log.strip() else ""))
    with loaded:
        try:
            run = test_run(loaded.fd, bytes(ETH_HLEN))
        except KernelError as error:
            return False, f"bpf(BPF_PROG_TEST_RUN) failed on Linux {release}: {error}"
    if run.retval != 0:
        return False, f"a trivial program returned {run.retval}, not 0, on Linux {release}"
    return True, f"bpf() loads and test-runs socket filters on Linux {release}"
