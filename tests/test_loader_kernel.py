"""The loader against the live kernel: what we load, the kernel loads; what we run, it runs alike.

Every object here is compiled, loaded by ``load_object``, then loaded into
the kernel with ``kernel_load`` (maps created, global data written, .rodata
frozen, ld_imm64 patched to fds): the verifier must accept it. For the
runnable ones, ``BPF_PROG_TEST_RUN`` and a Machine run of the same spec must
return the same value and leave the same map contents. Each comparison counts
with the ``kernel_comparisons`` fixture; without a usable bpf() the tests
skip (a failure under CI=true).
"""

from __future__ import annotations

import pytest

from tests.loader_cc import compile_c
from vm_service import kernel
from vm_service import kernel_types as kt
from vm_service.helper_ids import helper_name
from vm_service.helpers import implementations
from vm_service.helpers.kinds import ProgType
from vm_service.loader import instantiate_maps, load_object
from vm_service.loader.kernel_enums import map_type_number
from vm_service.loader.kernel_load import kernel_load
from vm_service.machine import Machine
from vm_service.program import Program

pytestmark = pytest.mark.kernel

AVAILABLE, WHY = kernel.available()
PACKET = bytes(range(64))


@pytest.fixture(autouse=True)
def bpf_works():
    if not AVAILABLE:
        pytest.skip(f"the kernel cannot serve as the oracle: {WHY}")


COUNTERS = r"""
struct { __uint(type, 1); __uint(max_entries, 16); __type(key, __u32); __type(value, __u64); } seen SEC(".maps");
struct { __uint(type, 2); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); } slots SEC(".maps");
const volatile __u32 step = 7;
const volatile char tag[4] = "ok!";
__u64 total = 100;
__u32 calls;
struct acc { __u64 sum; };
static int add(__u32 i, void *ctx) { ((struct acc *)ctx)->sum += i * step; return 0; }
static __attribute__((noinline)) __u64 bump(__u32 key, __u64 by) {
    __u64 *v = bpf_map_lookup_elem(&slots, &key);
    if (!v) return 0;
    *v += by;
    return *v;
}
SEC("socket") int counters(void *ctx) {
    struct acc a = {0};
    __u32 key = step;
    __u64 one = 1, *old;
    bpf_loop(5, add, &a, 0);
    total += a.sum;
    calls += 1;
    old = bpf_map_lookup_elem(&seen, &key);
    if (old) *old += 1; else bpf_map_update_elem(&seen, &key, &one, 0);
    return bump(calls % 4, a.sum) + tag[1];
}
SEC("xdp") int xdp_pass(void *ctx) { calls += 10; return total > 50 ? 2 : 1; }
"""


def machine_run(spec, name: str, maps, prog_type: ProgType) -> int:
    machine = Machine(Program.from_bytes(spec.program(name).code), maps=maps,
                      helpers=implementations(prog_type), helper_name=helper_name)
    event = machine.run()
    assert event.kind == "exit", event
    return event.r0 & 0xFFFFFFFF


def kernel_items(fd: int) -> dict[bytes, bytes]:
    return {key: kernel.map_lookup(fd, key) for key in kernel.map_keys(fd)}


@pytest.mark.parametrize("name, prog_type, runs", [
    ("counters", ProgType.SOCKET_FILTER, 3),
    ("xdp_pass", ProgType.XDP, 2),
])
def test_test_runs_return_the_same_and_leave_the_same_maps(kernel_comparisons, name, prog_type,
                                                           runs):
    spec = load_object(compile_c(COUNTERS), name="counters.bpf.o")
    prog_fd, map_fds = kernel_load(spec, name)
    try:
        maps = instantiate_maps(spec)
        for _ in range(runs):
            ours = machine_run(spec, name, maps, prog_type)
            theirs = kernel.test_run(prog_fd, PACKET).retval
            assert ours == theirs
            kernel_comparisons()
        for map_def, fd, live in zip(spec.maps, map_fds, maps):
            assert dict(live.items()) == kernel_items(fd), map_def.name
            kernel_comparisons()
    finally:
        for fd in [prog_fd, *map_fds]:
            kernel.close(fd)


def test_the_kernel_creates_the_maps_as_the_spec_defines_them(kernel_comparisons):
    spec = load_object(compile_c(COUNTERS), name="counters.bpf.o")
    prog_fd, map_fds = kernel_load(spec, "counters")
    try:
        for map_def, fd in zip(spec.maps, map_fds):
            info = kernel.map_info(fd)
            assert (info.type, info.key_size, info.value_size, info.max_entries, info.flags,
                    info.name) == (map_type_number(map_def.type), map_def.key_size,
                                   map_def.value_size, map_def.max_entries, map_def.map_flags,
                                   map_def.name[:15])
            kernel_comparisons()
        rodata = map_fds[spec.map_index("counters.rodata")]
        with pytest.raises(kernel.KernelError):      # frozen: user space can no longer write
            kernel.map_update(rodata, bytes(4), bytes(spec.maps[spec.map_index("counters.rodata")].value_size))
        kernel_comparisons()
    finally:
        for fd in [prog_fd, *map_fds]:
            kernel.close(fd)


VERIFIED = {
    "maps of maps": r"""
        struct inner { __uint(type, 2); __uint(max_entries, 2); __type(key, __u32); __type(value, __u64); };
        struct inner in_a SEC(".maps"), in_b SEC(".maps");
        struct { __uint(type, 12); __uint(max_entries, 2); __type(key, __u32); __array(values, struct inner); }
            outer SEC(".maps") = { .values = { [1] = &in_b } };
        struct { __uint(type, 13); __uint(max_entries, 2); __type(key, __u32); __array(values, struct inner); }
            by_hash SEC(".maps");
        SEC("socket") int prog(void *ctx) {
            __u32 k = 1, z = 0;
            void *m = bpf_map_lookup_elem(&outer, &k);
            if (!m) return 0;
            __u64 *v = bpf_map_lookup_elem(m, &z);
            return v ? *v : 1;
        }
    """,
    "legacy maps": r"""
        struct bpf_map_def { unsigned int type, key_size, value_size, max_entries, map_flags; };
        struct bpf_map_def SEC("maps") legacy = { .type = 1, .key_size = 4, .value_size = 4, .max_entries = 8 };
        SEC("socket") int prog(void *ctx) { __u32 k = 0; return bpf_map_lookup_elem(&legacy, &k) != 0; }
    """,
    "tc and program arrays": r"""
        SEC("tc") int target(void *ctx) { return 0; }
        struct { __uint(type, 3); __uint(max_entries, 2); __uint(key_size, 4); __array(values, int (void *)); }
            jumps SEC(".maps") = { .values = { [0] = (void *)&target } };
        SEC("tc/ingress") int prog(void *ctx) { bpf_tail_call(ctx, &jumps, 0); return 0; }
    """,
    "cgroup skb": r"""
        __u64 packets;
        SEC("cgroup_skb/ingress") int prog(void *ctx) { packets++; return 1; }
    """,
    "ring buffer and perf events": r"""
        static long (*bpf_ringbuf_output)(void *rb, void *data, __u64 size, __u64 flags) = (void *) 130;
        static long (*bpf_perf_event_output)(void *ctx, void *map, __u64 flags, void *data, __u64 size) = (void *) 25;
        struct { __uint(type, 27); __uint(max_entries, 4096); } rb SEC(".maps");
        struct { __uint(type, 4); __uint(key_size, 4); __uint(value_size, 4); } events SEC(".maps");
        SEC("kprobe/do_nanosleep") int prog(void *ctx) {
            __u64 x = 42;
            bpf_ringbuf_output(&rb, &x, sizeof(x), 0);
            bpf_perf_event_output(ctx, &events, 0xffffffffULL, &x, sizeof(x));
            return 0;
        }
    """,
}


@pytest.mark.parametrize("case", sorted(VERIFIED))
def test_objects_we_load_are_accepted_by_the_verifier(kernel_comparisons, case):
    spec = load_object(compile_c(VERIFIED[case]))
    prog_fd, map_fds = kernel_load(spec, "prog", log_level=kernel.LogLevel.BRANCHES)
    for fd in [prog_fd, *map_fds]:
        kernel.close(fd)
    kernel_comparisons()


def test_a_tracing_program_relocated_against_the_simulated_kernel_loads(kernel_comparisons):
    source = r"""
        #include "vmlinux.h"
        #define SEC(n) __attribute__((section(n), used))
        static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *src) = (void *) 113;
        static __u64 (*bpf_get_current_task)(void) = (void *) 35;
        struct { __uint(type, 27); __uint(max_entries, 4096); } rb SEC(".maps");
        static long (*bpf_ringbuf_output)(void *rb, void *data, __u64 size, __u64 flags) = (void *) 130;
        struct event { int pid; int ppid; char comm[16]; };
        SEC("tp/sched/sched_process_exec")
        int handle_exec(struct trace_event_raw_sched_process_exec *ctx) {
            struct task_struct *task = (struct task_struct *)bpf_get_current_task(), *parent;
            struct event e = {};
            e.pid = ctx->pid;
            bpf_probe_read_kernel(&parent, sizeof(parent), &task->real_parent);
            bpf_probe_read_kernel(&e.ppid, sizeof(e.ppid), &parent->tgid);
            bpf_probe_read_kernel(&e.comm, sizeof(e.comm), &task->comm);
            bpf_ringbuf_output(&rb, &e, sizeof(e), 0);
            return 0;
        }
        char LICENSE[] SEC("license") = "GPL";
    """.replace("__uint(type, 27); __uint(max_entries, 4096);",
                "int (*type)[27]; int (*max_entries)[4096];")
    spec = load_object(compile_c(source, prelude=False, files={"vmlinux.h": kt.vmlinux_h()}))
    prog_fd, map_fds = kernel_load(spec, "handle_exec", log_level=kernel.LogLevel.BRANCHES)
    for fd in [prog_fd, *map_fds]:
        kernel.close(fd)
    kernel_comparisons()


# libbpf-bootstrap's kprobe and bootstrap examples, as a user would write them.
BOOTSTRAP = r"""#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(do_unlinkat, int dfd, struct filename *name)
{
	pid_t pid;
	const char *filename;

	pid = bpf_get_current_pid_tgid() >> 32;
	filename = BPF_CORE_READ(name, name);
	bpf_printk("KPROBE ENTRY pid = %d, filename = %s\n", pid, filename);
	return 0;
}

SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(do_unlinkat_exit, long ret)
{
	pid_t pid;

	pid = bpf_get_current_pid_tgid() >> 32;
	bpf_printk("KPROBE EXIT: pid = %d, ret = %ld\n", pid, ret);
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

struct event { int pid; int ppid; unsigned exit_code; char comm[16]; char filename[127]; bool exit_event; };

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task;
	unsigned fname_off;
	struct event *e;
	pid_t pid;

	pid = bpf_get_current_pid_tgid() >> 32;
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	e->exit_event = false;
	e->pid = pid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	fname_off = ctx->__data_loc_filename & 0xFFFF;
	bpf_probe_read_str(&e->filename, sizeof(e->filename), (void *)ctx + fname_off);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/sched/sched_process_exit")
int handle_exit(struct trace_event_raw_sched_process_template *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e) return 0;
	e->exit_code = (BPF_CORE_READ(task, exit_code) >> 8) & 0xff;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
"""


@pytest.mark.parametrize("name", ["do_unlinkat", "do_unlinkat_exit", "handle_exec", "handle_exit"])
def test_tutorial_programs_built_with_the_bundled_headers_load(kernel_comparisons, name):
    from vm_service.headers import include_dir

    data = compile_c(BOOTSTRAP, prelude=False,
                     flags=("-D__TARGET_ARCH_x86", "-nostdinc", "-I", str(include_dir())))
    spec = load_object(data, name="bootstrap.bpf.o")
    program = spec.program(name)
    assert program.core_relocations
    assert all(r.outcome != "poisoned" for r in program.core_relocations)
    prog_fd, map_fds = kernel_load(spec, name, log_level=kernel.LogLevel.BRANCHES)
    for fd in [prog_fd, *map_fds]:
        kernel.close(fd)
    kernel_comparisons()
