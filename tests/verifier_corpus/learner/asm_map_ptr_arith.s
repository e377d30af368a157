// Arithmetic on a map pointer.
r1 = map[id:0]
r1 += 8
r0 = 0
exit
