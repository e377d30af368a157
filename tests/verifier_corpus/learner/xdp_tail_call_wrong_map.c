// bpf_tail_call given a hash map instead of a program array.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 4);
} progs SEC(".maps");
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &progs, 0);
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
