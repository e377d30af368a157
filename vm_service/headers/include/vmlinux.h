/* vmlinux.h for the playground's simulated x86_64 Linux 6.18 kernel: the
 * kernel types tracing programs use, in the style of `bpftool btf dump ...
 * format c` (every struct carries preserve_access_index, so field accesses
 * are CO-RE relocated against the simulated kernel when the program loads).
 *
 * A small hand-made subset: struct pt_regs and the tracepoint records have
 * the kernel's exact layout (programs read them directly); task_struct and
 * cred list only the fields tutorials use, in their real order but without
 * the members between them, so their offsets are this file's own and CO-RE
 * maps them onto the simulated kernel. The UAPI context structs come from
 * <linux/bpf.h>. */
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

#include <linux/types.h>

typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;

/* bool, true and false as bpftool declares them, unless <stdbool.h> came
 * first or the language has them as keywords (C23). */
#ifndef __bool_true_false_are_defined
#define __bool_true_false_are_defined 1
#if !defined(__STDC_VERSION__) || __STDC_VERSION__ < 202311L
typedef _Bool bool;
enum {
	false = 0,
	true = 1,
};
#endif
#endif

typedef __kernel_pid_t pid_t;
typedef __kernel_uid32_t uid_t;
typedef __kernel_gid32_t gid_t;
typedef __kernel_size_t size_t;
typedef __kernel_ssize_t ssize_t;
typedef __kernel_loff_t loff_t;
typedef unsigned short umode_t;

typedef struct {
	uid_t val;
} kuid_t;

typedef struct {
	gid_t val;
} kgid_t;

/* Registers saved on kernel entry (x86_64), with the kernel's member names. */
struct pt_regs {
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long bp;
	unsigned long bx;
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;   /* the syscall number on syscall entry */
	unsigned long ip;
	union {
		u16 cs;
		u64 csx;
	};
	unsigned long flags;
	unsigned long sp;
	union {
		u16 ss;
		u64 ssx;
	};
};

/* UAPI: context structs, map and program types, helper flags. */
#include <linux/bpf.h>

struct list_head {
	struct list_head *next;
	struct list_head *prev;
};

/* Credentials of a task. */
struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t suid;
	kgid_t sgid;
	kuid_t euid;
	kgid_t egid;
	kuid_t fsuid;
	kgid_t fsgid;
};

struct mm_struct;

#define TASK_COMM_LEN 16

/* A thread. pid is the thread id, tgid the process id. */
struct task_struct {
	unsigned int __state;
	unsigned int flags;
	int prio;
	struct list_head tasks;
	struct mm_struct *mm;
	int exit_code;
	int exit_signal;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;   /* who created it */
	struct task_struct *parent;        /* who gets its SIGCHLD (a tracer, or real_parent) */
	struct task_struct *group_leader;
	u64 start_time;
	const struct cred *real_cred;
	const struct cred *cred;
	char comm[TASK_COMM_LEN];          /* the executable name, NUL-terminated */
};

/* The header of every tracepoint record. */
struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

/* Context of syscalls/sys_enter_* tracepoints (and raw_syscalls/sys_enter). */
struct trace_event_raw_sys_enter {
	struct trace_entry ent;
	long id;                  /* the syscall number */
	unsigned long args[6];
	char __data[0];
};

/* Context of syscalls/sys_exit_* tracepoints (and raw_syscalls/sys_exit). */
struct trace_event_raw_sys_exit {
	struct trace_entry ent;
	long id;
	long ret;                 /* the return value */
	char __data[0];
};

/* Context of sched/sched_process_exec: filename is a __data_loc string, its
 * offset from the record start in the low 16 bits and its length above. */
struct trace_event_raw_sched_process_exec {
	struct trace_entry ent;
	u32 __data_loc_filename;
	pid_t pid;
	pid_t old_pid;
	char __data[0];
};

/* Context of sched/sched_process_fork. */
struct trace_event_raw_sched_process_fork {
	struct trace_entry ent;
	u32 __data_loc_parent_comm;
	pid_t parent_pid;
	u32 __data_loc_child_comm;
	pid_t child_pid;
	char __data[0];
};

/* Context of sched/sched_switch. */
struct trace_event_raw_sched_switch {
	struct trace_entry ent;
	char prev_comm[16];
	pid_t prev_pid;
	int prev_prio;
	long prev_state;
	char next_comm[16];
	pid_t next_pid;
	int next_prio;
	char __data[0];
};

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
