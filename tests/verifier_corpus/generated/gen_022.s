r7 = -754
r8 = 514
r7 |= r7
call bpf_get_smp_processor_id
*(u64 *)(r10 -8) = r8
w8 |= w0
r8 s>>= 41
*(u64 *)(r10 -40) = r0
r8 = *(u64 *)(r10 -8)
r7 %= 56
r7 s>>= 53
w8 |= w0
w8 ^= -196
call bpf_get_smp_processor_id
call bpf_get_prandom_u32
call bpf_get_prandom_u32
w0 >>= 6
r9 = *(u64 *)(r10 -8)
r7 <<= 12
if r7 <= 113 goto +1
w7 += w8
r0 s>>= 25
w0 &= w7
if r9 s< 186 goto +1
r0 >>= 36
w8 -= -482
r8 %= 44
r0 = 0
exit
