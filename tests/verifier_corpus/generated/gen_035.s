r7 = -116
r9 = 977
w9 %= 92
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 1
*(u64 *)(r0 +0) = r1
call bpf_ktime_get_ns
w9 >>= 1
*(u64 *)(r10 -64) = r0
r0 ^= r0
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 6
*(u64 *)(r0 +0) = r1
r9 *= -367
call bpf_get_smp_processor_id
if r0 & 29 goto +2
w7 <<= 2
w7 /= 65
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 2
*(u64 *)(r0 +8) = r1
r0 = 0
exit
