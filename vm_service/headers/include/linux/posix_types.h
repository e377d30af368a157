/* POSIX types as the kernel UAPI spells them (__kernel_pid_t, ...). */
#ifndef _LINUX_POSIX_TYPES_H
#define _LINUX_POSIX_TYPES_H

#include <linux/stddef.h>
#include <asm/posix_types.h>

#endif /* _LINUX_POSIX_TYPES_H */
