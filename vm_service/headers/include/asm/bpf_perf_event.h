/* The register set perf_event programs see: on x86 it is struct pt_regs. */
#ifndef _ASM_BPF_PERF_EVENT_H
#define _ASM_BPF_PERF_EVENT_H

#include <linux/ptrace.h>

typedef struct pt_regs bpf_user_pt_regs_t;

#endif /* _ASM_BPF_PERF_EVENT_H */
