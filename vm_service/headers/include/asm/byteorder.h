/* Byte order of the target: BPF programs run in the host's order, which the
 * compiler reports through __BYTE_ORDER__ (bpfel: little, bpfeb: big). */
#ifndef _ASM_BYTEORDER_H
#define _ASM_BYTEORDER_H

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#include <linux/byteorder/little_endian.h>
#else
#include <linux/byteorder/big_endian.h>
#endif

#endif /* _ASM_BYTEORDER_H */
