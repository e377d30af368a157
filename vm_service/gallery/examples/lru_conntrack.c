// A connection table in an LRU hash, from a tc classifier.
//
// Each flow (addresses, ports, protocol) gets a counter of packets and bytes.
// An LRU hash never fills up: when it is full, inserting a new flow evicts the
// least recently used one, which suits tables of short-lived connections.
// A tc program sees the packet from its Ethernet header, and TC_ACT_OK lets
// the packet continue.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct flow {
	__u32 saddr, daddr;
	__u16 sport, dport;
	__u8 proto;
	__u8 pad[3];
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct flow);
	__type(value, struct flow_stats);
	__uint(max_entries, 4);		/* tiny, to see evictions */
} flows SEC(".maps");

SEC("tc")
int track_flows(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct flow key = {};
	struct flow_stats *stats, fresh = { 1, skb->len };
	__u16 *ports;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return TC_ACT_OK;
	ports = (void *)ip + ip->ihl * 4;	/* TCP and UDP both start with the two ports */
	if ((void *)(ports + 2) > data_end)
		return TC_ACT_OK;

	key.saddr = ip->saddr;
	key.daddr = ip->daddr;
	key.sport = bpf_ntohs(ports[0]);
	key.dport = bpf_ntohs(ports[1]);
	key.proto = ip->protocol;

	stats = bpf_map_lookup_elem(&flows, &key);
	if (stats) {
		__sync_fetch_and_add(&stats->packets, 1);
		__sync_fetch_and_add(&stats->bytes, skb->len);
	} else {
		bpf_map_update_elem(&flows, &key, &fresh, BPF_ANY);
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
