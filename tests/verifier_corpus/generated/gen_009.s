r6 = -308
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 9
*(u64 *)(r0 +0) = r1
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 3
*(u64 *)(r0 +0) = r1
if r6 s> 197 goto +3
r6 *= r6
r6 s>>= 49
r6 |= 243
w6 <<= 21
w6 += w6
if r6 != 31 goto +1
w6 &= 371
*(u32 *)(r10 -68) = 1
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 6
*(u64 *)(r0 +0) = r1
r6 *= 86
if r6 < 31 goto +3
r6 <<= 50
r6 %= 90
r6 *= r6
*(u64 *)(r10 -32) = r6
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 9
*(u64 *)(r0 +0) = r1
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 2
*(u64 *)(r0 +0) = r1
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 4
*(u64 *)(r0 +8) = r1
r7 = *(u64 *)(r10 -32)
r8 = *(u64 *)(r10 -32)
r6 = *(u64 *)(r10 -32)
w7 |= -186
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 9
*(u64 *)(r0 +8) = r1
w6 <<= 31
r0 = 1
exit
