r9 = 492
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 3
*(u64 *)(r0 +8) = r1
r9 %= 47
w9 <<= 27
w9 s>>= 17
w9 <<= 20
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 4
*(u64 *)(r0 +0) = r1
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 6
*(u64 *)(r0 +8) = r1
w9 %= 62
r9 -= r9
w9 <<= 5
*(u64 *)(r10 -8) = r9
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 7
*(u64 *)(r0 +8) = r1
w9 -= 29
r9 *= 0
*(u64 *)(r10 -40) = r9
call bpf_ktime_get_ns
*(u32 *)(r10 -68) = 1
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 3
*(u64 *)(r0 +0) = r1
*(u64 *)(r10 -48) = r9
r9 -= 395
r9 -= 315
if r9 == 47 goto +3
w9 ^= -372
w9 *= 354
r9 >>= 37
r0 = 0
exit
