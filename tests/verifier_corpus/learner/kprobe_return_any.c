// A kprobe returning 12345: the kernel sets no return range for kprobes.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("kprobe/do_sys_openat2")
int prog(void *ctx)
{
	return 12345;
}
char LICENSE[] SEC("license") = "GPL";
