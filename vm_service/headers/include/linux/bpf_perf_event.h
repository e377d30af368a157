/* The context of perf_event programs. */
#ifndef _UAPI__LINUX_BPF_PERF_EVENT_H__
#define _UAPI__LINUX_BPF_PERF_EVENT_H__

#include <asm/bpf_perf_event.h>

struct bpf_perf_event_data {
	bpf_user_pt_regs_t regs;   /* registers when the event fired */
	__u64 sample_period;
	__u64 addr;
};

#endif /* _UAPI__LINUX_BPF_PERF_EVENT_H__ */
