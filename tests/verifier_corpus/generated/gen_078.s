r7 = 812
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 7
*(u64 *)(r0 +0) = r1
call bpf_ktime_get_ns
w0 ^= w7
w0 ^= w0
w0 >>= 9
*(u32 *)(r10 -68) = 1
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 9
*(u64 *)(r0 +8) = r1
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 9
*(u64 *)(r0 +8) = r1
w7 >>= 14
*(u64 *)(r10 -16) = r7
r7 = *(u64 *)(r10 -16)
w7 ^= w7
r7 *= r7
call bpf_get_prandom_u32
*(u32 *)(r10 -68) = r0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
r1 = *(u64 *)(r0 +8)
r1 += 7
*(u64 *)(r0 +8) = r1
r7 |= r7
call bpf_get_prandom_u32
r7 = *(u64 *)(r10 -16)
w0 <<= 15
if r7 > 76 goto +1
r0 &= r0
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 8
*(u64 *)(r0 +0) = r1
r7 /= 95
r6 = *(u64 *)(r10 -16)
r7 <<= 48
w7 -= 53
r0 = 1
exit
