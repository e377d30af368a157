// bpf_probe_read_kernel is GPL-only: a proprietary program cannot call it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("kprobe/do_sys_openat2")
int prog(void *ctx)
{
	char buf[8];

	bpf_probe_read_kernel(buf, sizeof(buf), ctx);
	return 0;
}
char LICENSE[] SEC("license") = "Proprietary";
