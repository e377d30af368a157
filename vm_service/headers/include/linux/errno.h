/* The kernel's error numbers (EINVAL, ENOENT, ...). */
#ifndef _LINUX_ERRNO_H
#define _LINUX_ERRNO_H
#include <asm/errno.h>
#endif
