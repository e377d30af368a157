r6 = -915
r9 = 495
r7 = 399
r9 <<= 52
r9 += r6
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 6
*(u64 *)(r0 +8) = r1
r9 += -200
call bpf_get_smp_processor_id
r0 %= 60
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 7
*(u64 *)(r0 +8) = r1
*(u64 *)(r10 -32) = r6
w6 /= 55
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 2
*(u64 *)(r0 +0) = r1
r6 s>>= 6
r7 = *(u64 *)(r10 -32)
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 2
*(u64 *)(r0 +0) = r1
r6 = *(u64 *)(r10 -32)
if r9 s> 8 goto +3
w6 += w6
w6 *= w9
w9 <<= 30
r6 /= 67
r9 >>= 23
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 7
*(u64 *)(r0 +0) = r1
r7 <<= 8
r6 -= -467
r9 <<= 35
if r6 >= 152 goto +2
w9 %= 4
r6 -= r7
r0 = 2
exit
