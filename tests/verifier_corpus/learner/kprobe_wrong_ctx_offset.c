// Reading past the end of struct pt_regs in a kprobe's context.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("kprobe/do_sys_openat2")
int prog(void *ctx)
{
	return *(long *)((char *)ctx + 1000);
}
char LICENSE[] SEC("license") = "GPL";
