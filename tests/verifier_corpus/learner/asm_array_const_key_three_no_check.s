// The same lookup with key 3 stored as an immediate: the verifier does not track the key, so NULL is possible.
*(u32 *)(r10 -4) = 3
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
r0 = *(u64 *)(r0 +0)
exit
