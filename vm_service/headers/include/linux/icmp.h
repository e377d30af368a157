/* The ICMP (IPv4) header, message types and codes. */
#ifndef _LINUX_ICMP_H
#define _LINUX_ICMP_H

#include <linux/types.h>
#include <asm/byteorder.h>

/* Message types. */
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define ICMP_TIMESTAMP 13
#define ICMP_TIMESTAMPREPLY 14
#define ICMP_INFO_REQUEST 15
#define ICMP_INFO_REPLY 16
#define ICMP_ADDRESS 17
#define ICMP_ADDRESSREPLY 18
#define NR_ICMP_TYPES 18

/* ICMP_DEST_UNREACH codes. */
#define ICMP_NET_UNREACH 0
#define ICMP_HOST_UNREACH 1
#define ICMP_PROT_UNREACH 2
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED 4       /* fragmentation needed but DF set */
#define ICMP_SR_FAILED 5
#define ICMP_NET_UNKNOWN 6
#define ICMP_HOST_UNKNOWN 7
#define ICMP_HOST_ISOLATED 8
#define ICMP_NET_ANO 9
#define ICMP_HOST_ANO 10
#define ICMP_NET_UNR_TOS 11
#define ICMP_HOST_UNR_TOS 12
#define ICMP_PKT_FILTERED 13
#define ICMP_PREC_VIOLATION 14
#define ICMP_PREC_CUTOFF 15
#define NR_ICMP_UNREACH 15

/* ICMP_REDIRECT codes. */
#define ICMP_REDIR_NET 0
#define ICMP_REDIR_HOST 1
#define ICMP_REDIR_NETTOS 2
#define ICMP_REDIR_HOSTTOS 3

/* ICMP_TIME_EXCEEDED codes. */
#define ICMP_EXC_TTL 0
#define ICMP_EXC_FRAGTIME 1

/* Extended echo (RFC 8335). */
#define ICMP_EXT_ECHO 42
#define ICMP_EXT_ECHOREPLY 43

/* The ICMP header: 8 bytes; the last 4 depend on the message type. */
struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	union {
		struct {
			__be16 id;
			__be16 sequence;
		} echo;                 /* echo request and reply */
		__be32 gateway;         /* redirect */
		struct {
			__be16 __unused;
			__be16 mtu;
		} frag;                 /* fragmentation needed */
		__u8 reserved[4];
	} un;
};

#define ICMP_FILTER 1

struct icmp_filter {
	__u32 data;
};

#endif /* _LINUX_ICMP_H */
