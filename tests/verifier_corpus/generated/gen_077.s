r8 = -25
r8 s>>= 35
r8 *= 355
*(u64 *)(r10 -24) = r8
*(u64 *)(r10 -16) = r8
call bpf_get_prandom_u32
call bpf_get_prandom_u32
r0 &= r0
call bpf_get_prandom_u32
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 4
*(u64 *)(r0 +0) = r1
*(u64 *)(r10 -16) = r8
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 9
*(u64 *)(r0 +8) = r1
r8 >>= 44
call bpf_ktime_get_ns
r7 = *(u64 *)(r10 -16)
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 3
*(u64 *)(r0 +8) = r1
r6 = *(u64 *)(r10 -16)
r7 %= 96
*(u64 *)(r10 -56) = r6
w8 /= 8
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 3
*(u64 *)(r0 +8) = r1
r0 = 1
exit
