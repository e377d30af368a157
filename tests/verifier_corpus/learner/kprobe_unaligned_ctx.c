// A misaligned read of a pt_regs register.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("kprobe/do_sys_openat2")
int prog(void *ctx)
{
	return *(int *)((char *)ctx + 2);
}
char LICENSE[] SEC("license") = "GPL";
