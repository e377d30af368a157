// Count packets and bytes per CPU, without atomics.
//
// In a per-CPU array every CPU has its own copy of each value, so a program
// can update its copy with plain arithmetic: no other CPU writes it. User
// space reads all the copies and adds them up.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct counters);
	__uint(max_entries, 1);
} stats SEC(".maps");

SEC("xdp")
int count_per_cpu(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&stats, &zero);

	if (!c)
		return XDP_ABORTED;	/* cannot happen for index 0 of an array */
	c->packets += 1;
	c->bytes += ctx->data_end - ctx->data;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
