r8 = 648
r9 = -76
r7 = 180
if r7 != 139 goto +2
r8 -= r9
w9 <<= 29
call bpf_ktime_get_ns
r0 += 449
w0 -= w0
r7 %= 4
call bpf_get_prandom_u32
call bpf_get_smp_processor_id
w9 ^= 366
w8 |= 181
call bpf_get_smp_processor_id
*(u64 *)(r10 -64) = r0
if r0 > 142 goto +2
r9 <<= 33
r7 |= -11
r0 = 0
exit
