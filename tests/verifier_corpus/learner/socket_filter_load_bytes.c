// Fixed twin: a socket filter reads the packet with bpf_skb_load_bytes.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("socket")
int prog(struct __sk_buff *skb)
{
	__u8 byte;

	if (bpf_skb_load_bytes(skb, 0, &byte, 1))
		return 0;
	return byte;
}
char LICENSE[] SEC("license") = "GPL";
