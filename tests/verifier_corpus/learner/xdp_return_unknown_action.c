// XDP returning 7, not an XDP action: the verifier does not check it (the driver treats it as aborted).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	return 7;
}
char LICENSE[] SEC("license") = "GPL";
