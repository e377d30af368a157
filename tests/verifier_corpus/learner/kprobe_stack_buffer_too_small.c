// A helper told to write 16 bytes into an 8-byte stack buffer.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("kprobe/do_sys_openat2")
int prog(void *ctx)
{
	char buf[8];
	volatile int size = 16;

	bpf_probe_read_kernel(buf, size & 31, ctx);
	return buf[0];
}
char LICENSE[] SEC("license") = "GPL";
