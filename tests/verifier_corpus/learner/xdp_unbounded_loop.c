// A loop bounded only by a value from the packet: the verifier cannot bound it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;
	__u64 sum = 0;

	if (data + 8 > end)
		return XDP_PASS;
	__u64 n = *(__u64 *)data;
	for (__u64 i = 0; i < n; i++)
		sum += data[i & 7];
	return sum & 1;
}
char LICENSE[] SEC("license") = "GPL";
