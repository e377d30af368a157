// Fixed twin: returning 1 (allow).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("cgroup_skb/ingress")
int prog(struct __sk_buff *skb)
{
	return 1;
}
char LICENSE[] SEC("license") = "GPL";
