// A map lookup with a key past the bottom of the stack.
r1 = map[id:0]
r2 = r10
r2 += -514
call bpf_map_lookup_elem
r0 = 0
exit
