/* Architecture integer types: x86_64 uses the generic long-long layout. */
#ifndef _ASM_TYPES_H
#define _ASM_TYPES_H

#include <asm-generic/int-ll64.h>

#endif /* _ASM_TYPES_H */
