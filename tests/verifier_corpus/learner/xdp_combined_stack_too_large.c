// Two bpf-to-bpf frames of 300 stack bytes each: 600 bytes, above the 512 limit.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
static __noinline int leaf(int x)
{
	volatile char buf[300];

	buf[x & 255] = 1;
	return buf[0];
}
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	volatile char buf[300];

	buf[ctx->ingress_ifindex & 255] = 2;
	return leaf(buf[1]) & 1;
}
char LICENSE[] SEC("license") = "GPL";
