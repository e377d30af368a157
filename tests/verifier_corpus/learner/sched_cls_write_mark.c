// Fixed twin: a tc classifier may write skb->mark.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tc")
int prog(struct __sk_buff *skb)
{
	skb->mark = 42;
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
