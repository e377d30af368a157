// Verify IPv4 header checksums with a real bpf-to-bpf function call.
//
// __noinline keeps ipv4_checksum() a separate BPF function: the caller
// passes arguments in r1-r5 and gets the result in r0, and the callee has
// its own stack frame. The sum is the one's-complement sum of the header's
// 16-bit words; a correct header sums to 0xffff, so its checksum folds to 0.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} verdicts SEC(".maps");	/* [0]: good checksums, [1]: bad ones */

static __noinline __u16 ipv4_checksum(struct iphdr *ip, void *data_end)
{
	__u16 *word = (__u16 *)ip;
	__u32 sum = 0;

	/* an IPv4 header without options: 10 words */
	for (int i = 0; i < 10; i++) {
		if ((void *)(word + i + 1) > data_end)
			return 0xffff;
		sum += word[i];
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int check_ipv4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 slot;
	__u64 *n;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return XDP_PASS;
	slot = ipv4_checksum(ip, data_end) == 0 ? 0 : 1;
	n = bpf_map_lookup_elem(&verdicts, &slot);
	if (n)
		*n += 1;
	return slot == 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
