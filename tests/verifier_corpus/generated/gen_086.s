r6 = 682
r9 = 477
r7 = 673
call bpf_ktime_get_ns
*(u64 *)(r10 -64) = r0
r6 ^= 392
r9 |= r0
w9 *= w9
r7 = *(u64 *)(r10 -64)
w9 |= 163
*(u64 *)(r10 -48) = r9
r9 = *(u64 *)(r10 -64)
w9 %= 54
r0 += r9
if r9 <= 61 goto +1
r0 s>>= 4
if r9 >= 182 goto +1
w7 *= -11
call bpf_get_smp_processor_id
w7 += -407
r0 = 1
exit
