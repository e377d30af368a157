// bpf_skb_load_bytes in a tracepoint, which has no skb.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tracepoint/syscalls/sys_enter_execve")
int prog(void *ctx)
{
	char buf[4];

	return bpf_skb_load_bytes(ctx, 0, buf, sizeof(buf));
}
char LICENSE[] SEC("license") = "GPL";
