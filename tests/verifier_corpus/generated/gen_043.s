r8 = 430
r9 = 623
if r9 & 32 goto +3
w8 s>>= 23
r9 <<= 7
w8 -= w8
*(u64 *)(r10 -40) = r8
r6 = *(u64 *)(r10 -40)
r6 += r6
call bpf_get_smp_processor_id
w0 -= 420
r0 = 2
exit
