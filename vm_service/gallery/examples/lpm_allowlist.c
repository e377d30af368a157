// Allow only sources from listed IPv4 prefixes: a longest-prefix-match trie.
//
// An LPM trie key starts with the prefix length in bits, then the address
// in network byte order. A lookup with a full /32 address finds the longest
// stored prefix that contains it. The entries are seeded from user space
// (see the example's inputs): 10.0.0.0/8 and 192.168.1.0/24.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct ipv4_lpm_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct ipv4_lpm_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* LPM tries must be created without preallocation */
	__uint(max_entries, 64);
} allowed SEC(".maps");

SEC("xdp")
int allow_listed(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct ipv4_lpm_key key = { .prefixlen = 32 };
	__u32 *hits;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	key.addr = ip->saddr;
	hits = bpf_map_lookup_elem(&allowed, &key);
	if (!hits)
		return XDP_DROP;
	__sync_fetch_and_add(hits, 1);	/* the value counts packets let through */
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
