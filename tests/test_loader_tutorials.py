"""Tracing programs in the style of the popular tutorials build against our vmlinux.h and load.

Each program below is written for these tests in the manner of one of
libbpf-bootstrap's examples (minimal, bootstrap, kprobe, fentry) or bcc's
libbpf-tools (execsnoop, opensnoop, exitsnoop): the same headers, macros,
context types and kernel structs. Each is compiled as those projects compile
(``clang -target bpfel -O2 -g -nostdinc -I <bundled headers>``), then:

* loaded against the simulated kernel's types: no CO-RE relocation poisoned;
* loaded again against the running kernel's BTF (as libbpf would relocate it
  on this machine): the relocated code is the same, instruction for
  instruction, so the simulated kernel puts every field the program reads
  where the real kernel does;
* loaded whole into the live kernel (``kernel_load_object``): the verifier
  accepts every program.

The reference programs call three helpers the playground's engine does not
provide yet (so the bundled bpf_helper_defs.h lacks them); these programs
declare those themselves, with the kernel's helper ids.
"""

from __future__ import annotations

import functools

import pytest

from tests.loader_cc import compile_with_headers
from vm_service import btf as btf_module
from vm_service import kernel
from vm_service.helpers import PROTOTYPES
from vm_service.loader import load_object
from vm_service.loader.errors import KernelLoadError
from vm_service.loader.kernel_enums import ATTACH_TYPES, PROG_TYPES
from vm_service.loader.kernel_load import attach_btf_id, kernel_load_object

pytestmark = pytest.mark.kernel

AVAILABLE, WHY = kernel.available()

# Helpers the real tools call, declared here only while the helper table (and so the
# generated bpf_helper_defs.h) lacks them.
HELPERS_THE_TOOLS_CALL = {
    158: "static struct task_struct *(* const bpf_get_current_task_btf)(void) = (void *) 158;",
    37: "static long (* const bpf_current_task_under_cgroup)(void *map, __u32 index) = (void *) 37;",
    67: "static long (* const bpf_get_stack)(void *ctx, void *buf, __u32 size, __u64 flags) "
        "= (void *) 67;",
}
HELPERS_THE_ENGINE_LACKS = "\n" + "\n".join(
    line for helper_id, line in HELPERS_THE_TOOLS_CALL.items() if helper_id not in PROTOTYPES) + "\n"

MINIMAL = r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

int traced_pid = 0;
__u64 writes = 0;

SEC("tp/syscalls/sys_enter_write")
int count_writes(void *ctx)
{
	int pid = bpf_get_current_pid_tgid() >> 32;

	if (pid != traced_pid)
		return 0;
	writes++;
	bpf_printk("pid %d wrote (%llu writes so far)", pid, writes);
	return 0;
}
"""

BOOTSTRAP = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define COMM_LEN 16
#define PATH_LEN 127

struct process_event {
	pid_t pid;
	pid_t parent;
	unsigned int status;
	u64 lifetime_ns;
	char comm[COMM_LEN];
	char binary[PATH_LEN];
	bool exited;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, pid_t);
	__type(value, u64);
} started SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 128 * 1024);
} process_events SEC(".maps");

const volatile u64 shortest_ns = 0;

SEC("tp/sched/sched_process_exec")
int on_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	pid_t pid = bpf_get_current_pid_tgid() >> 32;
	u64 now = bpf_ktime_get_ns();
	struct process_event *e;
	unsigned int name_at;

	bpf_map_update_elem(&started, &pid, &now, BPF_ANY);
	if (shortest_ns)
		return 0;
	e = bpf_ringbuf_reserve(&process_events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->exited = false;
	e->pid = pid;
	e->parent = BPF_CORE_READ(task, real_parent, tgid);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	name_at = ctx->__data_loc_filename & 0xFFFF;
	bpf_probe_read_str(e->binary, sizeof(e->binary), (void *)ctx + name_at);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/sched/sched_process_exit")
int on_exit(struct trace_event_raw_sched_process_template *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	u64 id = bpf_get_current_pid_tgid(), lifetime = 0, *start;
	pid_t pid = id >> 32;
	struct process_event *e;

	if (pid != (u32)id)
		return 0;
	start = bpf_map_lookup_elem(&started, &pid);
	if (start)
		lifetime = bpf_ktime_get_ns() - *start;
	else if (shortest_ns)
		return 0;
	bpf_map_delete_elem(&started, &pid);
	if (shortest_ns && lifetime < shortest_ns)
		return 0;
	e = bpf_ringbuf_reserve(&process_events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->exited = true;
	e->lifetime_ns = lifetime;
	e->pid = pid;
	e->parent = BPF_CORE_READ(task, real_parent, tgid);
	e->status = (BPF_CORE_READ(task, exit_code) >> 8) & 0xff;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
"""

KPROBE = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(unlink_enter, int dirfd, struct filename *path)
{
	const char *name = BPF_CORE_READ(path, name);
	int refs = BPF_CORE_READ(path, refcnt.counter);

	bpf_printk("unlink %s (dirfd %d, %d refs)", name, dirfd, refs);
	return 0;
}

SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(unlink_exit, long ret)
{
	bpf_printk("unlink returned %ld", ret);
	return 0;
}

SEC("kprobe/do_sys_openat2")
int BPF_KPROBE(open_enter, int dirfd, const char *filename, struct open_how *how)
{
	bpf_printk("openat2 flags %llx mode %llo", BPF_CORE_READ(how, flags), BPF_CORE_READ(how, mode));
	return 0;
}

SEC("kprobe/do_nanosleep")
int registers(struct pt_regs *regs)
{
	/* the 16-bit selectors and the FRED words share their slots */
	struct fred_ss event = BPF_CORE_READ(regs, fred_ss);

	bpf_printk("cs %x ss %x", BPF_CORE_READ(regs, cs), BPF_CORE_READ(regs, ss));
	return BPF_CORE_READ(regs, csx) == 0 && event.vector == 0;
}
"""

FENTRY = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("fentry/do_unlinkat")
int BPF_PROG(before_unlink, int dirfd, struct filename *path)
{
	bpf_printk("fentry: pid %d unlinks %s", bpf_get_current_pid_tgid() >> 32, path->name);
	return 0;
}

SEC("fexit/do_unlinkat")
int BPF_PROG(after_unlink, int dirfd, struct filename *path, long ret)
{
	bpf_printk("fexit: %s -> %ld", path->name, ret);
	return 0;
}
"""

# execsnoop: arguments gathered on entry into a hash map, emitted on a successful exit
# through the ring buffer when the kernel has one (the compat.bpf.h way), else perf.
EXECSNOOP = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
""" + HELPERS_THE_ENGINE_LACKS + r"""
#define ARG_LEN 128
#define MAX_ARGS 16
#define NO_UID ((uid_t)-1)

struct exec_event {
	pid_t pid;
	pid_t ppid;
	uid_t uid;
	int retval;
	int argc;
	unsigned int used;
	char comm[16];
	char args[MAX_ARGS * ARG_LEN];
};

const volatile bool in_cgroup_only = false;
const volatile uid_t only_uid = NO_UID;
const volatile int arg_limit = MAX_ARGS;

static const struct exec_event blank;

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} cgroup SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, pid_t);
	__type(value, struct exec_event);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline long emit(void *ctx, void *data, u64 size)
{
	if (bpf_core_type_exists(struct bpf_ringbuf))
		return bpf_ringbuf_output(&events, data, size, 0);
	return bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, data, size);
}

static __always_inline bool wanted(void)
{
	uid_t uid = (u32)bpf_get_current_uid_gid();

	if (in_cgroup_only && !bpf_current_task_under_cgroup(&cgroup, 0))
		return false;
	return only_uid == NO_UID || only_uid == uid;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int execve_enter(struct trace_event_raw_sys_enter *ctx)
{
	const char **argv = (const char **)ctx->args[1];
	pid_t tid = (pid_t)bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct exec_event *e;
	const char *arg;
	long n;
	int i;

	if (!wanted())
		return 0;
	if (bpf_map_update_elem(&pending, &tid, &blank, BPF_NOEXIST))
		return 0;
	e = bpf_map_lookup_elem(&pending, &tid);
	if (!e)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (u32)bpf_get_current_uid_gid();
	n = bpf_probe_read_user_str(e->args, ARG_LEN, (const char *)ctx->args[0]);
	e->used = n > 0 ? n : 0;
	e->argc = 1;
	for (i = 1; i < MAX_ARGS && i < arg_limit; i++) {
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			break;
		if (e->used > (MAX_ARGS - 1) * ARG_LEN)
			break;
		n = bpf_probe_read_user_str(&e->args[e->used], ARG_LEN, arg);
		if (n <= 0)
			break;
		e->used += n;
		e->argc++;
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int execve_exit(struct trace_event_raw_sys_exit *ctx)
{
	pid_t tid = (pid_t)bpf_get_current_pid_tgid();
	struct exec_event *e;

	if (!wanted())
		return 0;
	e = bpf_map_lookup_elem(&pending, &tid);
	if (!e)
		return 0;
	e->retval = ctx->ret;
	if (ctx->ret >= 0) {
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		emit(ctx, e, sizeof(*e));
	}
	bpf_map_delete_elem(&pending, &tid);
	return 0;
}
"""

# opensnoop: the syscall_trace_enter/exit records, struct open_how read from user
# memory, and the working directory's path rebuilt through dentries and mounts.
OPENSNOOP = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
""" + HELPERS_THE_ENGINE_LACKS + r"""
#define NAME_LEN 64
#define DEPTH 6

struct open_args {
	const char *path;
	int flags;
	u32 mode;
};

struct open_event {
	pid_t pid;
	uid_t uid;
	int ret;
	int flags;
	u32 mode;
	int depth;
	uintptr_t callers[2];
	char comm[16];
	char names[DEPTH][NAME_LEN];
};

const volatile bool failures_only = false;
const volatile bool whole_path = true;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, struct open_args);
} opening SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct open_event);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} opens SEC(".maps");

static __always_inline void remember(const char *path, int flags, u32 mode)
{
	u32 tid = bpf_get_current_pid_tgid();
	struct open_args args = { .path = path, .flags = flags, .mode = mode };

	bpf_map_update_elem(&opening, &tid, &args, BPF_ANY);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int openat_enter(struct syscall_trace_enter *ctx)
{
	remember((const char *)ctx->args[1], (int)ctx->args[2], (u32)ctx->args[3]);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int openat2_enter(struct syscall_trace_enter *ctx)
{
	struct open_how how = {};

	bpf_probe_read_user(&how, sizeof(how), (void *)ctx->args[2]);
	remember((const char *)ctx->args[1], (int)how.flags, (u32)how.mode);
	return 0;
}

static __always_inline void working_directory(struct open_event *e)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct dentry *dentry = BPF_CORE_READ(task, fs, pwd.dentry);
	struct vfsmount *vfs = BPF_CORE_READ(task, fs, pwd.mnt);
	struct mount *mnt = container_of(vfs, struct mount, mnt);
	struct dentry *root = BPF_CORE_READ(vfs, mnt_root), *parent;
	int i;

	for (i = 0; i < DEPTH; i++) {
		bpf_probe_read_kernel_str(e->names[i], NAME_LEN, BPF_CORE_READ(dentry, d_name.name));
		e->depth = i + 1;
		parent = BPF_CORE_READ(dentry, d_parent);
		if (dentry == parent || dentry == root) {
			struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

			if (up == mnt)
				break;
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = up;
			root = BPF_CORE_READ(mnt, mnt.mnt_root);
			continue;
		}
		dentry = parent;
	}
}

static __always_inline int opened(struct syscall_trace_exit *ctx)
{
	u32 tid = bpf_get_current_pid_tgid(), zero = 0;
	struct open_args *args = bpf_map_lookup_elem(&opening, &tid);
	struct open_event *e;
	uintptr_t stack[3];

	if (!args)
		return 0;
	if (failures_only && ctx->ret >= 0)
		goto done;
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		goto done;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->uid = bpf_get_current_uid_gid();
	e->ret = ctx->ret;
	e->flags = args->flags;
	e->mode = args->mode;
	e->depth = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->names[0], NAME_LEN, args->path);
	bpf_get_stack(ctx, stack, sizeof(stack), BPF_F_USER_STACK);
	e->callers[0] = stack[1];
	e->callers[1] = stack[2];
	if (whole_path && e->names[0][0] != '/')
		working_directory(e);
	bpf_perf_event_output(ctx, &opens, BPF_F_CURRENT_CPU, e, sizeof(*e));
done:
	bpf_map_delete_elem(&opening, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int openat_exit(struct syscall_trace_exit *ctx)
{
	return opened(ctx);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int openat2_exit(struct syscall_trace_exit *ctx)
{
	return opened(ctx);
}
"""

EXITSNOOP = r"""
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

const volatile pid_t only_pid = 0;
const volatile bool failed_only = false;
const volatile bool processes_only = true;

struct exit_event {
	u64 started_ns;
	u64 ended_ns;
	pid_t pid;
	pid_t tid;
	pid_t ppid;
	int signal;
	int status;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} exits SEC(".maps");

SEC("tracepoint/sched/sched_process_exit")
int process_exit(void *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct exit_event e = {};
	int code;

	e.pid = id >> 32;
	e.tid = (u32)id;
	if ((only_pid && only_pid != e.pid) || (processes_only && e.pid != e.tid))
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	code = BPF_CORE_READ(task, exit_code);
	if (failed_only && !code)
		return 0;
	e.started_ns = BPF_CORE_READ(task, start_time);
	e.ended_ns = bpf_ktime_get_ns();
	e.ppid = BPF_CORE_READ(task, real_parent, tgid);
	e.signal = code & 0xff;
	e.status = code >> 8;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	bpf_perf_event_output(ctx, &exits, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
"""

PROGRAMS = {
    "minimal": (MINIMAL, {"count_writes"}),
    "bootstrap": (BOOTSTRAP, {"on_exec", "on_exit"}),
    "kprobe": (KPROBE, {"unlink_enter", "unlink_exit", "open_enter", "registers"}),
    "fentry": (FENTRY, {"before_unlink", "after_unlink"}),
    "execsnoop": (EXECSNOOP + 'char LICENSE[] SEC("license") = "GPL";\n',
                  {"execve_enter", "execve_exit"}),
    "opensnoop": (OPENSNOOP + 'char LICENSE[] SEC("license") = "GPL";\n',
                  {"openat_enter", "openat2_enter", "openat_exit", "openat2_exit"}),
    "exitsnoop": (EXITSNOOP, {"process_exit"}),
}


@functools.cache
def running_kernel_btf() -> btf_module.Btf:
    return btf_module.load()


@pytest.fixture
def bpf_works():
    if not AVAILABLE:
        pytest.skip(f"the kernel cannot serve as the oracle: {WHY}")


@pytest.mark.parametrize("std", [None, "-std=c23"])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_relocated_against_our_types_the_code_is_what_the_real_kernels_btf_gives(name, std):
    source, entries = PROGRAMS[name]
    data = compile_with_headers(source, *([std] if std else []))
    ours = load_object(data, name=f"{name}.bpf.o")
    try:
        theirs = load_object(data, name=f"{name}.bpf.o", kernel_btf=running_kernel_btf())
    except OSError as error:
        pytest.skip(f"cannot read the running kernel's BTF: {error}")
    assert {p.name for p in ours.programs} == entries
    for program in ours.programs:
        assert [r for r in program.core_relocations if r.outcome == "poisoned"] == []
        real = theirs.program(program.name)
        assert [(r.spec, r.target) for r in program.core_relocations] == \
               [(r.spec, r.target) for r in real.core_relocations]
        assert program.code == real.code, program.name


@pytest.mark.parametrize("name", sorted(set(PROGRAMS) - {"fentry"}))
def test_the_live_kernel_loads_every_program(bpf_works, kernel_comparisons, name):
    source, entries = PROGRAMS[name]
    spec = load_object(compile_with_headers(source), name=f"{name}.bpf.o")
    with kernel_load_object(spec) as loaded:
        assert set(loaded.prog_fds) == entries
    kernel_comparisons(len(entries))


def trivial_fentry_errno(target: str) -> int:
    """What the kernel answers ``r0 = 0; exit`` as fentry on ``target``: 0 if it loads, else errno."""
    code = bytes.fromhex("b700000000000000" "9500000000000000")
    target_id = running_kernel_btf().find(target, btf_module.BtfKind.FUNC)[0]
    with kernel.prog_load(code, PROG_TYPES["tracing"], "GPL", log_level=0,
                          expected_attach_type=ATTACH_TYPES["trace_fentry"],
                          attach_btf_id=target_id) as loaded:
        return loaded.errno


def test_fentry_programs_get_the_verdict_a_trivial_fentry_program_gets(bpf_works,
                                                                        kernel_comparisons):
    """Some kernels refuse every fentry/fexit program (EPERM before any verification: this
    playground's VM does); where a trivial one loads, ours must load too."""
    spec = load_object(compile_with_headers(FENTRY), name="fentry.bpf.o")
    expected = trivial_fentry_errno("do_unlinkat")
    if expected == 0:
        with kernel_load_object(spec) as loaded:
            assert set(loaded.prog_fds) == PROGRAMS["fentry"][1]
    else:
        with pytest.raises(kernel.KernelError) as refused:
            kernel_load_object(spec)
        assert refused.value.errno == expected
    kernel_comparisons()


def test_a_btf_attached_program_names_its_target_by_its_id_in_the_kernels_btf():
    spec = load_object(compile_with_headers(FENTRY))
    program = spec.program("before_unlink")
    target = attach_btf_id(program, program.expected_attach_type)
    assert running_kernel_btf().by_id(target).name == "do_unlinkat"
    assert running_kernel_btf().by_id(target).kind == btf_module.BtfKind.FUNC
    program.attach = "no_such_function"
    with pytest.raises(KernelLoadError, match="no func 'no_such_function'"):
        attach_btf_id(program, program.expected_attach_type)


def test_programs_reading_the_new_types_have_relocations_for_them():
    spec = load_object(compile_with_headers(PROGRAMS["opensnoop"][0]))
    read = {r.spec for p in spec.programs for r in p.core_relocations}
    assert {"task_struct.fs", "fs_struct.pwd.dentry", "fs_struct.pwd.mnt", "vfsmount.mnt_root",
            "mount.mnt_parent", "mount.mnt_mountpoint", "dentry.d_name.name",
            "dentry.d_parent"} <= read
    exists = [r for p in load_object(compile_with_headers(EXECSNOOP + 'char L[] SEC("license") = "GPL";'))
              .programs for r in p.core_relocations if r.kind == "type_exists"]
    assert exists and all(r.target == 1 for r in exists)        # struct bpf_ringbuf is there
