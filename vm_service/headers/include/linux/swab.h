/* Byte swapping. The ___constant_swab* forms are integer constant expressions
 * (usable in case labels and static initialisers); __swab* fold constants and
 * otherwise compile to one BPF byte-swap instruction. */
#ifndef _LINUX_SWAB_H
#define _LINUX_SWAB_H

#include <linux/types.h>

#define ___constant_swab16(x) \
	((__u16)((((__u16)(x)) >> 8) | (((__u16)(x)) << 8)))

#define ___constant_swab32(x) \
	((__u32)((((__u32)(x)) >> 24) | ((((__u32)(x)) >> 8) & 0x0000ff00U) | \
		 ((((__u32)(x)) << 8) & 0x00ff0000U) | (((__u32)(x)) << 24)))

#define ___constant_swab64(x) \
	((__u64)(((__u64)___constant_swab32((__u32)(__u64)(x)) << 32) | \
		 (__u64)___constant_swab32((__u32)((__u64)(x) >> 32))))

/* Swap the two 16-bit halves, or the bytes within each half. */
#define ___constant_swahw32(x) \
	((__u32)((((__u32)(x)) << 16) | (((__u32)(x)) >> 16)))
#define ___constant_swahb32(x) \
	((__u32)(((((__u32)(x)) & 0x00ff00ffU) << 8) | ((((__u32)(x)) & 0xff00ff00U) >> 8)))

#define __swab16(x) \
	(__builtin_constant_p((__u16)(x)) ? ___constant_swab16(x) : __builtin_bswap16((__u16)(x)))
#define __swab32(x) \
	(__builtin_constant_p((__u32)(x)) ? ___constant_swab32(x) : __builtin_bswap32((__u32)(x)))
#define __swab64(x) \
	(__builtin_constant_p((__u64)(x)) ? ___constant_swab64(x) : __builtin_bswap64((__u64)(x)))
#define __swahw32(x) ___constant_swahw32(x)
#define __swahb32(x) ___constant_swahb32(x)

static __inline__ __u16 __swab16p(const __u16 *p) { return __swab16(*p); }
static __inline__ __u32 __swab32p(const __u32 *p) { return __swab32(*p); }
static __inline__ __u64 __swab64p(const __u64 *p) { return __swab64(*p); }
static __inline__ void __swab16s(__u16 *p) { *p = __swab16(*p); }
static __inline__ void __swab32s(__u32 *p) { *p = __swab32(*p); }
static __inline__ void __swab64s(__u64 *p) { *p = __swab64(*p); }

#endif /* _LINUX_SWAB_H */
