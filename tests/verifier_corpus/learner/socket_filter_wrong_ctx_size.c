// Reading the 4-byte skb->len as 8 bytes.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("socket")
int prog(struct __sk_buff *skb)
{
	return *(__u64 *)&skb->len != 0;
}
char LICENSE[] SEC("license") = "GPL";
