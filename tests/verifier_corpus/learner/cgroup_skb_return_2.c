// A cgroup_skb ingress program must return 0 or 1.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("cgroup_skb/ingress")
int prog(struct __sk_buff *skb)
{
	return 2;
}
char LICENSE[] SEC("license") = "GPL";
