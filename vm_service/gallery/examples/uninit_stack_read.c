// Reading uninitialised stack: accepted as root, rejected for other users.
//
// The verifier tracks which stack bytes hold data. Here `key` is only partly
// written (its `port` and 2 bytes of padding are not) before it is passed to
// a helper, which reads all 8 bytes. An unprivileged program is rejected
// ("invalid indirect read from stack"); a program loaded with CAP_PERFMON,
// as root has, may read uninitialised stack, which the verifier then treats
// as unknown bytes. The playground verifies as root does. The fix either way:
// initialise the whole struct, `struct key key = {};`.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct key {
	__u32 ifindex;
	__u16 port;
	/* 2 bytes of padding */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct key);
	__type(value, __u64);
	__uint(max_entries, 16);
} seen SEC(".maps");

SEC("xdp")
int uninit_read(struct xdp_md *ctx)
{
	struct key key;		/* not initialised */
	__u64 *n;

	key.ifindex = ctx->ingress_ifindex;
	n = bpf_map_lookup_elem(&seen, &key);	/* port and padding never written */
	if (n)
		*n += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
