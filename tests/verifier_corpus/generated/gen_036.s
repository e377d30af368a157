r6 = 29
r9 = 284
w9 ^= 89
*(u64 *)(r10 -64) = r9
*(u64 *)(r10 -56) = r6
r6 += r7
w9 &= w9
call bpf_ktime_get_ns
w9 <<= 8
r6 ^= 455
r0 = 2
exit
