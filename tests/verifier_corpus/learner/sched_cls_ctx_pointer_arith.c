// Adding a variable to the context pointer before a read.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tc")
int prog(struct __sk_buff *skb)
{
	__u32 off = skb->mark & 4;

	return *(__u32 *)((char *)skb + off);
}
char LICENSE[] SEC("license") = "GPL";
