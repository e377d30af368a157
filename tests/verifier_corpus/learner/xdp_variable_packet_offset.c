// A packet offset read from the packet itself, used without a bounds check of its own.
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
	return data[skip] ? XDP_PASS : XDP_DROP;
}
char LICENSE[] SEC("license") = "GPL";
