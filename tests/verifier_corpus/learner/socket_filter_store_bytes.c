// bpf_skb_store_bytes writes the packet: socket filters may not call it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("socket")
int prog(struct __sk_buff *skb)
{
	__u32 v = 0;

	bpf_skb_store_bytes(skb, 0, &v, 4, 0);
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
