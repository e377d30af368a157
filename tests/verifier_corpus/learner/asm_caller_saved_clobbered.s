// r1 is read after a helper call clobbered it.
call bpf_ktime_get_ns
r0 = r1
exit
