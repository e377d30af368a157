r8 = 85
r7 = -267
r9 = -734
if r7 != 181 goto +1
w7 /= 4
if r9 > 55 goto +2
w7 s>>= 22
r7 &= 173
*(u64 *)(r10 -48) = r9
r9 ^= -319
if r9 < 71 goto +3
r8 %= 24
w7 s>>= 12
r9 -= r7
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 6
*(u64 *)(r0 +8) = r1
w9 |= -236
r7 /= 91
if r7 s> 115 goto +1
r8 s>>= 12
r0 = 0
exit
