// A tc classifier reading skb->data without a data_end check.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tc")
int prog(struct __sk_buff *skb)
{
	unsigned char *data = (void *)(long)skb->data;

	return data[0];
}
char LICENSE[] SEC("license") = "GPL";
