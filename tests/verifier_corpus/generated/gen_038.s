r8 = 429
w8 /= 42
w8 /= 61
*(u64 *)(r10 -32) = r8
call bpf_get_prandom_u32
r8 s>>= 1
r8 = *(u64 *)(r10 -32)
w8 -= w0
if r8 <= 107 goto +1
w0 <<= 11
if r8 >= 189 goto +2
w8 *= w0
r8 -= 81
r0 <<= 46
w0 s>>= 2
w8 *= -434
w0 s>>= 0
w8 *= w8
w0 -= 182
r8 |= r0
call bpf_get_prandom_u32
r0 = 2
exit
