// An unchecked lookup with the constant key 9 in a 4-entry array.
r1 = 9
*(u64 *)(r10 -8) = r1
r2 = r10
r2 += -8
r1 = map[id:0]
call bpf_map_lookup_elem
r0 = *(u64 *)(r0 +0)
exit
