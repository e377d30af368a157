/* <bpf/bpf_endian.h>: byte order conversions for BPF programs, as libbpf
 * provides them (bpf_htons(), bpf_ntohl(), bpf_cpu_to_be64(), ...).
 *
 * With a constant argument each macro folds to a constant, so
 * `case bpf_htons(ETH_P_IP):` is valid; otherwise it is one BPF byte-swap
 * instruction. Self-contained: needs no other header. */
#ifndef __BPF_ENDIAN__
#define __BPF_ENDIAN__

/* Constant byte swaps, written with plain shifts so they stay constant
 * expressions whatever the argument's type. */
#define ___bpf_swab16(x) \
	((unsigned short)((((unsigned short)(x)) >> 8) | (((unsigned short)(x)) << 8)))
#define ___bpf_swab32(x) \
	((unsigned int)((((unsigned int)(x)) >> 24) | ((((unsigned int)(x)) >> 8) & 0xff00U) | \
			((((unsigned int)(x)) << 8) & 0xff0000U) | (((unsigned int)(x)) << 24)))
#define ___bpf_swab64(x) \
	((unsigned long long)(((unsigned long long)___bpf_swab32((unsigned int)(unsigned long long)(x)) << 32) | \
			      ___bpf_swab32((unsigned int)((unsigned long long)(x) >> 32))))

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Network order is big-endian: every conversion is a swap. */
# define __bpf_ntohs(x) __builtin_bswap16(x)
# define __bpf_htons(x) __builtin_bswap16(x)
# define __bpf_constant_ntohs(x) ___bpf_swab16(x)
# define __bpf_constant_htons(x) ___bpf_swab16(x)
# define __bpf_ntohl(x) __builtin_bswap32(x)
# define __bpf_htonl(x) __builtin_bswap32(x)
# define __bpf_constant_ntohl(x) ___bpf_swab32(x)
# define __bpf_constant_htonl(x) ___bpf_swab32(x)
# define __bpf_be64_to_cpu(x) __builtin_bswap64(x)
# define __bpf_cpu_to_be64(x) __builtin_bswap64(x)
# define __bpf_constant_be64_to_cpu(x) ___bpf_swab64(x)
# define __bpf_constant_cpu_to_be64(x) ___bpf_swab64(x)
#elif __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
/* Already in network order: every conversion is the identity. */
# define __bpf_ntohs(x) (x)
# define __bpf_htons(x) (x)
# define __bpf_constant_ntohs(x) (x)
# define __bpf_constant_htons(x) (x)
# define __bpf_ntohl(x) (x)
# define __bpf_htonl(x) (x)
# define __bpf_constant_ntohl(x) (x)
# define __bpf_constant_htonl(x) (x)
# define __bpf_be64_to_cpu(x) (x)
# define __bpf_cpu_to_be64(x) (x)
# define __bpf_constant_be64_to_cpu(x) (x)
# define __bpf_constant_cpu_to_be64(x) (x)
#else
# error "the compiler reports no byte order (__BYTE_ORDER__)"
#endif

#define bpf_htons(x) \
	(__builtin_constant_p(x) ? __bpf_constant_htons(x) : __bpf_htons(x))
#define bpf_ntohs(x) \
	(__builtin_constant_p(x) ? __bpf_constant_ntohs(x) : __bpf_ntohs(x))
#define bpf_htonl(x) \
	(__builtin_constant_p(x) ? __bpf_constant_htonl(x) : __bpf_htonl(x))
#define bpf_ntohl(x) \
	(__builtin_constant_p(x) ? __bpf_constant_ntohl(x) : __bpf_ntohl(x))
#define bpf_cpu_to_be64(x) \
	(__builtin_constant_p(x) ? __bpf_constant_cpu_to_be64(x) : __bpf_cpu_to_be64(x))
#define bpf_be64_to_cpu(x) \
	(__builtin_constant_p(x) ? __bpf_constant_be64_to_cpu(x) : __bpf_be64_to_cpu(x))

#endif /* __BPF_ENDIAN__ */
