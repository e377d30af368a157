// Storing a packet pointer into a map value: allowed as root (a pointer leak).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} leak SEC(".maps");
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *slot = bpf_map_lookup_elem(&leak, &key);

	if (!slot)
		return XDP_PASS;
	*slot = ctx->data;
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
