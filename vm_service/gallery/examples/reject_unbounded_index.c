// REJECTED: indexing a map value with a number not bounded to the array.
//
// The index is a byte from the packet: the verifier knows it lies in 0..255,
// but the array has 16 entries, so the largest possible access falls outside
// the value: "R0 max value is outside of the allowed memory range". The fix:
// bound it first, for example `if (idx >= 16) return XDP_PASS;` or `idx &= 15;`.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct histogram {
	__u64 buckets[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct histogram);
	__uint(max_entries, 1);
} hist SEC(".maps");

SEC("xdp")
int unbounded_index(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 zero = 0, idx;
	struct histogram *h;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	h = bpf_map_lookup_elem(&hist, &zero);
	if (!h)
		return XDP_PASS;
	idx = eth->h_dest[5];		/* 0..255, not 0..15: rejected */
	h->buckets[idx] += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
