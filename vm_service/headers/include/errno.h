/* <errno.h> for BPF programs: only the error numbers (there is no errno
 * variable in a BPF program; helpers return -EXXX instead). */
#ifndef _PLAYGROUND_ERRNO_H
#define _PLAYGROUND_ERRNO_H
#include <asm/errno.h>
#endif
