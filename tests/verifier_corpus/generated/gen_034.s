r6 = 806
w6 |= w6
r6 ^= 270
call bpf_ktime_get_ns
r6 |= 456
w6 |= w0
if r6 != 71 goto +3
r0 /= 74
w6 s>>= 15
r0 %= 75
*(u64 *)(r10 -16) = r6
w0 <<= 28
w6 <<= 23
r6 |= r6
r0 |= -196
r7 = *(u64 *)(r10 -16)
w7 ^= w7
w6 <<= 11
w7 <<= 30
r0 = 1
exit
