// Returning a packet pointer from XDP: as root the kernel allows the pointer leak.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
long prog(struct xdp_md *ctx)
{
	return ctx->data;
}
char LICENSE[] SEC("license") = "GPL";
