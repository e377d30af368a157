r7 = 705
*(u64 *)(r10 -64) = r7
*(u64 *)(r10 -56) = r7
r6 = *(u64 *)(r10 -56)
w7 += 466
w7 /= 48
if r7 s> 51 goto +3
w6 += -328
r7 += 343
w6 *= 199
*(u64 *)(r10 -16) = r7
call bpf_ktime_get_ns
*(u64 *)(r10 -64) = r6
r7 >>= 55
call bpf_ktime_get_ns
if r6 & 57 goto +3
r7 s>>= 39
r7 >>= 41
r6 s>>= 52
if r7 & 108 goto +3
r6 &= r6
w7 %= 26
w7 ^= w0
w0 |= 255
r7 %= 87
r6 = *(u64 *)(r10 -64)
call bpf_get_smp_processor_id
w7 /= 94
if r6 <= 146 goto +2
w6 += w7
w6 <<= 20
*(u64 *)(r10 -64) = r6
r0 = 2
exit
