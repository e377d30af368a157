// Multiplying the context pointer.
r1 *= 2
r0 = 0
exit
