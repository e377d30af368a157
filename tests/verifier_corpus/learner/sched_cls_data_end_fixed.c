// Fixed twin: the tc classifier checks data_end first.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tc")
int prog(struct __sk_buff *skb)
{
	unsigned char *data = (void *)(long)skb->data;
	unsigned char *end = (void *)(long)skb->data_end;

	if (data + 1 > end)
		return 0;
	return data[0] & 1;
}
char LICENSE[] SEC("license") = "GPL";
