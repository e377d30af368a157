// Count packets per IP protocol: the kernel's classic sock_example.
//
// A socket filter sees the packet from its network header, so the IPv4
// protocol byte is at offsetof(struct iphdr, protocol), not after an
// Ethernet header. load_byte() is the legacy LD_ABS instruction: it reads
// from the packet and ends the program with 0 if the offset is out of range.
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, long);
	__uint(max_entries, 256);
} proto_count SEC(".maps");

SEC("socket")
int count_protocols(struct __sk_buff *skb)
{
	__u32 proto = load_byte(skb, offsetof(struct iphdr, protocol));
	long *count = bpf_map_lookup_elem(&proto_count, &proto);

	if (count)
		__sync_fetch_and_add(count, 1);
	return 0;	/* a socket filter's return value is how many bytes to keep: none */
}

char LICENSE[] SEC("license") = "GPL";
