r7 = 475
r9 = -922
r6 = -795
*(u64 *)(r10 -8) = r9
if r6 s< 85 goto +2
r9 += -3
w9 &= -294
r6 s>>= 20
if r7 > 79 goto +1
r7 += -268
if r6 < 73 goto +1
r9 |= 101
*(u64 *)(r10 -16) = r6
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 7
*(u64 *)(r0 +8) = r1
r7 += r9
w6 *= w7
r7 += 1
w9 s>>= 23
if r7 s> 148 goto +2
w6 /= 68
r9 s>>= 28
*(u64 *)(r10 -32) = r9
r0 = 0
exit
