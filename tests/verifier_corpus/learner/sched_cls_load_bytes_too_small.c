// bpf_skb_load_bytes given a length that may be zero (len & 31): it needs a non-zero size.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tc")
int prog(struct __sk_buff *skb)
{
	char buf[8];
	volatile __u32 len = 16;

	if (bpf_skb_load_bytes(skb, 0, buf, len & 31))
		return 0;
	return buf[0];
}
char LICENSE[] SEC("license") = "GPL";
