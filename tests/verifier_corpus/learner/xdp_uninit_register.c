// Inline assembly that reads r3 before anything wrote it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	long out;

	asm volatile("%[out] = r3" : [out] "=r"(out));
	return out & 1;
}
char LICENSE[] SEC("license") = "GPL";
