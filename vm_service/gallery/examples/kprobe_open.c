// Print every file a process opens: a kprobe on do_sys_openat2.
//
// A kprobe runs when the kernel enters a function; its context is the CPU's
// registers (struct pt_regs). BPF_KPROBE names the function's arguments, read
// from the registers of the x86-64 calling convention. The file name lives in
// the calling process's memory, so it must be copied with a probe_read helper
// before it can be printed.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("kprobe/do_sys_openat2")
int BPF_KPROBE(trace_open, int dfd, const char *filename)
{
	char name[64];
	long len = bpf_probe_read_user_str(name, sizeof(name), filename);

	if (len < 0)
		return 0;
	bpf_printk("pid %d opens %s", bpf_get_current_pid_tgid() >> 32, name);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
