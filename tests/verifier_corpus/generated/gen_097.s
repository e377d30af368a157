r6 = 142
r6 += -18
w6 &= w6
call bpf_ktime_get_ns
r0 &= r0
r0 = 0
exit
