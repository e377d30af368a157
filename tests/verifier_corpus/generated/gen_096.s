r6 = 674
w6 *= -411
w6 ^= w6
if r6 <= 34 goto +3
w6 >>= 15
w6 s>>= 1
r6 += r6
w6 /= 33
r6 <<= 35
call bpf_get_prandom_u32
*(u64 *)(r10 -56) = r0
r6 ^= r6
r0 /= 38
r6 = *(u64 *)(r10 -56)
r0 -= -213
r0 %= 45
w0 s>>= 13
r0 = 0
exit
