r6 = 273
r8 = -979
if r8 != 76 goto +3
w8 *= -320
w6 -= 366
r8 |= r6
r6 ^= -487
r8 |= r8
w6 += 25
*(u64 *)(r10 -40) = r8
r6 >>= 31
*(u32 *)(r10 -68) = 1
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 9
*(u64 *)(r0 +8) = r1
*(u32 *)(r10 -68) = 1
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 9
*(u64 *)(r0 +8) = r1
*(u64 *)(r10 -8) = r8
w8 %= 76
r6 = *(u64 *)(r10 -8)
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 4
*(u64 *)(r0 +8) = r1
r10 = 0
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 7
*(u64 *)(r0 +8) = r1
if r6 < 76 goto +1
w8 ^= w6
if r6 >= 88 goto +3
r6 >>= 29
r6 >>= 13
w8 <<= 0
r6 /= 43
w8 ^= w6
r0 = 0
exit
