// Key 3 spilled from a 64-bit register: the verifier still does not know the 4-byte key, so NULL is possible.
r1 = 3
*(u64 *)(r10 -8) = r1
r2 = r10
r2 += -8
r1 = map[id:0]
call bpf_map_lookup_elem
r0 = *(u64 *)(r0 +0)
exit
