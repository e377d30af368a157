// Send one event per packet to user space through a ring buffer.
//
// bpf_ringbuf_reserve() hands out space in the ring for a record; the program
// fills it and must then submit (or discard) it on every path: the verifier
// tracks the reservation like a reference it must give back.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct packet_event {
	__u32 len;		/* bytes in the packet */
	__u16 ethertype;	/* host byte order */
	__u16 ifindex;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("xdp")
int packet_events(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct packet_event *e;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return XDP_PASS;	/* the ring is full: nothing to submit */
	e->len = data_end - data;
	e->ethertype = bpf_ntohs(eth->h_proto);
	e->ifindex = ctx->ingress_ifindex;
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
