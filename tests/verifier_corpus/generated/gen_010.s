r9 = 665
w9 s>>= 20
r9 ^= r9
*(u64 *)(r10 -56) = r9
r9 >>= 38
*(u64 *)(r10 -24) = r9
w9 /= 6
r9 *= -190
call bpf_get_prandom_u32
r10 = 0
w9 %= 56
if r0 s> 9 goto +1
r9 s>>= 28
r9 |= 375
w0 <<= 9
r0 >>= 24
*(u64 *)(r10 -56) = r9
if r9 s< 42 goto +1
r9 *= -227
w0 >>= 20
r7 = *(u64 *)(r10 -24)
r0 = 2
exit
