"""Tracing contexts: registers for kprobes, tracepoint records, raw tracepoint arguments, samples.

The layouts are the kernel's: ``struct pt_regs`` and ``struct
bpf_perf_event_data`` are checked against the running kernel's BTF, the
tracepoint formats against tracefs, and the syscall tracepoints against live
records: a tracepoint program attached with perf_event_open copies the record
of a real system call of this process, and the playground must build the same
record (the syscall number, the arguments where they are). Raw tracepoint
programs run with BPF_PROG_TEST_RUN on the same arguments.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import re
import socket
import struct
import subprocess
from pathlib import Path

import pytest

from vm_service import btf, kernel
from vm_service.asm import assemble
from vm_service.events import EventInput, TaskInput
from vm_service.maps import MapType
from vm_service.progtypes import EventError, lookup
from vm_service.progtypes.tracepoints import SYSCALLS, TRACEPOINTS, tracepoint
from vm_service.progtypes.tracing import ARG_REGS, PERF_EVENT_TABLE, PT_REGS, PT_REGS_TABLE
from vm_service.runner import ProgramInstance

AVAILABLE, WHY = kernel.available()
TRACEFS = Path("/sys/kernel/tracing")


@pytest.fixture(scope="module")
def bpf_ok():
    if not AVAILABLE:
        pytest.skip(f"the kernel cannot serve as the oracle: {WHY}")


@pytest.fixture(scope="module")
def tracefs() -> Path:
    """The tracefs mount, mounted if it is not (as root)."""
    if not (TRACEFS / "events").is_dir():
        subprocess.run(["mount", "-t", "tracefs", "nodev", str(TRACEFS)], check=False,
                       capture_output=True)
    if not (TRACEFS / "events" / "syscalls").is_dir():
        pytest.skip(f"no tracefs with syscall events at {TRACEFS} (needs root and "
                    f"CONFIG_FTRACE_SYSCALLS)")
    return TRACEFS


def run(section: str, text: str, event: EventInput, **options):
    return ProgramInstance(assemble(text).program(), section, **options).run_event(event)


# -- kprobes ------------------------------------------------------------------------------------

def test_pt_regs_is_laid_out_as_the_kernels_btf_says():
    vmlinux = btf.load()
    regs = next(t for t in vmlinux.types if t.kind is btf.BtfKind.STRUCT and t.name == "pt_regs")
    assert regs.size_or_type == PT_REGS_TABLE.size
    named = {}
    for i in range(regs.vlen):
        name_off, _type, offset = struct.unpack_from("<III", regs.tail, 12 * i)
        if vmlinux.strings[name_off]:
            named[vmlinux.strings[name_off]] = offset // 8
    ours = {f.name: f.offset for f in PT_REGS_TABLE.fields}
    assert {name: ours[name] for name in named} == named


def test_kprobe_arguments_go_to_the_x86_64_argument_registers():
    text = "\n".join(f"r2 = *(u64 *)(r1 + {PT_REGS.index(reg) * 8})\nr0 += r2\nr0 <<= 4"
                     for reg in ARG_REGS) + "\nexit"
    result = run("kprobe/do_sys_openat2", "r0 = 0\n" + text, EventInput(args=(1, 2, 3, 4, 5, 6)))
    assert result.r0 == 0x1234560


def test_a_kretprobe_sees_the_return_value_in_ax():
    result = run("kretprobe/do_sys_openat2", "r0 = *(u64 *)(r1 + 80)\nexit",
                 EventInput(args=(-2 & (1 << 64) - 1,)))
    assert result.r0 == (1 << 64) - 2


def test_registers_can_be_set_by_name_and_read_narrowly():
    event = EventInput(args=(7,), regs={"rip": 0xFFFF_FFFF_8100_0000, "sp": 0x7FFC_0000_1000,
                                         "di": 0x1122334455667788})
    text = "r0 = *(u32 *)(r1 + 116)\nr2 = *(u64 *)(r1 + 128)\nr0 += r2\nexit"
    assert run("kprobe", text, event).r0 == 0x11223344 + 0xFFFF_FFFF_8100_0000


@pytest.mark.parametrize("event, message", [
    (EventInput(args=tuple(range(7))), "at most 6 argument(s)"),
    (EventInput(regs={"xmm0": 1}), "unknown register 'xmm0'"),
])
def test_bad_kprobe_events_are_refused_clearly(event, message):
    with pytest.raises(EventError, match=re.escape(message)):
        run("kprobe", "r0 = 0\nexit", event)


# -- perf events ---------------------------------------------------------------------------------

def test_perf_event_data_is_laid_out_as_the_kernels_btf_says():
    vmlinux = btf.load()
    data = next(t for t in vmlinux.types
                if t.kind is btf.BtfKind.STRUCT and t.name == "bpf_perf_event_data")
    members = {vmlinux.strings[n]: off // 8
               for n, _t, off in struct.iter_unpack("<III", data.tail)}
    assert data.size_or_type == PERF_EVENT_TABLE.size
    assert members == {"regs": 0, "sample_period": 168, "addr": 176}


def test_a_perf_event_sample_has_its_period_address_and_registers():
    text = "r0 = *(u32 *)(r1 + 172)\nr2 = *(u64 *)(r1 + 176)\nr0 += r2\n" \
           "r2 = *(u64 *)(r1 + 128)\nr0 += r2\nexit"
    event = EventInput(args=(0x5_0000_0000, 3), regs={"ip": 0x40})
    assert run("perf_event", text, event).r0 == 5 + 3 + 0x40


def test_a_perf_event_reads_registers_only_whole():
    result = run("perf_event", "r0 = *(u32 *)(r1 + 128)\nexit", EventInput())
    assert result.exit["message"] == "invalid bpf_context access off=128 size=4"


# -- raw tracepoints --------------------------------------------------------------------------------

RAW_TP = "\n".join(["r0 = *(u64 *)(r1 + 0)", "r2 = *(u32 *)(r1 + 12)", "r0 ^= r2",
                    "r2 = *(u16 *)(r1 + 16)", "r0 += r2", "r2 = *(u8 *)(r1 + 23)", "r0 += r2",
                    "exit"])


@pytest.mark.kernel
@pytest.mark.parametrize("args", [(1, 2, 3), (0xFFFF_FFFF_FFFF_FFFF, 0x1234_5678_9ABC_DEF0,
                                          0xAB00_0000_0000_0000, 9, 10)])
def test_raw_tracepoint_arguments_read_as_in_the_kernel(bpf_ok, kernel_comparisons, args):
    code = assemble(RAW_TP).program().encode()
    with kernel.prog_load(code, int(lookup("raw_tp").prog_type)) as loaded:
        theirs = kernel.run_syscall_prog(loaded.check(), struct.pack(f"<{len(args)}Q", *args))
    ours = run("raw_tp/sys_enter", RAW_TP, EventInput(args=args))
    kernel_comparisons()
    assert ours.r0 & 0xFFFF_FFFF == theirs


@pytest.mark.kernel
def test_reading_past_the_arguments_is_refused_by_both(bpf_ok, kernel_comparisons):
    code = assemble(RAW_TP).program().encode()
    with kernel.prog_load(code, int(lookup("raw_tp").prog_type)) as loaded:
        with pytest.raises(kernel.KernelError):
            kernel.run_syscall_prog(loaded.check(), struct.pack("<2Q", 1, 2))
    assert run("raw_tp", RAW_TP, EventInput(args=(1, 2))).exit["kind"] == "fault"
    kernel_comparisons()


# -- tracepoints -------------------------------------------------------------------------------------

FIELD = re.compile(r"field:(?P<decl>.+?);\s*offset:(?P<offset>\d+);\s*size:(?P<size>\d+);")


def test_every_tracepoint_format_is_the_kernels(tracefs):
    for name, format in TRACEPOINTS.items():
        path = tracefs / "events" / name / "format"
        fields = [(m["decl"], int(m["offset"]), int(m["size"]))
                  for m in FIELD.finditer(path.read_text())]
        assert fields[:4] == [("unsigned short common_type", 0, 2),
                              ("unsigned char common_flags", 2, 1),
                              ("unsigned char common_preempt_count", 3, 1),
                              ("int common_pid", 4, 4)], name
        assert fields[4:] == [(f.decl, f.offset, f.size) for f in format.fields], name


def test_a_tracepoint_record_holds_the_pid_the_number_and_the_arguments():
    text = "r0 = *(u32 *)(r1 + 8)\nr2 = *(u64 *)(r1 + 32)\nr0 <<= 16\nr0 += r2\nexit"
    event = EventInput(args=(3, 0x7FFF_0000, 42), task=TaskInput(pid=77))
    assert run("tp/syscalls/sys_enter_read", text, event).r0 == (0 << 16) + 42
    record = tracepoint("syscalls/sys_enter_openat").record(5, 77, (-100, 0x1000, 0, 0o644))
    assert struct.unpack_from("<HBBi i", record) == (5, 0, 0, 77, 257)
    assert struct.unpack_from("<q", record, 16)[0] == -100


@pytest.mark.parametrize("section, args, message", [
    ("tracepoint", (), "needs its tracepoint"),
    ("tracepoint/sched/sched_switch", (), "unknown tracepoint 'sched/sched_switch'"),
    ("tp/syscalls/sys_enter_close", (1, 2), "takes 1 argument(s) (fd), not 2"),
])
def test_bad_tracepoint_events_are_refused_clearly(section, args, message):
    with pytest.raises(EventError, match=re.escape(message)):
        run(section, "r0 = 0\nexit", EventInput(args=args))


# -- live syscall records ---------------------------------------------------------------------------

PERF_TYPE_TRACEPOINT, PERF_SAMPLE_RAW = 2, 1 << 10
PERF_EVENT_IOC_ENABLE, PERF_EVENT_IOC_DISABLE, PERF_EVENT_IOC_SET_BPF = 0x2400, 0x2401, 0x40042408
NR_PERF_EVENT_OPEN = 298   # x86-64


def perf_event_open(event_id: int) -> int:
    """A disabled perf event on tracepoint ``event_id`` for this thread, on any CPU."""
    attr = bytearray(128)
    struct.pack_into("<IIQQQ", attr, 0, PERF_TYPE_TRACEPOINT, len(attr), event_id, 1,
                     PERF_SAMPLE_RAW)
    struct.pack_into("<QI", attr, 40, 1, 1)   # disabled; wakeup_events = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    fd = libc.syscall(NR_PERF_EVENT_OPEN, ctypes.create_string_buffer(bytes(attr), len(attr)),
                      0, -1, -1, 0)
    if fd < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"perf_event_open: {os.strerror(errno)}")
    return fd


def copy_record_program(size: int, map_fd: int) -> bytes:
    lines = ["r6 = r1", "r1 = 0", "*(u32 *)(r10 - 4) = r1", "r2 = r10", "r2 += -4",
             f"r1 = map[id:{map_fd}]", "call bpf_map_lookup_elem", "if r0 == 0 goto out"]
    for offset in range(8, size, 8):   # the last read ends exactly at the record's end
        width = 8 if offset + 8 <= size else 4
        lines += [f"r1 = *(u{8 * width} *)(r6 + {offset})", f"*(u{8 * width} *)(r0 + {offset}) = r1"]
    return assemble("\n".join(lines + ["out:", "r0 = 0", "exit"])).program().encode()


@contextlib.contextmanager
def recording(tracefs: Path, name: str):
    """Attach a program copying ``name``'s records into a map; yields a reader of the last."""
    format = tracepoint(name)
    event_id = int((tracefs / "events" / name / "id").read_text())
    map_fd = kernel.map_create(MapType.ARRAY, 4, 256, 1, name="record")
    loaded = kernel.prog_load(copy_record_program(format.size, map_fd), int(lookup("tp").prog_type))
    perf_fd = perf_event_open(event_id)
    try:
        fcntl.ioctl(perf_fd, PERF_EVENT_IOC_SET_BPF, loaded.check())
        fcntl.ioctl(perf_fd, PERF_EVENT_IOC_ENABLE, 0)
        yield lambda: kernel.map_lookup(map_fd, bytes(4))[:format.size]
    finally:
        os.close(perf_fd)
        loaded.close()
        kernel.close(map_fd)


def _pipe_write():
    read_end, write_end = os.pipe()
    os.write(write_end, b"xyz")
    os.close(read_end)
    os.close(write_end)


def _sockets():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.sendto(b"hi", s.getsockname())
        s.recvfrom(16)


# syscall: what makes this process call it
TRIGGERS = {
    "write": _pipe_write, "close": lambda: os.close(os.dup(0)),
    "read": lambda: os.read(os.open("/dev/zero", os.O_RDONLY), 3),
    "getpid": os.getpid, "kill": lambda: os.kill(os.getpid(), 0),
    "openat": lambda: os.open("/dev/null", os.O_RDONLY), "chdir": lambda: os.chdir("."),
    "socket": lambda: socket.socket().close(), "bind": _sockets, "sendto": _sockets,
    "recvfrom": _sockets, "mmap": lambda: __import__("mmap").mmap(-1, 4096).close(),
    "bpf": lambda: kernel.available.__wrapped__(),
}


@pytest.mark.kernel
@pytest.mark.parametrize("direction", ["enter", "exit"])
@pytest.mark.parametrize("syscall", sorted(TRIGGERS))
def test_syscall_records_are_laid_out_as_the_kernels(bpf_ok, tracefs, kernel_comparisons,
                                                     syscall, direction):
    name = f"syscalls/sys_{direction}_{syscall}"
    format = tracepoint(name)
    with recording(tracefs, name) as last_record:
        TRIGGERS[syscall]()
        theirs = last_record()
    number = struct.unpack_from("<i", theirs, 8)[0]
    assert number == SYSCALLS[syscall][0], f"{name}: the kernel's number is {number}"
    args = tuple(struct.unpack_from("<Q", theirs, f.offset)[0] for f in format.fields[1:])
    ours = format.record(0, 0, args)
    # Bytes 0-7 (the common header) are unreadable; 12-15 are padding the kernel leaves as it is.
    assert len(ours) == len(theirs) == format.size
    assert ours[16:] == theirs[16:] and ours[8:12] == theirs[8:12]
    kernel_comparisons()
