r8 = -434
r9 = -215
r8 >>= 19
*(u64 *)(r10 -24) = r9
r8 /= 56
w8 -= -372
call bpf_get_smp_processor_id
r0 -= -318
r8 ^= 122
w8 += w0
w8 += -265
r0 *= r9
r9 = *(u64 *)(r10 -24)
call bpf_ktime_get_ns
w9 >>= 11
r0 += 222
r8 %= 78
call bpf_get_prandom_u32
w0 &= w8
r9 = *(u64 *)(r10 -24)
r9 &= r9
*(u64 *)(r10 -56) = r8
if r0 <= 58 goto +3
r0 &= r0
r0 >>= 8
r0 s>>= 63
r0 = 1
exit
