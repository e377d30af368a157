// Fixed twin: the callback returns 0 (continue).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
static long step(__u64 index, void *data)
{
	*(__u64 *)data += index;
	return 0;
}
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	__u64 sum = 0;

	bpf_loop(4, step, &sum, 0);
	return sum == 6 ? XDP_PASS : XDP_DROP;
}
char LICENSE[] SEC("license") = "GPL";
