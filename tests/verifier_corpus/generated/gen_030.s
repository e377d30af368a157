r7 = -187
r9 = -230
r6 = 313
if r7 & 167 goto +1
r9 &= r6
*(u64 *)(r10 -16) = r7
w6 /= 98
r6 = *(u64 *)(r10 -16)
call bpf_ktime_get_ns
if r7 s> 45 goto +2
w6 |= w0
w6 &= w0
call bpf_get_smp_processor_id
r0 = 0
exit
