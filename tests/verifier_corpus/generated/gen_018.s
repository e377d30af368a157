r9 = 286
if r9 > 51 goto +2
r9 |= r9
r9 s>>= 30
*(u64 *)(r10 -32) = r9
r9 |= r9
w9 s>>= 17
r9 s>>= 36
r10 = 0
if r9 >= 136 goto +3
r9 >>= 24
w9 %= 17
w9 s>>= 6
*(u64 *)(r10 -64) = r9
if r9 & 52 goto +1
w9 *= w9
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 3
*(u64 *)(r0 +8) = r1
w9 <<= 11
r9 = *(u64 *)(r10 -32)
w9 %= 19
*(u64 *)(r10 -48) = r9
r9 s>>= 54
w9 /= 1
call bpf_get_smp_processor_id
call bpf_get_prandom_u32
r0 = 2
exit
