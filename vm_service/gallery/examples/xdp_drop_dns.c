// Drop DNS: parse Ethernet, IPv4 and UDP, and drop packets to UDP port 53.
//
// Every packet access must be proven in bounds first: compare the end of
// the header you are about to read with data_end, or the verifier refuses
// the program.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_drop_dns(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct udphdr *udp;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;

	udp = (void *)ip + ip->ihl * 4;		/* the IPv4 header may carry options */
	if ((void *)(udp + 1) > data_end)
		return XDP_PASS;

	return udp->dest == bpf_htons(53) ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
