r7 = -404
r9 = 503
r8 = -852
w8 %= 51
w8 &= w8
*(u64 *)(r10 -24) = r7
call bpf_get_smp_processor_id
r7 += r8
r0 |= -109
r9 = *(u64 *)(r10 -24)
r8 *= -2
call bpf_get_smp_processor_id
r8 >>= 62
r8 -= -409
r8 -= r9
w0 <<= 10
call bpf_get_prandom_u32
if r0 s< 145 goto +2
w9 >>= 26
w0 |= w9
w9 |= w9
r6 = *(u64 *)(r10 -24)
*(u64 *)(r10 -64) = r7
*(u64 *)(r10 -40) = r9
w0 %= 33
r8 -= r0
w9 s>>= 22
r0 += -499
w7 s>>= 11
r0 = 0
exit
