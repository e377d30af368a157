// Fixed twin: 14 bytes are checked against data_end before byte 12 is read.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;

	if (data + 14 > end)
		return XDP_PASS;
	return data[12] == 0x08 ? XDP_PASS : XDP_DROP;
}
char LICENSE[] SEC("license") = "GPL";
