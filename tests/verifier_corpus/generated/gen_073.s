r8 = -850
r9 = -3
call bpf_ktime_get_ns
if r8 s> 142 goto +1
w0 |= -474
*(u64 *)(r10 -64) = r9
r7 = *(u64 *)(r10 -64)
w7 -= -143
r7 &= r8
r0 &= -60
r0 %= 84
r10 = 0
r7 s>>= 56
if r8 != 105 goto +2
w7 ^= w9
w0 <<= 3
r8 >>= 17
w0 s>>= 24
r8 = *(u64 *)(r10 -64)
r9 += r8
r0 = 2
exit
