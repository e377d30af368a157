// REJECTED: a map lookup's result used without a NULL check.
//
// bpf_map_lookup_elem() returns NULL when the key is missing, so its result
// has the type "map value or NULL". Dereferencing it before comparing it with
// NULL is what the verifier refuses: "R0 invalid mem access
// 'map_value_or_null'". The fix: `if (!count) return XDP_PASS;` first.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 16);
} counts SEC(".maps");

SEC("xdp")
int missing_null_check(struct xdp_md *ctx)
{
	__u32 key = ctx->ingress_ifindex;
	__u64 *count = bpf_map_lookup_elem(&counts, &key);

	*count += 1;		/* may be NULL: rejected */
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
