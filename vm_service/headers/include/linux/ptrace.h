/* struct pt_regs of the emulated kernel (x86_64), for kprobe programs. */
#ifndef _LINUX_PTRACE_H
#define _LINUX_PTRACE_H

#include <linux/types.h>
#include <asm/ptrace.h>

#endif /* _LINUX_PTRACE_H */
