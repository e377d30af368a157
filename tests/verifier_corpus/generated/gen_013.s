r7 = 364
r7 *= -281
r7 <<= 1
w7 -= 262
*(u64 *)(r10 -24) = r7
*(u64 *)(r10 -32) = r7
call bpf_get_smp_processor_id
r8 = *(u64 *)(r10 -32)
r0 = 2
exit
