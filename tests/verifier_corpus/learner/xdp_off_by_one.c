// Off by one: the check covers 14 bytes but byte 14 (the 15th) is read.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;

	if (data + 14 > end)
		return XDP_PASS;
	return data[14] == 0x45 ? XDP_PASS : XDP_DROP;
}
char LICENSE[] SEC("license") = "GPL";
