r8 = -121
r9 = -2
r8 %= 37
r8 >>= 15
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 5
*(u64 *)(r0 +0) = r1
r9 /= 51
*(u32 *)(r10 -68) = 1
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 6
*(u64 *)(r0 +0) = r1
call bpf_ktime_get_ns
if r0 >= 34 goto +3
w0 %= 6
w8 *= 428
w0 /= 45
*(u32 *)(r10 -68) = 1
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 4
*(u64 *)(r0 +0) = r1
*(u32 *)(r10 -68) = 3
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +24)
r1 += 2
*(u64 *)(r0 +24) = r1
*(u64 *)(r10 -8) = r9
*(u32 *)(r10 -68) = 1
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +8)
r1 += 4
*(u64 *)(r0 +8) = r1
call bpf_get_smp_processor_id
w9 %= 39
call bpf_ktime_get_ns
r6 = *(u64 *)(r10 -8)
if r9 < 174 goto +2
r6 += 374
w9 &= w8
call bpf_get_smp_processor_id
*(u64 *)(r10 -8) = r0
r0 s>>= 58
w6 /= 99
r6 s>>= 57
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 9
*(u64 *)(r0 +0) = r1
r0 = 2
exit
