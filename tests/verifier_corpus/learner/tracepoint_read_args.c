// Fixed twin: reading the syscall number at its offset in the record.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tracepoint/syscalls/sys_enter_execve")
int prog(void *ctx)
{
	return *(long *)((char *)ctx + 8) == 59;
}
char LICENSE[] SEC("license") = "GPL";
