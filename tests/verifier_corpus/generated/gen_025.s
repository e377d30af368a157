r7 = 906
if r7 != 131 goto +1
w7 += -402
*(u64 *)(r10 -24) = r7
call bpf_get_prandom_u32
call bpf_ktime_get_ns
w7 <<= 12
r7 -= r0
call bpf_get_smp_processor_id
r0 s>>= 9
w7 s>>= 27
if r0 s< 109 goto +3
r7 >>= 63
r7 *= 350
w7 %= 3
*(u64 *)(r10 -16) = r0
r0 &= 273
r0 = 0
exit
