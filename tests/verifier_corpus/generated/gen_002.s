r8 = 242
r7 = -927
r6 = 190
*(u64 *)(r10 -56) = r8
call bpf_get_prandom_u32
call bpf_get_prandom_u32
call bpf_get_prandom_u32
w0 ^= 429
r8 <<= 22
r6 += r6
call bpf_get_smp_processor_id
*(u64 *)(r10 -24) = r8
r8 = *(u64 *)(r10 -56)
*(u64 *)(r10 -64) = r6
r9 = *(u64 *)(r10 -64)
call bpf_ktime_get_ns
if r6 <= 157 goto +2
w8 s>>= 29
w8 ^= w6
w8 |= 223
call bpf_get_smp_processor_id
call bpf_get_smp_processor_id
r8 = *(u64 *)(r10 -64)
w8 s>>= 4
*(u64 *)(r10 -8) = r6
r0 /= 35
r0 s>>= 34
w6 += 277
w0 ^= w0
r0 = 0
