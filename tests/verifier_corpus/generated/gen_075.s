r9 = -796
r8 = 837
r7 = 417
w8 >>= 31
w8 += 86
*(u32 *)(r10 -68) = 1
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 3
*(u64 *)(r0 +8) = r1
w7 |= -328
if r8 == 82 goto +1
r8 /= 9
w7 -= w8
*(u64 *)(r10 -16) = r9
if r8 < 113 goto +2
r8 /= 32
r8 %= 4
r7 s>>= 56
w8 s>>= 11
*(u64 *)(r10 -40) = r8
if r9 == 136 goto +3
w8 -= w9
w9 >>= 6
w8 <<= 21
if r8 == 128 goto +2
w9 ^= 331
r8 /= 73
r0 = 2
exit
