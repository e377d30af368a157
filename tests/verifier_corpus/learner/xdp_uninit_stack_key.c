// An uninitialised stack key passed to a lookup: as root the kernel allows it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u64);
	__type(value, __u64);
	__uint(max_entries, 8);
} seen SEC(".maps");
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	__u64 key;

	*(__u32 *)&key = ctx->ingress_ifindex;
	return bpf_map_lookup_elem(&seen, &key) ? XDP_DROP : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
