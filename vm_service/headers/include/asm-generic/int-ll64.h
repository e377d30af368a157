/* Fixed-width integer types of the kernel UAPI: 64-bit integers are long long.
 * Part of the eBPF playground's own libbpf/UAPI-compatible headers. */
#ifndef _ASM_GENERIC_INT_LL64_H
#define _ASM_GENERIC_INT_LL64_H

#include <asm/bitsperlong.h>

typedef signed char __s8;
typedef unsigned char __u8;
typedef signed short __s16;
typedef unsigned short __u16;
typedef signed int __s32;
typedef unsigned int __u32;
__extension__ typedef signed long long __s64;
__extension__ typedef unsigned long long __u64;

#endif /* _ASM_GENERIC_INT_LL64_H */
