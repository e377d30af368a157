r6 = -702
r9 = 357
*(u64 *)(r10 -48) = r6
w9 &= 52
*(u32 *)(r10 -68) = 1
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 9
*(u64 *)(r0 +0) = r1
w6 <<= 5
*(u64 *)(r10 -56) = r9
if r9 >= 77 goto +3
w6 &= w6
w6 %= 63
r6 s>>= 46
*(u64 *)(r10 -16) = r6
call bpf_get_smp_processor_id
call bpf_ktime_get_ns
w9 %= 40
r6 >>= 17
*(u32 *)(r10 -68) = 0
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 4
*(u64 *)(r0 +0) = r1
w6 %= 72
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 7
*(u64 *)(r0 +8) = r1
call bpf_get_prandom_u32
w0 %= 7
w6 /= 13
if r0 s> 132 goto +1
w0 /= 58
r9 = *(u64 *)(r10 -48)
r6 = *(u64 *)(r10 -16)
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 8
*(u64 *)(r0 +8) = r1
r0 = 2
exit
