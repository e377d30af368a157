/* x86_64 registers as saved on kernel entry, with the user-space (UAPI)
 * member names (rdi, rsi, ...). vmlinux.h declares the same 168 bytes with
 * the kernel's own names (di, si, ...), so this definition steps aside when
 * vmlinux.h is in use; bpf/bpf_tracing.h picks the matching names. */
#ifndef _ASM_X86_PTRACE_H
#define _ASM_X86_PTRACE_H

#ifndef __VMLINUX_H__
struct pt_regs {
	/* callee-saved registers, saved only on some entries */
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long rbp;
	unsigned long rbx;
	/* always saved */
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long rax;
	unsigned long rcx;
	unsigned long rdx;
	unsigned long rsi;
	unsigned long rdi;
	unsigned long orig_rax;   /* the syscall number on syscall entry */
	/* the hardware's return frame */
	unsigned long rip;
	unsigned long cs;
	unsigned long eflags;
	unsigned long rsp;
	unsigned long ss;
};
#endif /* __VMLINUX_H__ */

#endif /* _ASM_X86_PTRACE_H */
