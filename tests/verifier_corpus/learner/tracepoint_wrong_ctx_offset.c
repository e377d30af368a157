// Reading a tracepoint context far beyond any tracepoint's record.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tracepoint/syscalls/sys_enter_execve")
int prog(void *ctx)
{
	return *(long *)((char *)ctx + 16384);
}
char LICENSE[] SEC("license") = "GPL";
