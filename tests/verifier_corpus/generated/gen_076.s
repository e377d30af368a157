r6 = 724
r7 = -514
if r7 s> 190 goto +2
w6 -= -268
r7 s>>= 0
w7 s>>= 1
r7 *= r6
r6 s>>= 1
w6 >>= 11
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 9
*(u64 *)(r0 +8) = r1
*(u64 *)(r10 -24) = r6
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 4
*(u64 *)(r0 +8) = r1
if r6 > 142 goto +3
r7 <<= 23
r6 *= -481
w6 -= w6
r7 -= r7
if r7 <= 103 goto +3
r6 s>>= 6
w7 %= 15
r6 <<= 8
if r6 <= 188 goto +2
w7 /= 7
r7 <<= 29
r0 = 0
exit
