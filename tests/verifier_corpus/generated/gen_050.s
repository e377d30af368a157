r9 = 570
call bpf_get_prandom_u32
w0 *= -145
*(u64 *)(r10 -32) = r0
w9 /= 82
w0 /= 89
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 4
*(u64 *)(r0 +8) = r1
*(u64 *)(r10 -40) = r9
w9 >>= 29
r9 /= 69
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 2
*(u64 *)(r0 +0) = r1
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 9
*(u64 *)(r0 +8) = r1
call bpf_get_smp_processor_id
w9 /= 12
r0 = 1
exit
