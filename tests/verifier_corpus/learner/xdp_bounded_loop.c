// Fixed twin: a loop with a constant bound the verifier can walk.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;
	__u32 sum = 0;

	if (data + 8 > end)
		return XDP_PASS;
	__u8 n = data[0] & 15;
	for (__u8 i = 0; i < n; i++)
		sum += i;
	return sum & 1;
}
char LICENSE[] SEC("license") = "GPL";
