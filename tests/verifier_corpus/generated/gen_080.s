r8 = 91
r7 = -179
call bpf_get_prandom_u32
w8 += w8
r0 >>= 20
r7 ^= 492
r7 |= r8
r8 += -196
*(u64 *)(r10 -8) = r7
if r8 == 10 goto +3
w0 &= 20
w8 += w7
w7 %= 89
r7 = *(u64 *)(r10 -8)
r0 *= -139
if r0 != 38 goto +3
r0 s>>= 43
w7 *= w0
w0 <<= 9
r8 = *(u64 *)(r10 -8)
w8 %= 25
w8 s>>= 27
r0 = 2
exit
