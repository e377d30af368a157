r8 = 462
r9 = 560
r6 = -108
r8 %= 28
call bpf_get_smp_processor_id
call bpf_ktime_get_ns
if r6 > 14 goto +1
w0 -= w9
call bpf_get_prandom_u32
*(u64 *)(r10 -48) = r0
r8 |= 84
w6 ^= w9
r0 = 2
exit
