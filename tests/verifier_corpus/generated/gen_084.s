r8 = 706
if r8 s< 131 goto +3
r8 /= 70
w8 s>>= 25
r8 /= 17
w8 += -202
call bpf_ktime_get_ns
w0 &= w0
r0 -= r0
r8 += 109
*(u32 *)(r10 -68) = 1
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 5
*(u64 *)(r0 +0) = r1
w8 ^= w8
*(u64 *)(r10 -24) = r8
r0 = 0
exit
