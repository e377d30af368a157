// Writing into a kprobe's pt_regs context.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("kprobe/do_sys_openat2")
int prog(void *ctx)
{
	*(long *)ctx = 0;
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
