// An index from the packet used into a map value array, not bounded to its size.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct slots { __u64 v[4]; };
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct slots);
	__uint(max_entries, 1);
} table SEC(".maps");
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;
	__u32 key = 0;

	if (data + 1 > end)
		return XDP_PASS;
	struct slots *s = bpf_map_lookup_elem(&table, &key);
	if (!s)
		return XDP_PASS;
	s->v[data[0]] += 1;
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
