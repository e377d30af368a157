// An array lookup with the constant key 0 and no NULL check: the verifier knows it cannot fail.
*(u32 *)(r10 -4) = 0
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
r0 = *(u64 *)(r0 +0)
exit
