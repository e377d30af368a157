r8 = 568
r6 = 444
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 1
*(u64 *)(r0 +8) = r1
w8 <<= 20
*(u32 *)(r10 -68) = 1
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 9
*(u64 *)(r0 +8) = r1
r6 &= 45
call bpf_get_smp_processor_id
r6 s>>= 8
w6 -= 114
w8 <<= 1
*(u64 *)(r10 -48) = r8
r8 ^= -117
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 4
*(u64 *)(r0 +0) = r1
w6 &= w6
r6 /= 33
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 6
*(u64 *)(r0 +8) = r1
w8 -= w6
*(u64 *)(r10 -8) = r8
r8 %= 94
r8 |= 232
if r6 > 64 goto +1
w6 <<= 25
r6 &= 49
r8 ^= r8
w8 |= w6
call bpf_get_smp_processor_id
w0 s>>= 10
w0 >>= 31
r0 = 0
exit
