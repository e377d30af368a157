r6 = 78
*(u64 *)(r10 -64) = r6
r6 *= r6
*(u32 *)(r10 -68) = 1
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 5
*(u64 *)(r0 +8) = r1
w6 >>= 3
r6 >>= 28
w6 &= -475
if r6 == 26 goto +3
w6 s>>= 30
r6 >>= 48
r6 *= r6
call bpf_get_smp_processor_id
w6 |= 499
r8 = *(u64 *)(r10 -64)
if r6 <= 121 goto +3
w6 /= 78
w8 /= 21
w6 |= 84
w8 |= 448
r8 = *(u64 *)(r10 -64)
w6 &= 301
r0 s>>= 39
r0 ^= 275
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 7
*(u64 *)(r0 +0) = r1
if r8 s< 173 goto +1
r8 += 296
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 5
*(u64 *)(r0 +8) = r1
call bpf_get_smp_processor_id
if r8 >= 99 goto +1
r6 += -330
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 9
*(u64 *)(r0 +0) = r1
r9 = *(u64 *)(r10 -64)
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 6
*(u64 *)(r0 +0) = r1
*(u64 *)(r10 -56) = r8
r0 = 1
exit
