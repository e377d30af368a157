// Fixed twin: the lookup's result is checked for NULL before use.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8);
} counts SEC(".maps");
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	__u32 key = 1;
	__u64 *count = bpf_map_lookup_elem(&counts, &key);

	if (!count)
		return XDP_PASS;
	*count += 1;
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
