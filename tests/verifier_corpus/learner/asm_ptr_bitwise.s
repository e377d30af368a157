// A bitwise operation on the stack pointer.
r1 = r10
r1 &= -8
r0 = 0
exit
