r9 = -86
r6 = -325
w6 += 62
if r9 == 68 goto +3
w6 s>>= 18
r9 |= r9
r9 >>= 48
r6 += 251
r9 &= -43
*(u64 *)(r10 -24) = r9
r6 %= 83
if r6 != 167 goto +3
w6 ^= w9
r9 s>>= 60
r9 |= r9
call bpf_get_prandom_u32
r9 >>= 63
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 6
*(u64 *)(r0 +8) = r1
w6 -= w9
r7 = *(u64 *)(r10 -24)
*(u64 *)(r10 -48) = r7
r6 = *(u64 *)(r10 -24)
call bpf_get_smp_processor_id
*(u64 *)(r10 -64) = r7
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 6
*(u64 *)(r0 +0) = r1
w9 *= -392
if r9 > 62 goto +1
r6 /= 20
call bpf_get_prandom_u32
w6 &= w6
r0 = 0
exit
