// bpf_get_current_pid_tgid in a socket filter: a base helper on 6.18, so accepted.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("socket")
int prog(struct __sk_buff *skb)
{
	return bpf_get_current_pid_tgid() & 1;
}
char LICENSE[] SEC("license") = "GPL";
