r7 = 745
r9 = -868
*(u64 *)(r10 -48) = r7
r9 -= r7
w7 /= 7
call bpf_get_prandom_u32
w0 <<= 5
r8 = *(u64 *)(r10 -48)
r0 += 219
r0 = 0
exit
