// Admit only UDP packets whose payload ends in a magic token.
//
// The idea of Cloudflare's Magic Firewall: a socket filter checks a
// signature at the end of the payload. A socket filter returns how many
// bytes of the packet to keep: 0 drops it, and a large number keeps it whole.
// bpf_skb_load_bytes copies bytes from any offset, checked by the helper,
// so no data_end comparison is needed.
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>

#define TOKEN_LEN 4
static const char token[TOKEN_LEN] = { 'B', 'P', 'F', '!' };

SEC("socket")
int magic_token(struct __sk_buff *skb)
{
	struct iphdr ip;
	char tail[TOKEN_LEN];

	/* the socket filter's view starts at the IPv4 header */
	if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0)
		return 0;
	if (ip.protocol != IPPROTO_UDP)
		return 0;
	if (skb->len < ip.ihl * 4 + sizeof(struct udphdr) + TOKEN_LEN)
		return 0;
	if (bpf_skb_load_bytes(skb, skb->len - TOKEN_LEN, tail, TOKEN_LEN) < 0)
		return 0;

	for (int i = 0; i < TOKEN_LEN; i++)
		if (tail[i] != token[i])
			return 0;
	return skb->len;	/* keep the whole packet */
}

char LICENSE[] SEC("license") = "GPL";
