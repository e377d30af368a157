r9 = -62
call bpf_get_prandom_u32
*(u64 *)(r10 -32) = r0
call bpf_get_prandom_u32
w0 %= 80
r9 -= 379
w0 *= w9
w0 <<= 30
w0 += w9
w0 *= w0
w0 /= 56
r9 ^= r9
r9 /= 39
w9 |= -335
w0 -= -59
r8 = *(u64 *)(r10 -32)
r7 = *(u64 *)(r10 -32)
if r0 & 23 goto +2
w8 >>= 19
w7 /= 91
r8 s>>= 22
w7 *= 408
r0 = 1
exit
