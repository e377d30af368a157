// A bpf_loop callback must return 0 or 1; this one returns 2.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
static long step(__u64 index, void *data)
{
	return 2;
}
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	bpf_loop(4, step, 0, 0);
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
