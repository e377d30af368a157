r6 = 385
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 1
*(u64 *)(r0 +8) = r1
r6 &= 233
call bpf_get_prandom_u32
*(u32 *)(r10 -68) = r0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
r1 = *(u64 *)(r0 +8)
r1 += 4
*(u64 *)(r0 +8) = r1
if r6 < 186 goto +3
r6 += -152
r6 *= -156
w6 -= w6
if r6 >= 97 goto +3
r6 <<= 37
r6 /= 91
r6 += -419
w6 %= 21
*(u64 *)(r10 -48) = r6
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 3
*(u64 *)(r0 +8) = r1
call bpf_get_smp_processor_id
w0 >>= 17
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 1
*(u64 *)(r0 +0) = r1
w6 ^= w6
*(u32 *)(r10 -68) = 1
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 8
*(u64 *)(r0 +8) = r1
r9 = *(u64 *)(r10 -48)
w6 &= -62
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 4
*(u64 *)(r0 +8) = r1
r9 -= -344
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 2
*(u64 *)(r0 +0) = r1
r9 = *(u64 *)(r10 -48)
call bpf_get_prandom_u32
r0 = 2
exit
