r7 = 482
r7 ^= r7
w7 <<= 23
w7 -= -3
r7 >>= 7
if r7 >= 119 goto +1
r7 &= r7
r7 -= 219
call bpf_get_prandom_u32
r0 ^= 209
r7 += 13
call bpf_get_smp_processor_id
w7 += w0
w0 <<= 31
r0 ^= 65
call bpf_ktime_get_ns
r7 -= 325
call bpf_ktime_get_ns
if r0 >= 27 goto +3
w0 *= -374
w0 |= w0
w0 %= 33
r7 >>= 14
w7 %= 92
*(u64 *)(r10 -48) = r7
call bpf_get_prandom_u32
r7 |= -163
r0 *= 457
r8 = *(u64 *)(r10 -48)
if r0 != 17 goto +3
r7 %= 62
r8 >>= 62
w8 >>= 19
r0 = 1
exit
