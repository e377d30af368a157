// Returning the stack pointer: a pointer leak, allowed as root.
r0 = r10
exit
