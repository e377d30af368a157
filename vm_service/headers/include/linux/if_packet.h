/* Packet types (__sk_buff->pkt_type) and the link-layer socket address. */
#ifndef __LINUX_IF_PACKET_H
#define __LINUX_IF_PACKET_H

#include <asm/byteorder.h>
#include <linux/types.h>

struct sockaddr_ll {
	unsigned short sll_family;    /* AF_PACKET */
	__be16 sll_protocol;          /* EtherType */
	int sll_ifindex;
	unsigned short sll_hatype;
	unsigned char sll_pkttype;    /* PACKET_* below */
	unsigned char sll_halen;
	unsigned char sll_addr[8];
};

/* Who a packet is for (__sk_buff->pkt_type). */
#define PACKET_HOST 0          /* to this host */
#define PACKET_BROADCAST 1     /* to everyone (link-layer broadcast) */
#define PACKET_MULTICAST 2     /* to a multicast group */
#define PACKET_OTHERHOST 3     /* to another host (seen in promiscuous mode) */
#define PACKET_OUTGOING 4      /* sent by this host */
#define PACKET_LOOPBACK 5      /* looped back (MC_LOOP) */
#define PACKET_USER 6          /* to user space */
#define PACKET_KERNEL 7        /* to the kernel */
#define PACKET_FASTROUTE 6     /* obsolete, same value as PACKET_USER */

/* SOL_PACKET socket options. */
#define PACKET_ADD_MEMBERSHIP 1
#define PACKET_DROP_MEMBERSHIP 2
#define PACKET_RECV_OUTPUT 3
#define PACKET_RX_RING 5
#define PACKET_STATISTICS 6
#define PACKET_COPY_THRESH 7
#define PACKET_AUXDATA 8
#define PACKET_ORIGDEV 9
#define PACKET_VERSION 10
#define PACKET_HDRLEN 11
#define PACKET_RESERVE 12
#define PACKET_TX_RING 13
#define PACKET_LOSS 14
#define PACKET_VNET_HDR 15
#define PACKET_TX_TIMESTAMP 16
#define PACKET_TIMESTAMP 17
#define PACKET_FANOUT 18
#define PACKET_TX_HAS_OFF 19
#define PACKET_QDISC_BYPASS 20
#define PACKET_ROLLOVER_STATS 21
#define PACKET_FANOUT_DATA 22
#define PACKET_IGNORE_OUTGOING 23

/* PACKET_FANOUT modes and flags. */
#define PACKET_FANOUT_HASH 0
#define PACKET_FANOUT_LB 1
#define PACKET_FANOUT_CPU 2
#define PACKET_FANOUT_ROLLOVER 3
#define PACKET_FANOUT_RND 4
#define PACKET_FANOUT_QM 5
#define PACKET_FANOUT_CBPF 6
#define PACKET_FANOUT_EBPF 7
#define PACKET_FANOUT_FLAG_ROLLOVER 0x1000
#define PACKET_FANOUT_FLAG_UNIQUEID 0x2000
#define PACKET_FANOUT_FLAG_DEFRAG 0x8000

/* PACKET_ADD_MEMBERSHIP types. */
#define PACKET_MR_MULTICAST 0
#define PACKET_MR_PROMISC 1
#define PACKET_MR_ALLMULTI 2
#define PACKET_MR_UNICAST 3

#endif /* __LINUX_IF_PACKET_H */
