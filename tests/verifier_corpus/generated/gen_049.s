r6 = -909
r8 = 553
if r8 <= 68 goto +3
r6 %= 78
w8 /= 52
r6 &= r8
*(u64 *)(r10 -8) = r8
call bpf_get_smp_processor_id
w8 -= 45
*(u64 *)(r10 -24) = r6
w6 |= 1
if r0 < 13 goto +2
r6 s>>= 19
r0 &= 465
*(u64 *)(r10 -8) = r6
*(u64 *)(r10 -16) = r6
w6 |= w6
*(u64 *)(r10 -16) = r0
r0 = 2
exit
