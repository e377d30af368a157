r9 = 880
r7 = 605
*(u64 *)(r10 -32) = r7
w7 -= 45
*(u32 *)(r10 -68) = 2
r2 = r10
r2 += -68
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto +3
r1 = *(u64 *)(r0 +0)
r1 += 2
*(u64 *)(r0 +0) = r1
r9 >>= 45
r8 = *(u64 *)(r10 -32)
call bpf_get_prandom_u32
if r7 >= 139 goto +3
r8 += r9
w0 /= 43
r7 ^= r7
if r8 != 138 goto +1
w0 ^= w8
r8 >>= 49
*(u64 *)(r10 -32) = r8
r7 *= 172
r9 -= -367
r0 = 0
exit
