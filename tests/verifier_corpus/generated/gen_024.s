r7 = -654
r7 |= r7
w7 >>= 19
if r7 <= 19 goto +1
r7 /= 88
call bpf_get_smp_processor_id
*(u64 *)(r10 -8) = r0
*(u64 *)(r10 -48) = r0
r0 &= 1
w7 s>>= 12
r7 *= r0
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 9
*(u64 *)(r0 +0) = r1
r7 s>>= 10
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 6
*(u64 *)(r0 +0) = r1
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 4
*(u64 *)(r0 +0) = r1
w7 -= w7
w7 /= 44
r7 += 219
*(u64 *)(r10 -64) = r7
w7 -= 330
r9 = *(u64 *)(r10 -64)
call bpf_get_prandom_u32
r7 = *(u64 *)(r10 -48)
r7 |= r0
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 9
*(u64 *)(r0 +0) = r1
w9 <<= 18
r0 = 1
exit
