r7 = 729
r9 = 601
r8 = 520
if r9 s< 139 goto +2
w7 &= -278
r7 <<= 11
w8 s>>= 24
call bpf_get_prandom_u32
w8 *= 256
call bpf_ktime_get_ns
r0 s>>= 50
*(u64 *)(r10 -24) = r7
w9 <<= 22
w9 %= 58
w8 >>= 3
r7 = *(u64 *)(r10 -24)
r7 /= 53
r0 ^= r9
w8 &= w9
w7 /= 75
w9 %= 68
r8 *= r9
r0 = 0
exit
