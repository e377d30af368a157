r8 = -382
r6 = -819
r9 = -280
call bpf_get_prandom_u32
*(u64 *)(r10 -56) = r8
r6 = *(u64 *)(r10 -56)
r6 s>>= 59
r0 <<= 11
call bpf_get_smp_processor_id
r7 = *(u64 *)(r10 -56)
w8 *= w0
w8 |= w6
r8 *= r9
w8 &= 347
r9 = *(u64 *)(r10 -56)
r6 = *(u64 *)(r10 -56)
w7 |= w0
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 8
*(u64 *)(r0 +8) = r1
if r9 s> 120 goto +1
w9 |= w7
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 1
*(u64 *)(r0 +0) = r1
w8 <<= 22
call bpf_get_smp_processor_id
r0 ^= r8
call bpf_get_prandom_u32
call bpf_get_prandom_u32
r8 &= r6
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 8
*(u64 *)(r0 +8) = r1
r0 = 0
exit
