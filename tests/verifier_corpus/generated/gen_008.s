r6 = -826
call bpf_ktime_get_ns
*(u64 *)(r10 -8) = r6
if r6 < 121 goto +2
r6 >>= 51
r0 >>= 2
r6 = *(u64 *)(r10 -8)
w0 <<= 6
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 4
*(u64 *)(r0 +0) = r1
r6 %= 75
r0 = 0
exit
