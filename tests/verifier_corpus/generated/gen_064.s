r6 = 442
r9 = 869
r7 = 646
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 7
*(u64 *)(r0 +0) = r1
if r6 != 26 goto +1
r9 += r6
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 4
*(u64 *)(r0 +0) = r1
call bpf_ktime_get_ns
w0 >>= 13
w6 s>>= 22
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +24)
r1 += 6
*(u64 *)(r0 +24) = r1
if r6 < 40 goto +3
r6 += r6
r6 &= -278
r9 &= 461
r6 %= 84
w6 /= 55
if r6 & 43 goto +2
r9 ^= r6
r7 += r6
*(u64 *)(r10 -40) = r7
if r9 == 176 goto +1
w9 >>= 2
call bpf_get_prandom_u32
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 9
*(u64 *)(r0 +0) = r1
*(u64 *)(r10 -40) = r9
call bpf_ktime_get_ns
r9 = *(u64 *)(r10 -40)
r7 <<= 1
r6 <<= 29
if r9 <= 24 goto +2
w9 -= w0
r9 ^= -19
r0 += r0
r7 = *(u64 *)(r10 -40)
r0 = 1
exit
