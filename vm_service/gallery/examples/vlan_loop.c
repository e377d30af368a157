// Skip any number of VLAN tags (up to a bound) with a bounded loop.
//
// The verifier must see that a loop ends: here the loop runs at most
// MAX_VLANS times, and every iteration checks the packet bounds before it
// reads. After the tags comes the real EtherType; this program drops IPv6.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define MAX_VLANS 4

struct vlan_tag {
	__be16 tci;		/* priority, drop eligible, VLAN id */
	__be16 next_proto;	/* the EtherType that follows the tag */
};

SEC("xdp")
int skip_vlans(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_tag *tag;
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	proto = eth->h_proto;
	tag = (void *)(eth + 1);
	for (int i = 0; i < MAX_VLANS; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(tag + 1) > data_end)
			return XDP_PASS;
		proto = tag->next_proto;
		tag++;
	}
	return proto == bpf_htons(ETH_P_IPV6) ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
