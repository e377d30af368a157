r9 = 751
r8 = 202
call bpf_get_prandom_u32
w0 >>= 9
r9 %= 77
*(u64 *)(r10 -64) = r9
r9 += r0
w9 += w9
w9 &= w9
w8 %= 53
call bpf_ktime_get_ns
r0 = 2
exit
