// Fixed twin: after adding the variable offset, the new pointer is checked against data_end.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;

	if (data + 16 > end)
		return XDP_PASS;
	__u8 skip = data[15];
	unsigned char *at = data + skip;
	if (at + 1 > end)
		return XDP_PASS;
	return *at ? XDP_PASS : XDP_DROP;
}
char LICENSE[] SEC("license") = "GPL";
