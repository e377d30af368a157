r9 = 623
r6 = -28
call bpf_get_smp_processor_id
w0 += -62
r0 &= -53
*(u64 *)(r10 -64) = r0
*(u64 *)(r10 -64) = r9
r9 ^= r0
r0 >>= 43
r9 = *(u64 *)(r10 -64)
w9 += -260
r0 &= r6
call bpf_get_prandom_u32
w6 *= w6
call bpf_get_prandom_u32
*(u64 *)(r10 -64) = r6
r0 -= 7
r6 -= -174
call bpf_get_smp_processor_id
r0 %= 81
*(u64 *)(r10 -48) = r6
r0 = 2
exit
