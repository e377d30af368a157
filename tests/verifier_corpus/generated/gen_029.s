r9 = -962
r7 = 994
call bpf_get_prandom_u32
*(u32 *)(r10 -68) = r0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
r1 = *(u64 *)(r0 +8)
r1 += 4
*(u64 *)(r0 +8) = r1
*(u64 *)(r10 -16) = r9
*(u64 *)(r10 -56) = r7
if r9 & 76 goto +1
w7 <<= 12
r0 = 1
exit
