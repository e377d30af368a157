r7 = -728
*(u64 *)(r10 -16) = r7
r7 /= 48
r7 = *(u64 *)(r10 -16)
if r7 & 118 goto +3
w7 /= 11
w7 >>= 25
r7 |= r7
call bpf_ktime_get_ns
r0 = 2
exit
