r6 = -888
*(u64 *)(r10 -32) = r6
*(u64 *)(r10 -64) = r6
w6 |= w6
*(u64 *)(r10 -48) = r6
r6 += r4
w6 <<= 5
if r6 == 135 goto +3
w6 >>= 28
w6 -= 358
r6 &= 128
if r6 & 102 goto +1
w6 -= w6
call bpf_ktime_get_ns
r6 -= r0
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 8
*(u64 *)(r0 +8) = r1
*(u64 *)(r10 -64) = r6
r6 *= -101
r6 = *(u64 *)(r10 -48)
r6 -= r6
w6 >>= 31
r6 >>= 59
r6 |= -443
*(u64 *)(r10 -56) = r6
*(u64 *)(r10 -8) = r6
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 9
*(u64 *)(r0 +8) = r1
r6 <<= 44
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 3
*(u64 *)(r0 +8) = r1
w6 >>= 20
r0 = 0
exit
