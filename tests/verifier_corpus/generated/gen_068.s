r6 = -116
r8 = -40
r9 = -457
if r9 s< 96 goto +3
r8 *= r9
w8 -= w9
r6 &= r8
call bpf_ktime_get_ns
call bpf_ktime_get_ns
r8 *= r9
*(u64 *)(r10 -40) = r0
w9 <<= 26
r8 <<= 5
r9 <<= 30
w8 ^= 394
w9 <<= 29
call bpf_get_smp_processor_id
if r8 >= 120 goto +2
r8 += 295
r0 >>= 32
r0 -= 95
w8 += w9
r8 = *(u64 *)(r10 -40)
w8 %= 42
w6 &= w6
r9 = *(u64 *)(r10 -40)
r6 = *(u64 *)(r10 -40)
r9 += r8
r0 &= 436
if r0 <= 47 goto +3
w6 &= 474
w8 /= 11
w0 -= w8
r8 <<= 8
*(u64 *)(r10 -64) = r0
r0 = 1
exit
