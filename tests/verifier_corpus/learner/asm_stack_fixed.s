// Fixed twin: a store at the bottom of the 512-byte stack.
r1 = 1
*(u64 *)(r10 -512) = r1
r0 = *(u64 *)(r10 -512)
exit
