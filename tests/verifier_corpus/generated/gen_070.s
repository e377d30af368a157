r8 = -782
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 7
*(u64 *)(r0 +0) = r1
r8 %= 65
*(u64 *)(r10 -40) = r8
if r8 == 115 goto +1
w8 += w8
r8 -= r8
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 9
*(u64 *)(r0 +0) = r1
r6 = *(u64 *)(r10 -40)
r0 = 0
exit
