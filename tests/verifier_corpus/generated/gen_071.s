r7 = -461
r6 = -823
r6 s>>= 46
if r6 <= 99 goto +1
r7 %= 5
w6 ^= w6
r6 /= 20
r7 |= r6
*(u64 *)(r10 -8) = r6
w6 -= w7
if r6 < 8 goto +3
r7 |= r6
w6 /= 61
r7 |= 267
w6 >>= 19
r0 = 0
exit
