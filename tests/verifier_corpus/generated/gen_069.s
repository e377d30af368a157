r8 = -152
r9 = -49
call bpf_get_prandom_u32
call bpf_get_smp_processor_id
if r0 < 50 goto +1
r8 <<= 53
r8 &= r8
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 6
*(u64 *)(r0 +0) = r1
r8 -= r8
w9 *= -418
*(u64 *)(r10 -40) = r9
r9 -= r9
w9 %= 25
w8 %= 28
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 8
*(u64 *)(r0 +8) = r1
r8 = *(u64 *)(r10 -40)
call bpf_get_prandom_u32
r9 <<= 89
call bpf_get_smp_processor_id
r0 = 1
exit
