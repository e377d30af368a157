/* The kernel UAPI's integer types: __u8..__u64, __s8..__s64, and the
 * byte-order-annotated names (__be16, __le32, ...) and checksum types.
 * The annotations are plain integers here: __bitwise only means something
 * to the sparse checker, which is never run on BPF programs. */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H

#include <asm/types.h>
#include <linux/posix_types.h>

#ifndef __bitwise
#define __bitwise
#endif
#define __bitwise__ __bitwise

typedef __u16 __bitwise __le16;
typedef __u16 __bitwise __be16;
typedef __u32 __bitwise __le32;
typedef __u32 __bitwise __be32;
typedef __u64 __bitwise __le64;
typedef __u64 __bitwise __be64;

typedef __u16 __bitwise __sum16;   /* a folded 16-bit Internet checksum */
typedef __u32 __bitwise __wsum;    /* a 32-bit partial (unfolded) checksum */

/* 64-bit fields that stay 8-byte aligned on every architecture. */
#define __aligned_u64 __u64 __attribute__((aligned(8)))
#define __aligned_s64 __s64 __attribute__((aligned(8)))
#define __aligned_be64 __be64 __attribute__((aligned(8)))
#define __aligned_le64 __le64 __attribute__((aligned(8)))

typedef unsigned __bitwise __poll_t;

#endif /* _LINUX_TYPES_H */
