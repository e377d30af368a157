r7 = -864
r6 = -960
w6 &= w6
r7 &= 326
r7 &= r7
w7 %= 65
w6 &= w7
w7 /= 98
call bpf_ktime_get_ns
*(u64 *)(r10 -56) = r7
r6 >>= 29
r6 += r7
w7 s>>= 21
r7 &= r0
if r0 != 181 goto +2
w0 ^= -172
r7 s>>= 41
r6 /= 16
*(u64 *)(r10 -24) = r6
r0 = 1
exit
