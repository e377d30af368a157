// 32-bit arithmetic on a copy of the frame pointer: as root the pointer just becomes a scalar.
w1 = w10
w1 += 4
r0 = 0
exit
