// Configuration in .rodata: constants set by the loader, known to the verifier.
//
// A `const volatile` global lives in the .rodata section. A loader may set
// it before loading (libbpf's skeletons do) and then freezes the map, so the
// program cannot change it and the verifier may use its value: code that a
// setting disables is removed as dead code. `volatile` stops the compiler
// from folding the default value in.
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

const volatile __u16 blocked_port = 9;		/* UDP "discard" */
const volatile bool log_drops = true;

__u64 dropped;		/* a zero-initialised global the program may change: in .bss */

SEC("xdp")
int block_port(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	if (udp->dest != bpf_htons(blocked_port))
		return XDP_PASS;
	__sync_fetch_and_add(&dropped, 1);
	if (log_drops)
		bpf_printk("dropped a packet to port %d", blocked_port);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
