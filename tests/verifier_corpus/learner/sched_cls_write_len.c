// Writing skb->len, a read-only context field.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tc")
int prog(struct __sk_buff *skb)
{
	skb->len = 0;
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
