// A socket filter may not write skb->mark (only tc programs may).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("socket")
int prog(struct __sk_buff *skb)
{
	skb->mark = 42;
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
