// Writing into a tracepoint's record.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tracepoint/syscalls/sys_enter_execve")
int prog(void *ctx)
{
	*(long *)((char *)ctx + 8) = 0;
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
