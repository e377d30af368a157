// REJECTED: a ring-buffer record reserved but not submitted on every path.
//
// bpf_ringbuf_reserve() returns a reference the program must give back, with
// bpf_ringbuf_submit() or bpf_ringbuf_discard(), before it exits. Here the
// early return for short packets forgets it: "Unreleased reference". The fix:
// discard the record on that path, or reserve only after the check.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("xdp")
int unreleased_record(struct xdp_md *ctx)
{
	__u32 *len = bpf_ringbuf_reserve(&events, sizeof(*len), 0);

	if (!len)
		return XDP_PASS;
	if (ctx->data_end - ctx->data < 64)
		return XDP_PASS;	/* leaks the reservation: rejected */
	*len = ctx->data_end - ctx->data;
	bpf_ringbuf_submit(len, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
