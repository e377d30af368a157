r7 = -978
r9 = -233
if r9 & 174 goto +3
r7 s>>= 18
r9 ^= r7
r7 /= 10
*(u64 *)(r10 -16) = r7
w7 -= -385
r7 = *(u64 *)(r10 -16)
call bpf_ktime_get_ns
r9 *= r7
if r9 <= 98 goto +2
r9 <<= 10
w0 %= 46
r0 |= r7
call bpf_get_smp_processor_id
call bpf_ktime_get_ns
r7 <<= 3
r9 <<= 49
r9 -= r9
w0 <<= 31
*(u64 *)(r10 -8) = r9
if r0 <= 48 goto +2
w0 ^= w9
r7 &= r9
w9 += 320
*(u64 *)(r10 -24) = r0
r0 = 0
exit
