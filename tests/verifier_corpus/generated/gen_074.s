r8 = -628
w8 >>= 28
r8 |= -455
r8 >>= 53
w8 |= w8
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 4
*(u64 *)(r0 +0) = r1
*(u64 *)(r10 -8) = r8
w8 <<= 25
r8 /= 100
r9 = *(u64 *)(r10 -8)
r0 = 1
exit
