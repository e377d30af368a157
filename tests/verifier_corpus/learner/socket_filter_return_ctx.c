// Returning the context pointer: as root the kernel allows the leak.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("socket")
long prog(struct __sk_buff *skb)
{
	return (long)skb;
}
char LICENSE[] SEC("license") = "GPL";
