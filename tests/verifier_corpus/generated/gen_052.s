r9 = 882
r6 = -713
r9 >>= 4
call bpf_get_prandom_u32
if r6 < 199 goto +1
r0 -= r0
if r0 > 101 goto +2
w0 += 89
w6 %= 70
call bpf_get_smp_processor_id
call bpf_get_smp_processor_id
r10 = 0
w6 -= w9
r0 = 1
exit
