r8 = -759
if r8 <= 5 goto +3
r8 &= r8
r8 /= 90
r8 |= -396
r8 <<= 54
w8 >>= 14
*(u64 *)(r10 -32) = r8
if r8 & 129 goto +2
r8 <<= 23
w8 -= 496
w8 |= 17
r6 = *(u64 *)(r10 -32)
r8 <<= 46
call bpf_get_smp_processor_id
*(u64 *)(r10 -16) = r6
call bpf_ktime_get_ns
w8 <<= 31
w6 += 129
r7 = *(u64 *)(r10 -16)
call bpf_ktime_get_ns
r6 s>>= 51
call bpf_get_prandom_u32
*(u64 *)(r10 -64) = r7
r0 = 2
exit
