/* Word size of the emulated kernel (x86_64, which BPF's 64-bit longs match). */
#ifndef _ASM_BITSPERLONG_H
#define _ASM_BITSPERLONG_H

#define __BITS_PER_LONG 64
#ifndef __BITS_PER_LONG_LONG
#define __BITS_PER_LONG_LONG 64
#endif

#endif /* _ASM_BITSPERLONG_H */
