// A dispatcher that tail-calls one program per IP protocol.
//
// bpf_tail_call() jumps into the program stored at an index of a prog_array
// map and never returns; if the slot is empty it falls through, so the code
// after it is the default. The slots are filled when the object is loaded,
// from the array's initialiser below (libbpf does the same).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

int handle_tcp(struct xdp_md *ctx);
int handle_udp(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 256);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} by_protocol SEC(".maps") = {
	.values = {
		[IPPROTO_TCP] = (void *)&handle_tcp,
		[IPPROTO_UDP] = (void *)&handle_udp,
	},
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 3);
} seen SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&seen, &slot);

	if (n)
		*n += 1;
}

SEC("xdp")
int handle_tcp(struct xdp_md *ctx)
{
	count(0);
	return XDP_PASS;
}

SEC("xdp")
int handle_udp(struct xdp_md *ctx)
{
	count(1);
	return XDP_DROP;
}

SEC("xdp")
int dispatch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	bpf_tail_call(ctx, &by_protocol, ip->protocol);
	count(2);		/* no program for this protocol */
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
