// bpf_loop's flags must be zero, but the verifier does not check them: the call fails at run time.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
static long step(__u64 index, void *data)
{
	return 0;
}
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	bpf_loop(4, step, 0, 1);
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
