/* The IPv6 header and extension headers. */
#ifndef _IPV6_H
#define _IPV6_H

#include <linux/types.h>
#include <linux/in6.h>
#include <linux/stddef.h>
#include <asm/byteorder.h>

#define IPV6_MIN_MTU 1280

/* Generic extension header: hop-by-hop and destination options. hdrlen
 * counts 8-byte units after the first 8 bytes. */
struct ipv6_opt_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
	/* TLV options follow */
} __attribute__((packed));

#define ipv6_destopt_hdr ipv6_opt_hdr
#define ipv6_hopopt_hdr ipv6_opt_hdr

/* Routing header. */
struct ipv6_rt_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
	__u8 type;
	__u8 segments_left;
	/* type-specific data follows */
};

#define IPV6_SRCRT_STRICT 0x01
#define IPV6_SRCRT_TYPE_0 0     /* deprecated */
#define IPV6_SRCRT_TYPE_2 2     /* mobile IPv6 */
#define IPV6_SRCRT_TYPE_3 3     /* RPL segment routing */
#define IPV6_SRCRT_TYPE_4 4     /* segment routing (SRv6) */

/* The IPv6 header: 40 bytes, multi-byte fields big-endian. The 4-bit
 * traffic class high nibble is "priority"; its low nibble and the 20-bit
 * flow label are in flow_lbl. */
struct ipv6hdr {
#if defined(__LITTLE_ENDIAN_BITFIELD)
	__u8 priority:4,
	     version:4;
#elif defined(__BIG_ENDIAN_BITFIELD)
	__u8 version:4,
	     priority:4;
#else
#error "asm/byteorder.h defines neither bitfield order"
#endif
	__u8 flow_lbl[3];
	__be16 payload_len;   /* bytes after this header */
	__u8 nexthdr;         /* IPPROTO_* or an extension header */
	__u8 hop_limit;
	__struct_group(/* no tag */, addrs, /* no attributes */,
		struct in6_addr saddr;
		struct in6_addr daddr;
	);
};

#endif /* _IPV6_H */
