// A map lookup whose key pointer is an integer, not stack memory.
r1 = map[id:0]
r2 = 0
call bpf_map_lookup_elem
r0 = 0
exit
