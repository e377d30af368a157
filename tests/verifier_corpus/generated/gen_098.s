r6 = -423
r7 = 491
w7 &= w7
w6 <<= 21
r7 &= r6
r6 &= -80
call bpf_ktime_get_ns
call bpf_ktime_get_ns
*(u64 *)(r10 -24) = r6
if r6 == 182 goto +1
r7 |= -310
if r6 == 109 goto +3
r6 %= 70
r0 s>>= 41
w6 &= w7
if r7 <= 176 goto +2
w6 += 200
w6 ^= w0
r6 %= 55
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 2
*(u64 *)(r0 +0) = r1
call bpf_ktime_get_ns
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 7
*(u64 *)(r0 +0) = r1
w7 &= -205
r9 = *(u64 *)(r10 -24)
r9 = *(u64 *)(r10 -24)
r7 /= 23
*(u32 *)(r10 -68) = 1
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 5
*(u64 *)(r0 +0) = r1
if r6 >= 1 goto +3
r9 ^= 500
w7 >>= 7
w7 *= w9
*(u64 *)(r10 -64) = r7
w9 s>>= 7
w9 *= 374
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 2
*(u64 *)(r0 +0) = r1
r0 = 1
exit
