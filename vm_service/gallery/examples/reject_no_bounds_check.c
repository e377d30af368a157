// REJECTED: a packet read without checking data_end first.
//
// The verifier only lets a program read packet bytes it has proven to be
// inside the packet, by comparing a pointer with ctx->data_end. Reading the
// EtherType straight away is refused: "invalid access to packet". The fix:
// `if ((void *)(eth + 1) > data_end) return XDP_PASS;` before the read.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int no_bounds_check(struct xdp_md *ctx)
{
	struct ethhdr *eth = (void *)(long)ctx->data;

	if (eth->h_proto == bpf_htons(ETH_P_IP))	/* not proven in bounds: rejected */
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
