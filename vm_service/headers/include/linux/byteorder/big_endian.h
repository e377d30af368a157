/* Conversions between CPU order and fixed byte orders on a big-endian CPU.
 * The __constant_ forms are integer constant expressions. */
#ifndef _LINUX_BYTEORDER_BIG_ENDIAN_H
#define _LINUX_BYTEORDER_BIG_ENDIAN_H

#ifndef __BIG_ENDIAN
#define __BIG_ENDIAN 4321
#endif
#ifndef __BIG_ENDIAN_BITFIELD
#define __BIG_ENDIAN_BITFIELD
#endif

#include <linux/types.h>
#include <linux/swab.h>

/* CPU order <-> big-endian: no change on this CPU. */
#define __constant_cpu_to_be16(x) ((__be16)(__u16)(x))
#define __constant_be16_to_cpu(x) ((__u16)(__u16)(x))
#define __cpu_to_be16(x) ((__be16)(__u16)(x))
#define __be16_to_cpu(x) ((__u16)(__u16)(x))
#define __constant_cpu_to_be32(x) ((__be32)(__u32)(x))
#define __constant_be32_to_cpu(x) ((__u32)(__u32)(x))
#define __cpu_to_be32(x) ((__be32)(__u32)(x))
#define __be32_to_cpu(x) ((__u32)(__u32)(x))
#define __constant_cpu_to_be64(x) ((__be64)(__u64)(x))
#define __constant_be64_to_cpu(x) ((__u64)(__u64)(x))
#define __cpu_to_be64(x) ((__be64)(__u64)(x))
#define __be64_to_cpu(x) ((__u64)(__u64)(x))

/* CPU order <-> little-endian: a byte swap on this CPU. */
#define __constant_cpu_to_le16(x) ((__le16)___constant_swab16(x))
#define __constant_le16_to_cpu(x) ((__u16)___constant_swab16(x))
#define __cpu_to_le16(x) ((__le16)__swab16(x))
#define __le16_to_cpu(x) ((__u16)__swab16(x))
#define __constant_cpu_to_le32(x) ((__le32)___constant_swab32(x))
#define __constant_le32_to_cpu(x) ((__u32)___constant_swab32(x))
#define __cpu_to_le32(x) ((__le32)__swab32(x))
#define __le32_to_cpu(x) ((__u32)__swab32(x))
#define __constant_cpu_to_le64(x) ((__le64)___constant_swab64(x))
#define __constant_le64_to_cpu(x) ((__u64)___constant_swab64(x))
#define __cpu_to_le64(x) ((__le64)__swab64(x))
#define __le64_to_cpu(x) ((__u64)__swab64(x))

/* Network order is big-endian. */
#define __constant_htonl(x) __constant_cpu_to_be32(x)
#define __constant_ntohl(x) __constant_be32_to_cpu(x)
#define __constant_htons(x) __constant_cpu_to_be16(x)
#define __constant_ntohs(x) __constant_be16_to_cpu(x)

#endif /* _LINUX_BYTEORDER_BIG_ENDIAN_H */
