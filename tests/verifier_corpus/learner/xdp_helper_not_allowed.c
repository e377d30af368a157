// bpf_skb_store_bytes is for skb programs: XDP cannot call it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	__u32 v = 0;

	bpf_skb_store_bytes((void *)ctx, 0, &v, 4, 0);
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
