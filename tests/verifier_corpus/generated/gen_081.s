r9 = -674
r7 = -696
r6 = -78
w7 |= w9
r9 -= -195
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 3
*(u64 *)(r0 +0) = r1
*(u64 *)(r10 -32) = r9
if r7 <= 89 goto +1
r9 >>= 55
r9 ^= r7
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 3
*(u64 *)(r0 +8) = r1
r7 -= r6
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 1
*(u64 *)(r0 +8) = r1
r7 s>>= 17
r7 <<= 4
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 4
*(u64 *)(r0 +8) = r1
*(u64 *)(r10 -64) = r7
r6 <<= 54
w6 += -139
r9 /= 61
call bpf_get_prandom_u32
call bpf_get_prandom_u32
w7 <<= 27
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 9
*(u64 *)(r0 +0) = r1
r6 -= -239
r9 |= r7
r9 -= -92
r7 &= r9
r0 = 1
exit
