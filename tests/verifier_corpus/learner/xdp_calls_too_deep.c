// bpf-to-bpf calls nested nine frames deep (the limit is eight).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
static __noinline int f8(int x) { return x + 8; }
static __noinline int f7(int x) { return f8(x) + 7; }
static __noinline int f6(int x) { return f7(x) + 6; }
static __noinline int f5(int x) { return f6(x) + 5; }
static __noinline int f4(int x) { return f5(x) + 4; }
static __noinline int f3(int x) { return f4(x) + 3; }
static __noinline int f2(int x) { return f3(x) + 2; }
static __noinline int f1(int x) { return f2(x) + 1; }
SEC("xdp")
int prog(struct xdp_md *ctx)
{
	return f1(ctx->ingress_ifindex) & 1;
}
char LICENSE[] SEC("license") = "GPL";
