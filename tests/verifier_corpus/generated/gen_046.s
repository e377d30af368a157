r7 = 195
r7 ^= -362
call bpf_get_prandom_u32
call bpf_get_prandom_u32
w7 >>= 9
if r0 > 152 goto +2
r0 >>= 55
w0 ^= -219
*(u64 *)(r10 -16) = r7
if r0 <= 193 goto +2
w0 <<= 22
r0 -= 233
r0 ^= r0
call bpf_ktime_get_ns
w7 -= w0
r7 <<= 4
r0 ^= r7
w0 <<= 30
r7 = *(u64 *)(r10 -16)
w7 *= w0
w0 <<= 17
call bpf_get_prandom_u32
w7 &= w7
r0 &= -164
r8 = *(u64 *)(r10 -16)
r0 = 2
exit
