r9 = 616
r8 = -780
w9 <<= 9
r8 <<= 36
*(u64 *)(r10 -56) = r9
w8 s>>= 4
w8 %= 9
w8 ^= 340
w8 &= 22
w8 |= -8
r8 |= r8
call bpf_get_smp_processor_id
r8 %= 12
if r8 < 6 goto +3
w0 ^= w0
r0 /= 81
r9 %= 68
r9 |= r9
r8 /= 46
r0 += r3
w0 *= w0
r0 |= r0
if r0 & 66 goto +3
w9 >>= 17
r9 += 364
r8 %= 35
if r0 <= 95 goto +1
w8 /= 27
if r8 != 166 goto +1
r8 /= 84
*(u64 *)(r10 -8) = r8
w0 ^= -411
if r0 != 28 goto +3
w0 *= 467
r0 *= r8
r0 *= r0
*(u64 *)(r10 -8) = r9
r0 = 0
exit
