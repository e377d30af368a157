// XDP drop-all: the smallest useful XDP program.
//
// An XDP program runs in the network driver, before the kernel allocates
// anything for the packet. Its return value decides the packet's fate:
// XDP_DROP discards it, XDP_PASS hands it to the network stack.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_drop_all(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
