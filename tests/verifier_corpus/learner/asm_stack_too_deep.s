// A store 520 bytes below the frame pointer: the stack is 512 bytes.
r1 = 1
*(u64 *)(r10 -520) = r1
r0 = 0
exit
