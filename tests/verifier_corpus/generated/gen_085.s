r7 = -56
r6 = 592
r7 s>>= 59
*(u64 *)(r10 -16) = r6
call bpf_ktime_get_ns
r9 = *(u64 *)(r10 -16)
if r6 & 10 goto +3
r6 %= 17
w9 -= -489
r9 /= 65
if r7 > 37 goto +3
r7 *= r9
w6 *= w6
w6 &= 476
if r6 > 32 goto +2
r0 *= -178
r6 *= r6
r7 |= -460
r6 = *(u64 *)(r10 -16)
call bpf_get_smp_processor_id
call bpf_get_smp_processor_id
w6 /= 95
if r9 & 36 goto +2
w6 &= -5
w7 &= w7
if r0 <= 10 goto +3
r7 >>= 20
w6 >>= 12
r7 -= 106
r0 = 2
exit
