r9 = -44
w9 *= w9
*(u64 *)(r10 -24) = r9
r9 s>>= 13
r9 += r9
call bpf_get_prandom_u32
w0 *= -292
w0 s>>= 31
*(u64 *)(r10 -56) = r0
call bpf_get_smp_processor_id
r0 += r9
*(u64 *)(r10 -56) = r9
call bpf_get_smp_processor_id
w9 ^= 22
r0 = 2
exit
