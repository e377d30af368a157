/* The version of the kernel the playground emulates: Linux 6.18. */
#ifndef _LINUX_VERSION_H
#define _LINUX_VERSION_H

#define LINUX_VERSION_MAJOR 6
#define LINUX_VERSION_PATCHLEVEL 18
#define LINUX_VERSION_SUBLEVEL 0
#define LINUX_VERSION_CODE 397824   /* KERNEL_VERSION(6, 18, 0) */
#ifndef KERNEL_VERSION
#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))
#endif

#endif /* _LINUX_VERSION_H */
