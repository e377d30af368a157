// Count execve calls per user, from the syscall tracepoint.
//
// A tracepoint's context is a record whose layout the kernel publishes
// (/sys/kernel/tracing/events/syscalls/sys_enter_execve/format). The uid is
// the low half of bpf_get_current_uid_gid(). A hash map keeps one counter
// per uid; BPF_NOEXIST creates a key only if it is missing.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u32);
	__type(value, u64);
	__uint(max_entries, 1024);
} execs SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int count_execve(struct trace_event_raw_sys_enter *ctx)
{
	u32 uid = (u32)bpf_get_current_uid_gid();
	u64 one = 1, *count;

	count = bpf_map_lookup_elem(&execs, &uid);
	if (count) {
		__sync_fetch_and_add(count, 1);
		return 0;
	}
	bpf_map_update_elem(&execs, &uid, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
